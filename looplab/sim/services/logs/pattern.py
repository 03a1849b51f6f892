"""The filter-pattern forms FilterLogEvents needs on unstructured (Lambda) log lines.

AWS's "Filter pattern syntax" page, for unstructured events: terms are case sensitive and
match anywhere in the message; several terms must all match (``ERROR Exception``); a term
with ``?`` is an alternative (``?ERROR ?WARN``: either); ``-term`` excludes; a term with
characters other than letters, digits and underscore goes in double quotes
(``"Sending count"``); a pattern wrapped in ``%`` is a regular expression. An empty
pattern matches every event. JSON (``{ ... }``) and space-delimited (``[ ... ]``) patterns
are refused as not modelled: Lambda's plain-text lines need neither.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from looplab.sim.services.logs.errors import invalid_parameter, not_modelled

Matcher = Callable[[str], bool]

_UNESCAPE = re.compile(r"\\(.)")
_TOKEN = re.compile(r'\s*([?-]?)(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))')


def compile_pattern(pattern: str | None) -> Matcher:
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text[0] in "{[":
        kind = "JSON" if text[0] == "{" else "space-delimited"
        raise not_modelled(f"{kind} filter patterns ({pattern!r})")
    if len(text) > 1 and text[0] == "%" and text[-1] == "%":
        try:
            regex = re.compile(text[1:-1])
        except re.error as exc:
            raise invalid_parameter(f"Invalid regex in filter pattern {pattern!r}: {exc}") from None
        return lambda message: regex.search(message) is not None
    alternatives: list[str] = []
    required: list[str] = []
    excluded: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid_parameter(
                f"Invalid filter pattern {pattern!r}: unreadable from character {position + 1}"
            )
        prefix, quoted, bare = match.groups()
        term = _UNESCAPE.sub(r"\1", quoted) if quoted is not None else bare
        {"?": alternatives, "-": excluded, "": required}[prefix].append(term)
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    if alternatives and (required or excluded):
        raise not_modelled(f"filter patterns mixing ?alternatives with other terms ({pattern!r})")
    if alternatives:
        return lambda message: any(term in message for term in alternatives)
    return lambda message: (
        all(term in message for term in required) and not any(term in message for term in excluded)
    )
