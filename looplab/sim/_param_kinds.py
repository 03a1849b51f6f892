"""What values a :class:`looplab.sim.SimParams` field takes: its kind, declared beside it.

Each field is annotated ``Annotated[type, Kind]``. A kind says in one place what the field
accepts, so the three things that need it cannot disagree: SimParams refuses any other
value when it is built, ``--sim field=text`` reads the text by it, and every message (from
either) says what was given and what the kind accepts (:meth:`Kind.describe`).

Why a kind and not just the type: a type lets through what the simulator cannot run with.
A zero ``metric_period`` or ``handler_time_quantum`` divides by zero; a zero
``mapping_scale_interval``, ``throttle_retry_interval`` or ``async_throttle_max_wait``
re-arms a timer at the same instant forever; an empty ``async_retry_waits`` is an
IndexError at the first retry. Each bound below says what it keeps out.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["AnyOf", "Flag", "Kind", "Number", "OneOf", "Span", "Waits", "Word"]

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_NONE = ("none", "null")
# A number's text past this is never in any field's range: refused before int()/float()
# read it (Python refuses integers past 4,300 digits with a ValueError of its own).
_NUMBER_CHARS = 40


def _figure(x: float) -> str:
    """A bound as people write it: 10,000 / 0.001 / 1,689,897,600."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


class Kind:
    """The values one field accepts. Subclasses say which, and how they are spelt as text."""

    def describe(self) -> str:
        """What is valid, as the end of "expects ...": "an integer from 1 to 10,000"."""
        raise NotImplementedError

    def problem(self, value: Any) -> str | None:
        """None when ``value`` is valid, else a short reason (may be empty)."""
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        """The value ``text`` spells; ValueError (a short reason, may be empty) otherwise."""
        raise NotImplementedError

    def spell(self, value: Any) -> str:
        """``value`` as ``--sim`` takes it (the inverse of :meth:`parse`)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Flag(Kind):
    def describe(self) -> str:
        return "true or false"

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else ""

    def parse(self, text: str) -> bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("")

    def spell(self, value: Any) -> str:
        return str(value).lower()


@dataclass(frozen=True)
class Number(Kind):
    """A count (``integer``) or a quantity from ``low`` to ``high`` inclusive; ``none``, when
    given, says what None means for the field (then "none" is a valid spelling)."""

    low: float
    high: float
    integer: bool = False
    unit: str = ""
    none: str = ""

    def describe(self) -> str:
        what = "an integer" if self.integer else "a number"
        unit = f" {self.unit}" if self.unit else ""
        text = f"{what} from {_figure(self.low)} to {_figure(self.high)}{unit}"
        return f"{text}, or none ({self.none})" if self.none else text

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None if self.none else ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ""
        if self.integer and not isinstance(value, int):
            return ""
        if not math.isfinite(value) or not self.low <= value <= self.high:
            return ""
        return None

    def parse(self, text: str) -> int | float | None:
        if self.none and text.lower() in _NONE:
            return None
        if len(text) > _NUMBER_CHARS:
            raise ValueError("")
        try:
            value: int | float = int(text, 10) if self.integer else float(text)
        except ValueError:
            raise ValueError("") from None
        if self.problem(value) is not None:
            raise ValueError("")
        return value

    def spell(self, value: Any) -> str:
        return "none" if value is None else repr(value)


def _numbers(kind: Number, text: str) -> list[float]:
    """Comma-separated numbers, each of ``kind`` (empty text: none)."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    return [float(kind.parse(p)) for p in parts]  # type: ignore[arg-type]


@dataclass(frozen=True)
class Span(Kind):
    """A (low, high) range of seconds a value is drawn from, uniformly."""

    low: float
    high: float
    unit: str = "seconds"

    @property
    def each(self) -> Number:
        return Number(self.low, self.high, unit=self.unit)

    def describe(self) -> str:
        return (
            f"two numbers low,high from {_figure(self.low)} to {_figure(self.high)} "
            f"{self.unit} with low <= high (e.g. 0.1,0.2)"
        )

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, tuple) or len(value) != 2:
            return ""
        if any(self.each.problem(v) is not None for v in value):
            return ""
        return None if value[0] <= value[1] else "low > high"

    def parse(self, text: str) -> tuple[float, float]:
        numbers = tuple(_numbers(self.each, text))
        reason = self.problem(numbers)
        if reason is not None:
            raise ValueError(reason)
        return numbers  # type: ignore[return-value]

    def spell(self, value: Any) -> str:
        return ",".join(repr(v) for v in value)


@dataclass(frozen=True)
class Waits(Kind):
    """One to ``most`` waits in seconds, in order."""

    low: float
    high: float
    most: int

    @property
    def each(self) -> Number:
        return Number(self.low, self.high, unit="seconds")

    def describe(self) -> str:
        return (
            f"1 to {self.most} numbers from {_figure(self.low)} to {_figure(self.high)} "
            "seconds, comma-separated (e.g. 60,120)"
        )

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, tuple) or not 1 <= len(value) <= self.most:
            return ""
        return None if all(self.each.problem(v) is None for v in value) else ""

    def parse(self, text: str) -> tuple[float, ...]:
        numbers = tuple(_numbers(self.each, text))
        if self.problem(numbers) is not None:
            raise ValueError("")
        return numbers

    def spell(self, value: Any) -> str:
        return ",".join(repr(v) for v in value)


def _hint(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class OneOf(Kind):
    choices: tuple[str, ...]

    def describe(self) -> str:
        return f"one of: {', '.join(self.choices)}"

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) and value in self.choices else ""

    def parse(self, text: str) -> str:
        if text not in self.choices:
            raise ValueError(_hint(text, self.choices))
        return text

    def spell(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class AnyOf(Kind):
    """Any of ``choices``, each at most once, or none of them."""

    choices: tuple[str, ...]

    def describe(self) -> str:
        return f"any of {', '.join(self.choices)}, comma-separated, or none"

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, tuple) or len(set(value)) != len(value):
            return ""
        return None if all(isinstance(v, str) and v in self.choices for v in value) else ""

    def parse(self, text: str) -> tuple[str, ...]:
        if text.strip().lower() in (*_NONE, ""):
            return ()
        names = tuple(n.strip() for n in text.split(","))
        for name in names:
            if name not in self.choices:
                raise ValueError(_hint(name, self.choices))
        if len(set(names)) != len(names):
            raise ValueError("a name is given twice")
        return names

    def spell(self, value: Any) -> str:
        return ",".join(value) or "none"


@dataclass(frozen=True)
class Word(Kind):
    """A name of letters and digits, as AWS's error codes are (``RecursiveInvocationException``)."""

    most: int

    def describe(self) -> str:
        return f"a name of 1 to {self.most} letters and digits"

    def problem(self, value: Any) -> str | None:
        ok = isinstance(value, str) and 1 <= len(value) <= self.most
        return None if ok and value.isascii() and value.isalnum() else ""

    def parse(self, text: str) -> str:
        if self.problem(text) is not None:
            raise ValueError("")
        return text

    def spell(self, value: Any) -> str:
        return str(value)
