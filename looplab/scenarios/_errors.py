"""Validation problems, reported all at once with file, line, what is allowed, a close match."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario file. ``line`` is 1-based; 0 when unknown."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ScenarioError(Exception):
    """Bad input: the scenario file or the command line. Carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the scenarios"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest known name to ``word`` (difflib), or None when nothing is close."""
    options = [c for c in choices if isinstance(c, str)]
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        # Case slips ("queue" vs "Queue") score low in difflib; catch them separately.
        lowered = {c.lower(): c for c in options}
        return lowered.get(word.lower())
    return matches[0]


def shown(value: object, most: int = 60) -> str:
    """``value`` quoted for a message, shortened past ``most`` characters with its length:
    a command-line value or a file's can be kilobytes, a message repeats only its start."""
    text = repr(value) if isinstance(value, str) else _safe_repr(value)
    if len(text) <= most:
        return text
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return f"{text[: most - 1]}…{text[-1] if isinstance(value, str) else ''}{size}"


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit cannot be repr()'d
        return f"<a {type(value).__name__} too long to show>"


def unknown(what: str, word: object, choices: Iterable[str]) -> str:
    """Message for an unknown name: what was given, the close match, what is allowed."""
    options = sorted(c for c in choices if isinstance(c, str))
    guess = closest(word, options) if isinstance(word, str) and len(word) < 200 else None
    hint = f"; did you mean {guess!r}?" if guess else ""
    allowed = ", ".join(options) if options else "none defined"
    return f"unknown {what} {shown(word)}{hint} (allowed: {allowed})"
