"""A function's log events -> one record per invocation. Pure: events in, records out.

Both backends feed this: the simulator's log store, and on AWS the events FilterLogEvents
returns for the function's log group (the same lines: the runtime's START / END / REPORT
and the handler's prints). Per log stream (one execution environment, so one invocation
at a time), START opens an invocation, the handler's lines fill it, REPORT closes it.

The handler's lines this reads (functions/recursive/main.py):
- ``Received counter N from ARN`` (``from ARN`` is looplab's addition to the post's handler,
  so the source queue of each invocation is known from logs alone; plain ``Received
  counter N`` is read too);
- ``Sending count N`` (the post's line);
- ``[ERROR] ...`` or ``... Task timed out after ...``: the invocation failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["DropRecord", "FunctionLogEvent", "InvocationRecord", "invocations", "sent_counter"]

_START = re.compile(r"^START RequestId: (\S+)")
_REPORT = re.compile(r"^REPORT RequestId: (\S+)\s+Duration: ([0-9.]+) ms")
# A counter is what an int holds without Python's 4,300-digit guard (and what a JSON body
# round-trips): a longer run of digits is text a handler printed, not a counter.
_COUNTER = r"(-?\d{1,18})(?!\d)"
_RECEIVED = re.compile(rf"^Received counter {_COUNTER}(?: from (\S+))?")
_SENT = re.compile(rf"^Sending count {_COUNTER}")


def sent_counter(message: str) -> int | None:
    """The counter of a ``Sending count N`` line (the post's), else None. Both backends'
    observations read it with this one rule."""
    match = _SENT.match(message)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class FunctionLogEvent:
    """One log event: ``timestamp`` in seconds on the backend's clock, ``function`` the
    function's logical ID (the backend knows which log group is which function)."""

    timestamp: float
    stream: str
    message: str
    function: str


@dataclass(frozen=True)
class DropRecord:
    """A stopped recursive invocation, where the backend knows it one by one."""

    timestamp: float
    function: str
    source: str | None


@dataclass
class InvocationRecord:
    start: float
    function: str
    stream: str
    request_id: str
    source: str | None = None  # the queue's name (last part of eventSourceARN)
    received: int | None = None
    sent: int | None = None
    duration_ms: float | None = None  # None: no REPORT (yet)
    error: bool = False


def invocations(events: Iterable[FunctionLogEvent]) -> Iterator[InvocationRecord]:
    """Yield each invocation when its REPORT is read, then those left open at the end.

    Events must be in order within each log stream (both CloudWatch and the simulator
    keep that order); streams may interleave.
    """
    open_: dict[tuple[str, str], InvocationRecord] = {}
    for event in events:
        key = (event.function, event.stream)
        message = event.message
        if message.startswith("START "):
            match = _START.match(message)
            if match:
                left = open_.pop(key, None)
                if left is not None:
                    yield left  # a START without the previous REPORT: keep what we have
                open_[key] = InvocationRecord(
                    event.timestamp, event.function, event.stream, match.group(1)
                )
            continue
        current = open_.get(key)
        if current is None:
            continue  # init-phase output, or an invocation that began before the window
        if message.startswith("REPORT "):
            match = _REPORT.match(message)
            if match:
                current.duration_ms = float(match.group(2))
            yield open_.pop(key)
        elif message.startswith("Received counter"):
            match = _RECEIVED.match(message)
            if match:
                current.received = int(match.group(1))
                arn = match.group(2)
                current.source = arn.rsplit(":", 1)[-1] if arn else None
        elif message.startswith("Sending count"):
            sent = sent_counter(message)
            if sent is not None:
                current.sent = sent
        elif message.startswith("[ERROR]") or "Task timed out after" in message:
            current.error = True
    yield from open_.values()
