"""How much of what a handler hands looplab looplab takes: its reply, its SDK calls' values.

A handler's process is not looplab's: whatever it sends, looplab's own code (json, repr,
copy, the services, the journal) must be able to walk without a RecursionError and hold
without growing past what the message could carry. These checks run where the values
enter (``_process.py``), iteratively (a JSON text's depth by ``looplab._files.json_depth``,
before it is decoded), so the depth they check is never looplab's stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from typing import Any

from looplab._files import json_depth

__all__ = [
    "RESPONSE_LIMIT",
    "TOO_LARGE",
    "VALUE_DEPTH",
    "decoded",
    "value_problem",
]

RESPONSE_LIMIT = 6_291_556
"""Bytes of a function's response: more is Function.ResponseSizeTooLarge, "Response payload
size exceeded maximum allowed payload size (6291556 bytes)." (Lambda's quota of 6 MB, as
the Runtime API counts it: 6 MiB and 100 bytes)."""

TOO_LARGE = (
    "[ERROR] Function.ResponseSizeTooLarge: Response payload size exceeded maximum allowed "
    f"payload size ({RESPONSE_LIMIT} bytes)."
)
"""The error event of a response past RESPONSE_LIMIT (the runtime's, in _child.py, says
the same: it gets this text with its spec)."""

VALUE_DEPTH = 64
"""Levels of nesting looplab takes in a value from a handler (its reply, an SDK call's
parameters). Lambda sets none for a reply; this is looplab's own, so its code can walk
any value it keeps, with room to spare under Python's recursion limit (json, copy and
rich take one to four frames a level). No API the simulator models nests deeper than 10."""

# Past this many digits Python refuses to turn an int into text (sys.int_info), which
# json.dumps of a journal would then raise: 4,300 digits is ~14,284 bits.
_INT_BITS = 14_000


def value_problem(value: Any, size: int, depth: int = VALUE_DEPTH) -> str | None:
    """What is wrong with ``value`` (a handler's, as looplab's unpickler makes it: builtin
    types, datetimes and Decimals, never a subclass), or None: nested more than ``depth``
    levels, or larger than ``size`` written out (a pickle can repeat one object by
    reference: a few bytes on the wire that are terabytes as JSON), or an integer too long
    to write out. Iterative, and it stops at the first excess; ~2 us for an SDK call."""
    total = 0
    # One iterator per open container (memory grows with the depth, never the width).
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        for item in stack[-1]:
            kind = type(item)
            if kind is str or kind is bytes or kind is bytearray:
                total += len(item) + 1
            elif kind is dict or kind is list or kind is tuple or kind is set or kind is frozenset:
                if len(stack) > depth:
                    return f"nested more than {depth} levels deep"
                total += len(item) + 1
                if total > size:
                    break
                stack.append(chain.from_iterable(item.items()) if kind is dict else iter(item))
                break  # into it
            elif kind is int and item.bit_length() > _INT_BITS:
                return f"an integer of {item.bit_length():,} bits"
            else:
                total += 1
            if total > size:
                break
        else:
            stack.pop()
        if total > size:
            return f"larger than {size:,} bytes written out"
    return None


def decoded(payload: str) -> tuple[Any, str | None]:
    """The handler's reply from its JSON text, or the error event it makes instead: past
    Lambda's response quota (the runtime checks it first; this is for one that did not),
    nested deeper than looplab's code walks (checked before the decoder recurses), or not
    JSON at all."""
    if len(payload) > RESPONSE_LIMIT // 4 and len(_utf8(payload)) > RESPONSE_LIMIT:
        return None, TOO_LARGE
    if json_depth(payload, VALUE_DEPTH) > VALUE_DEPTH:
        return None, (
            "[ERROR] Runtime.MarshalError: Unable to marshal response: nested more than "
            f"{VALUE_DEPTH} levels deep (looplab's limit; Lambda would return it)"
        )
    try:
        return json.loads(payload), None
    except ValueError as exc:
        return None, f"[ERROR] Runtime.MarshalError: Unable to marshal: {exc}"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a pickled str may hold lone surrogates
