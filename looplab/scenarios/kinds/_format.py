"""scenarios.yaml's paragraph about steps, written from the kinds' declarations.

``python -m looplab.scenarios.kinds`` prints it; tests/test_scenarios_kinds.py fails while
the file's header holds anything else, so the header lists exactly the kinds there are and
the keys each takes (``key?`` optional, ``a | b`` exactly one of them, ``key: X | Y`` its
allowed values). Wrapped as the rest of the header is: adding a kind may add a line, which
moves every step's line number (the golden journals record them: re-record with it).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from looplab.scenarios.kinds._kind import Kind

__all__ = ["INTRO", "PREFIX", "format_lines", "synopsis"]

INTRO = "A step is a one-key mapping {kind: args}:"
TAIL = "${name} inserts a parameter; 'source' is a mapping's queue."
PREFIX = "#   "
WIDTH = 92  # the header's other lines
CONDITIONS = "[condition, ...]"  # the header's next paragraph says what a condition is


def synopsis(kind: Kind[Any]) -> str:
    """The arguments ``kind`` takes, e.g. ``{queue, body, count?}``."""
    if kind.takes == "conditions":
        return CONDITIONS
    parts = []
    for key in kind.keys:
        if key in kind.one_of:
            if key == kind.one_of[0]:
                parts.append(" | ".join(kind.one_of))
            continue
        text = key if key in kind.required else f"{key}?"
        if key in kind.choices:
            text += ": " + " | ".join(kind.choices[key])
        parts.append(text)
    return "{" + ", ".join(parts) + "}"


def format_lines(kinds: Iterable[Kind[Any]]) -> list[str]:
    """The paragraph's lines, comment marks included. Kinds whose arguments are alike and
    next to each other share an entry (``connect, disconnect: {function, source}``)."""
    groups: list[tuple[list[str], str]] = []
    for kind in kinds:
        args = synopsis(kind)
        if groups and groups[-1][1] == args:
            groups[-1][0].append(kind.name)
        else:
            groups.append(([kind.name], args))
    entries = "; ".join(f"{', '.join(names)}: {args}" for names, args in groups)
    return textwrap.wrap(
        f"{INTRO} {entries}. {TAIL}",
        width=WIDTH,
        initial_indent=PREFIX,
        subsequent_indent=PREFIX,
        break_long_words=False,
        break_on_hyphens=False,
    )
