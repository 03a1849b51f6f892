"""Read a YAML file into plain dicts and lists that remember their line numbers.

Validation must point at the line a user has to fix, for every error at once, so the
loader keeps a line for each mapping, each key, each value and each list item instead of
throwing the marks away as ``yaml.safe_load`` does.

The loader is also the first thing hostile input meets, so every way a file can be wrong
ends here as a :class:`Problem` with its line, never as a traceback or a hang: a file that
is not a regular one (a FIFO, /dev/zero), a size cap before parsing, text that is not UTF-8
or holds control characters, nesting past :data:`MAX_DEPTH`, a value that contains itself,
aliases that expand past :data:`MAX_ALIAS_VALUES` ("billion laughs"), tags on anything,
integers past Python's digit limit.

Every other YAML looplab reads from the user goes through here too: a ``--set`` value
(looplab.scenarios._parameters) and serverless.yml for ``--param`` (``tags="ignore"``: its
CloudFormation tags are read as None).

One module (past 400 lines) because the reader, the event builder and the limits are one
guarantee: split, a second reader could skip a limit.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml

from looplab._files import SCENARIOS, Kind, Refused, read_bytes
from looplab.scenarios._errors import Problem

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "LList",
    "LMap",
    "line_of",
    "load_yaml",
    "load_yaml_text",
    "read_text",
]

Tags = Literal["refuse", "ignore"]

# A scenario file is a few KB; the shipped one is 8 KB. 1 MiB (looplab._files.SCENARIOS)
# leaves room for generated files and still loads in well under a second
# (benchmarks/hostile_inputs.py).
MAX_FILE_BYTES = SCENARIOS.limit
# The deepest real path is about 10 levels (scenarios > name > steps > wait > until > list >
# condition > between); the limit stops a crafted file long before Python's recursion limit.
MAX_DEPTH = 64
# Values reached a second time through an alias (or a merge key). A file that reuses a base
# scenario a few dozen times stays far below; a billion-laughs file meets it within ms.
MAX_ALIAS_VALUES = 100_000

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# What YAML 1.1 (and PyYAML's reader) accepts; the rest are control characters.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


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


def read_text(path: Path, what: str = "scenario file") -> tuple[str | None, list[Problem]]:
    """The text of ``path`` (a ``what``), or None and the problem: a regular file only (a
    FIFO would block the open, /dev/zero never end), at most :data:`MAX_FILE_BYTES`, UTF-8."""
    file = str(path)
    try:
        # looplab._files' bounded reader: a regular file (a FIFO would block the open,
        # /dev/zero never end) of at most MAX_FILE_BYTES.
        data = read_bytes(path, Kind(what, MAX_FILE_BYTES))
    except Refused as exc:
        problem = exc.problem
        if "larger than" in problem:
            problem += "; split it, or move data out of it"
        return None, [Problem(file, 0, f"cannot read the {what}: {problem}")]
    except OSError as exc:
        return None, [Problem(file, 0, f"cannot read the {what}: {exc.strerror or exc}")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        return None, [
            Problem(file, line, f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8")
        ]


def load_yaml(
    path: Path, what: str = "scenario file", *, tags: Tags = "refuse"
) -> tuple[Any, list[Problem]]:
    """Parse ``path``; return the located tree and the problems (syntax, duplicate keys)."""
    text, problems = read_text(path, what)
    if text is None:
        return None, problems
    return load_yaml_text(text, str(path), tags=tags)


def load_yaml_text(
    text: str, file: str = "<string>", *, tags: Tags = "refuse"
) -> tuple[Any, list[Problem]]:
    """Parse ``text``; return the located tree and every problem, each with its line.

    ``tags="ignore"`` reads a file that holds tags it does not need (serverless.yml's
    CloudFormation ``!Ref``, ``!GetAtt``): a tagged value is read as None, whatever it holds,
    under the same limits."""
    problems = _control_characters(text, file)
    if problems:
        return None, problems
    builder = _Builder(text, file, tags)
    try:
        tree = builder.build()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, file)]
    except yaml.YAMLError as exc:  # ReaderError and friends carry no mark
        return None, [Problem(file, 0, f"not valid YAML: {exc}")]
    except _TooMuch as exc:
        return None, [Problem(file, exc.line, exc.message)]
    finally:
        builder.loader.dispose()
    return tree, builder.problems


class _TooMuch(Exception):
    """A limit was hit; one problem says so and nothing else is reported."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    context = exc.context or ""
    if exc.context_mark is not None and exc.context_mark.line + 1 != line:
        # The cause is often where the construct opened (an unclosed '{'), not where
        # the parser gave up: name both lines.
        context += f" (opened on line {exc.context_mark.line + 1})"
    what = "; ".join(p for p in (context.strip(), exc.problem) if p)
    return Problem(file, line, f"not valid YAML: {what}")


def _control_characters(text: str, file: str, most: int = 5) -> list[Problem]:
    """One problem per line holding a character YAML refuses (NUL, ESC, ...), up to ``most``."""
    problems: list[Problem] = []
    last = 0
    for match in _NON_PRINTABLE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line == last:
            continue
        last = line
        code = ord(match.group())
        problems.append(
            Problem(file, line, f"control character U+{code:04X} in the text; remove it")
        )
        if len(problems) == most:
            break
    return problems


_NO_KEY = object()
_REFUSED = object()  # a key whose problem is already reported: its value is skipped


class _Frame:
    """A mapping or sequence being built from the events between its start and end."""

    __slots__ = ("anchor", "key", "key_line", "merge", "merges", "obj", "refused", "size")

    def __init__(self, obj: LMap | LList, anchor: str | None, refused: bool) -> None:
        self.obj = obj
        self.anchor = anchor
        self.refused = refused
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.merge = False
        self.merges: list[tuple[Any, int]] = []


class _Builder:
    """YAML events -> LMap / LList / values in one pass, without recursion.

    PyYAML's composer recurses once per nesting level and then expands every alias into a
    copy; building straight from the (libyaml, when installed) event stream keeps depth a
    counter, makes an alias a reference to its finished value, and lets the alias budget
    count what a later walk would expand. It is also ~5x faster on a 1 MiB file.
    """

    def __init__(self, text: str, file: str, tags: Tags = "refuse") -> None:
        self.loader = _LOADER(text)
        self.file = file
        self.ignore_tags = tags == "ignore"
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int] | None] = {}  # None: still being built
        self.repeats = 0
        self.result: Any = None
        self.tags: dict[tuple[str, Any], str] = {}  # resolved implicit tags, by value
        self.values: dict[tuple[str, str], Any] = {}  # constructed scalars, by tag and text

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def build(self) -> Any:
        loader = self.loader
        get = loader.get_event
        get()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        get()  # DocumentStart
        scalar, start, end, alias = self.scalar, self.start, self.end, self.alias
        handlers: dict[type, Any] = {
            yaml.ScalarEvent: scalar,
            yaml.MappingStartEvent: start,
            yaml.SequenceStartEvent: start,
            yaml.MappingEndEvent: end,
            yaml.SequenceEndEvent: end,
            yaml.AliasEvent: alias,
        }
        while True:  # one call per event: this loop is the loader's hot path
            event = get()
            handler = handlers.get(type(event))
            if handler is None:  # DocumentEnd
                break
            handler(event, event.start_mark.line + 1)
        if not loader.check_event(yaml.StreamEndEvent):
            mark = loader.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "expected one document, found another (a second '---')", mark
            )
        return self.result

    def end(self, event: yaml.CollectionEndEvent, line: int) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (frame.obj, frame.size)
        if frame.merges:
            self.apply_merges(frame)
        self.emit(None if frame.refused else frame.obj, frame.obj.line, frame.size)

    def start(self, event: yaml.CollectionStartEvent, line: int) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise _TooMuch(line, f"the document nests deeper than {MAX_DEPTH} levels")
        is_map = isinstance(event, yaml.MappingStartEvent)
        refused = event.tag not in (None, "!", _MAP_TAG if is_map else _SEQ_TAG)
        if refused and not self.ignore_tags:
            self.error(
                line,
                f"the tag {event.tag!r} is not allowed here; scenario files hold plain "
                "mappings, lists and values",
            )
        if event.anchor is not None:
            self.anchors[event.anchor] = None
        self.stack.append(_Frame(LMap(line) if is_map else LList(line), event.anchor, refused))

    def scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        tag = event.tag
        if self.ignore_tags and tag not in (None, "!") and not tag.startswith("tag:yaml.org"):
            if event.anchor is not None:
                self.anchors[event.anchor] = (None, 1)
            self.emit(None, line, 1)
            return
        if tag is None or tag == "!":
            key = (event.value, event.implicit)
            tag = self.tags.get(key)
            if tag is None:
                tag = self.tags[key] = self.loader.resolve(
                    yaml.ScalarNode, event.value, event.implicit
                )
        value: Any = event.value
        if tag != _STR_TAG:
            # Scalars are immutable (numbers, booleans, dates, bytes): build each once.
            known = self.values.get((tag, value), _NO_KEY)
            if known is _NO_KEY:
                known = self.construct(tag, event, line)
                if known is not None:
                    self.values[(tag, value)] = known
            value = known
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self.emit(value, line, 1, merge=tag == _MERGE_TAG)

    def construct(self, tag: str, event: yaml.ScalarEvent, line: int) -> Any:
        if tag == _MERGE_TAG:
            return "<<"
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            self.error(line, f"cannot read this value: {exc.problem}")
        except (ValueError, OverflowError) as exc:
            # e.g. an integer past Python's 4300-digit limit, a date like 2023-02-30
            self.error(line, f"cannot read this value: {exc}")
        return None

    def alias(self, event: yaml.AliasEvent, line: int) -> None:
        if event.anchor not in self.anchors:
            self.error(line, f"alias *{event.anchor} names no anchor (&{event.anchor}) above it")
            self.emit(None, line, 1)
            return
        found = self.anchors[event.anchor]
        if found is None:
            self.error(
                line, f"*{event.anchor} is inside &{event.anchor}: a value cannot contain itself"
            )
            self.emit(None, line, 1)
            return
        value, size = found
        self.repeats += size
        if self.repeats > MAX_ALIAS_VALUES:
            raise _TooMuch(
                line,
                f"aliases expand to more than {MAX_ALIAS_VALUES:,} values; a scenario file "
                "never needs that many (is this a 'billion laughs' file?)",
            )
        self.emit(value, line, size)

    def emit(self, value: Any, line: int, size: int, *, merge: bool = False) -> None:
        """Hand a finished value to the collection it belongs to."""
        if not self.stack:
            self.result = value
            return
        frame = self.stack[-1]
        frame.size += size
        obj = frame.obj
        if isinstance(obj, LList):
            obj.append(value)
            obj.item_lines.append(line)
            return
        if frame.key is _NO_KEY:
            frame.key, frame.key_line, frame.merge = value, line, merge
            if isinstance(value, (LMap, LList)):
                self.error(line, "a mapping key must be a plain value")
                frame.key = _REFUSED
            elif not merge and value in obj:
                self.error(
                    line,
                    f"duplicate key {value!r} (first on line {obj.key_lines[value]}); "
                    "YAML would silently keep only the last one",
                )
                frame.key = _REFUSED
            return
        key, frame.key = frame.key, _NO_KEY
        if key is _REFUSED:
            return
        if frame.merge:
            frame.merges.append((value, line))
            return
        obj[key] = value
        obj.key_lines[key] = frame.key_line
        obj.value_lines[key] = line

    def apply_merges(self, frame: _Frame) -> None:
        """YAML's merge key: own keys win, then earlier merged mappings over later ones."""
        out = frame.obj
        assert isinstance(out, LMap)
        for value, line in frame.merges:
            sources = value if isinstance(value, LList) else [value]
            for base in sources:
                if not isinstance(base, LMap):
                    self.error(
                        line,
                        "'<<' (merge) takes a mapping or a list of mappings, usually "
                        "aliases like '<<: *base'",
                    )
                    continue
                for key, item in base.items():
                    if key not in out:
                        out[key] = item
                        out.key_lines[key] = base.key_lines[key]
                        out.value_lines[key] = base.value_lines[key]


_STR_TAG = "tag:yaml.org,2002:str"
# libyaml's parser when PyYAML was built with it (the wheels are), else the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
