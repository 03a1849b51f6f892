"""What validation knows while it walks a file: where it is, the names, the problems so far."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from looplab.scenarios._errors import Problem, unknown
from looplab.scenarios._load import LList, LMap

# Inclusive (low, high) of every number a scenario holds; scenarios.yaml's header documents
# them. Why these: a day is longer than any experiment and than SQS's longest visibility
# timeout (12 h), and still a wait the simulator crosses in seconds; polling faster than
# 0.1 s only spends API calls on AWS; 10,000 messages is the largest batch an SQS mapping
# takes, and far more than a loop experiment seeds; counts and comparands are never
# negative, and no run sees a billion invocations.
BOUNDS: dict[str, tuple[float, int]] = {
    "seconds": (0, 86_400),
    "timeout": (0, 86_400),
    "poll": (0.1, 3_600),
    "count": (1, 10_000),
    "max": (1, 10_000),
    "comparand": (0, 1_000_000_000),
}


@dataclass(frozen=True)
class StackNames:
    """The names a scenario may use, read from the compiled stack (looplab.stack.Stack)."""

    queues: frozenset[str]
    functions: frozenset[str]
    mappings: frozenset[tuple[str, str]]  # (function logical id, source queue logical id)
    mapping_ids: frozenset[str] = frozenset()
    # function logical ID -> its environment as compiled (for parameters read from the stack)
    environments: dict[str, dict[str, str]] = field(default_factory=dict, compare=False)
    topics: frozenset[str] = frozenset()
    buckets: frozenset[str] = frozenset()

    @classmethod
    def from_stack(cls, stack: Any) -> StackNames:
        pairs = set()
        for spec in stack.mappings.values():
            pairs.add((spec.function, spec.source_queue))
        return cls(
            queues=frozenset(stack.queues),
            functions=frozenset(stack.functions),
            mappings=frozenset(pairs),
            mapping_ids=frozenset(stack.mappings),
            environments={
                lid: {str(k): str(v) for k, v in (getattr(spec, "environment", None) or {}).items()}
                for lid, spec in stack.functions.items()
            },
            # Fakes and older stacks may lack them: a shape without topics has none.
            topics=frozenset(getattr(stack, "topics", None) or ()),
            buckets=frozenset(getattr(stack, "buckets", None) or ()),
        )

    @property
    def all_ids(self) -> frozenset[str]:
        return self.queues | self.functions | self.mapping_ids | self.topics | self.buckets

    def of_kind(self, kind: str) -> frozenset[str]:
        """The logical IDs a ``kind`` ("queue", "function", "topic", "bucket") may name."""
        return {
            "queue": self.queues,
            "function": self.functions,
            "topic": self.topics,
            "bucket": self.buckets,
        }[kind]


class Unresolved(str):
    """A string whose ``${parameter}`` could not be substituted (already reported).

    Checks that meet one say nothing more: one mistake, one problem.
    """


def unresolved(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, Unresolved) for v in value)
    return isinstance(value, Unresolved)


@dataclass
class Context:
    """Collects problems for one file; resolves names against aliases and the stack."""

    file: str
    aliases: dict[str, str] = field(default_factory=dict)
    stack: StackNames | None = None
    problems: list[Problem] = field(default_factory=list)
    where: str = ""
    snapshot_lines: dict[str, int] = field(default_factory=dict)  # every name -> its line

    def error(self, line: int, message: str) -> None:
        prefix = f"{self.where}: " if self.where else ""
        self.problems.append(Problem(self.file, line, prefix + message))

    def resolve(self, name: Any, kind: str, line: int) -> str | None:
        """An alias or logical ID of ``kind`` ("queue", "function", "topic", "bucket") ->
        logical ID."""
        if unresolved(name):
            return None
        if not isinstance(name, str) or not name:
            self.error(line, f"a {kind} name must be a string, got {_type(name)}")
            return None
        target = self.aliases.get(name, name)
        if self.stack is None:
            if name in self.aliases or name in self.aliases.values():
                return target
            self.error(line, unknown(kind, name, [*self.aliases, *self.aliases.values()]))
            return None
        known = self.stack.of_kind(kind)
        if target in known:
            return target
        options = [*known, *(a for a, t in self.aliases.items() if t in known)]
        self.error(line, unknown(kind, name, options))
        return None

    def mapping_exists(self, function: str, source: str, line: int) -> None:
        if self.stack is None or (function, source) in self.stack.mappings:
            return
        have = ", ".join(f"{s} -> {f}" for f, s in sorted(self.stack.mappings)) or "none"
        self.error(
            line,
            f"the stack has no event source mapping from {source} to {function} (mappings: {have})",
        )

    def mapping(self, value: Any, what: str, line: int) -> LMap | None:
        if isinstance(value, LMap):
            return value
        if unresolved(value):
            return None
        self.error(line, f"{what} must be a mapping, got {_type(value)}")
        return None

    def keys(
        self, args: LMap, allowed: tuple[str, ...], required: tuple[str, ...], what: str
    ) -> bool:
        """Report unknown and missing keys; True when nothing was wrong."""
        ok = True
        for key in args:
            if key not in allowed:
                self.error(args.key_line(key), unknown(f"key in {what}:", key, allowed))
                ok = False
        for key in required:
            if key not in args:
                self.error(args.line, f"{what} needs {key!r} (allowed keys: {', '.join(allowed)})")
                ok = False
        return ok

    def number(
        self,
        args: LMap,
        key: str,
        *,
        strict: bool = False,
        integer: bool = False,
    ) -> float | int | None:
        """``args[key]`` if it is a finite number within ``BOUNDS[key]`` (above low if strict)."""
        value = args[key]
        if unresolved(value):
            return None
        return self.bounded(value, key, args.line_of(key), key, strict=strict, integer=integer)

    def bounded(
        self,
        value: Any,
        what: str,
        line: int,
        bound: str,
        *,
        strict: bool = False,
        integer: bool = False,
    ) -> float | int | None:
        """``value`` if it is a finite number within ``BOUNDS[bound]``, else a problem."""
        kind = "an integer" if integer else "a number"
        low, high = BOUNDS[bound]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = ""
            if isinstance(value, str) and _looks_numeric(value):
                hint = " (YAML 1.1 reads 1e5 as text: write 1.0e+5)"
            self.error(line, f"{what!r} must be {kind}, got {_type(value)} {short(value)}{hint}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(line, f"{what!r} must be a finite number, got {value}")
            return None
        if integer and not isinstance(value, int):
            self.error(line, f"{what!r} must be an integer, got {short(value)}")
            return None
        if value > high:
            self.error(line, f"{what!r} must be at most {high:,}, got {short(value)}")
            return None
        if value < low or (strict and value == low):
            bound_text = f"> {low:g}" if strict else f">= {low:g}"
            self.error(line, f"{what!r} must be {bound_text}, got {short(value)}")
            return None
        return value

    def string(self, args: LMap, key: str) -> str | None:
        value = args[key]
        if isinstance(value, str) and not unresolved(value):
            return value
        if unresolved(value):
            return None
        self.error(args.line_of(key), f"{key!r} must be a string, got {_type(value)}")
        return None

    def name_list(self, args: LMap, key: str, kind: str) -> list[str] | None:
        value = args[key]
        if not isinstance(value, LList) or not value:
            self.error(args.line_of(key), f"{key!r} must be a non-empty list of {kind} names")
            return None
        out = [self.resolve(v, kind, value.line_of(i)) for i, v in enumerate(value)]
        return None if None in out else [v for v in out if v]


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def short(value: Any, most: int = 40) -> str:
    """``repr(value)``, cut to ``most`` characters: a 10**100 or a 300 KB body is not a message."""
    text = f"{value:.6g}" if isinstance(value, int) and len(str(value)) > most else repr(value)
    return text if len(text) <= most else text[: most - 3] + "..."


def _type(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return "a date (YAML reads an unquoted 2023-07-21 as one: quote it)"
    if isinstance(value, bytes):
        return "binary data (!!binary; quote the text instead)"
    if isinstance(value, (LMap, dict)):
        return "a mapping"
    if isinstance(value, (LList, list)):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


type_name = _type
