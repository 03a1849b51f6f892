"""Read a YAML file into plain dicts and lists that remember their line numbers.

Validation must point at the line a user has to fix, for every error at once, so the
loader keeps a line for each mapping, each key, each value and each list item instead of
throwing the marks away as ``yaml.safe_load`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from looplab.scenarios._errors import Problem


class LMap(dict):
    """A mapping from the YAML file, with ``line`` and the line of each key's value."""

    line: int = 0

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """The line of ``key``'s value (or of the mapping when the key is absent)."""
        return self.value_lines.get(key, self.key_lines.get(key, self.line))

    def key_line(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LList(list):
    """A sequence from the YAML file, with ``line`` and the line of each item."""

    line: int = 0

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def line_of(container: Any, key: Any, default: int = 0) -> int:
    """Line of ``container[key]`` for an LMap / LList, else ``default``."""
    if isinstance(container, (LMap, LList)):
        return container.line_of(key)
    return default


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Parse ``path``; return the located tree and the problems (syntax, duplicate keys)."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(file, 0, f"cannot read the scenario file: {exc.strerror or exc}")]
    return load_yaml_text(text, file)


def load_yaml_text(text: str, file: str = "<string>") -> tuple[Any, list[Problem]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        context = exc.context or ""
        if exc.context_mark is not None and exc.context_mark.line + 1 != line:
            # The cause is often where the construct opened (an unclosed '{'), not where
            # the parser gave up: name both lines.
            context += f" (opened on line {exc.context_mark.line + 1})"
        what = "; ".join(p for p in (context.strip(), exc.problem) if p)
        return None, [Problem(file, line, f"not valid YAML: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 0, f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return None, []
    problems: list[Problem] = []
    return _convert(node, loader, file, problems), problems


def _convert(node: yaml.Node, loader: yaml.SafeLoader, file: str, problems: list[Problem]) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        # Resolves YAML merge keys (<<) the way SafeLoader would.
        loader.flatten_mapping(node)
        out = LMap(line)
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, file, problems)
            key_line = key_node.start_mark.line + 1
            if isinstance(key, (LMap, LList)):
                problems.append(Problem(file, key_line, "a mapping key must be a plain value"))
                continue
            if key in out:
                problems.append(
                    Problem(
                        file,
                        key_line,
                        f"duplicate key {key!r} (first on line {out.key_lines[key]}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            out[key] = _convert(value_node, loader, file, problems)
            out.key_lines[key] = key_line
            out.value_lines[key] = value_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList(line)
        for item in node.value:
            seq.append(_convert(item, loader, file, problems))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Problem(file, line, f"cannot read this value: {exc.problem}"))
        return None
