"""Searching the spilled log store the way FilterLogEvents pages: bounded, in time order.

One call reads whole chunks of the store (:class:`.store.Chunk`) in order of
their earliest event, until it has read ``scan`` events. Chunks overlap a little in time
(an invocation's lines are written when it runs, stamped from its start to its end), so
of what a call read it returns only the events older than the earliest unread chunk: those
are complete. The cursor (timestamp, sequence number) then moves past everything read, so
a page may be EMPTY and still carry a token, as AWS's do. Memory per call: the chunks read,
never the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from looplab.sim.services.logs.pattern import Matcher
from looplab.sim.services.logs.store import Logs, StreamInfo

PAGE_BYTES = 1_048_576  # "up to 1 MB (up to 10,000 log events)" a FilterLogEvents page
EVENT_OVERHEAD = 26  # bytes CloudWatch Logs counts per event on top of its message
_SEQ_BITS = 20  # a chunk holds < 2**20 events: sequence = chunk index << 20 | position

Cursor = tuple[float, int]  # events strictly after (timestamp, sequence) come next


@dataclass(frozen=True, slots=True)
class Found:
    timestamp: float
    sequence: int
    stream: str
    message: str


def search(
    logs: Logs,
    group: str,
    *,
    streams: frozenset[str] | None,
    prefix: str | None,
    start_ms: int,
    end_ms: int,
    match: Matcher,
    limit: int,
    after: Cursor | None,
    scan: int,
) -> tuple[list[Found], Cursor | None]:
    """One page of ``group``'s matching events in ``[start_ms, end_ms]``, oldest first, and
    the cursor to continue from (None: the range is exhausted)."""
    # Exact bounds are checked in whole ms below; the float bound only skips chunks early.
    low_t, low_seq = after if after is not None else ((start_ms - 1) / 1000, -1)
    candidates = sorted(
        (
            (index, chunk)
            for index, chunk in enumerate(logs.chunks())
            if group in chunk.groups and chunk.last >= low_t and chunk.first * 1000 < end_ms + 1
        ),
        key=lambda pair: pair[1].first,
    )
    found: list[Found] = []
    scanned, k, floor = 0, 0, -math.inf
    while k < len(candidates):
        index, chunk = candidates[k]
        # Past the budget, read on only while the next chunk starts no later than what has
        # been read: else nothing read would be complete and the cursor could not move.
        if scanned >= scan and chunk.first > floor:
            break
        records = logs.load(chunk)
        scanned += len(records)
        if k == 0:
            floor = max(low_t, chunk.first)
        k += 1
        base = index << _SEQ_BITS
        for position, (t, record_group, stream, message) in enumerate(records):
            if record_group != group:
                continue
            ms = int(t * 1000)
            if ms < start_ms or ms > end_ms:
                continue
            sequence = base + position
            if t < low_t or (t == low_t and sequence <= low_seq):
                continue
            if streams is not None and stream not in streams:
                continue
            if prefix is not None and not stream.startswith(prefix):
                continue
            if match(message):
                found.append(Found(t, sequence, stream, message))
    horizon = candidates[k][1].first if k < len(candidates) else math.inf
    complete = sorted(
        (f for f in found if f.timestamp < horizon), key=lambda f: (f.timestamp, f.sequence)
    )
    page: list[Found] = []
    size = 0
    for event in complete:
        cost = len(event.message.encode()) + EVENT_OVERHEAD
        if len(page) >= limit or (page and size + cost > PAGE_BYTES):
            return page, (page[-1].timestamp, page[-1].sequence)
        page.append(event)
        size += cost
    if horizon * 1000 <= end_ms:
        return page, (horizon, -1)
    return page, None


def event_id(sequence: int) -> str:
    """A stable, unique eventId: AWS's are 56-digit decimal strings."""
    return f"{sequence:056d}"


def stream_view(info: StreamInfo, now: float, delay: float) -> tuple[int, int, int, int] | None:
    """(creationTime, firstEventTimestamp, lastEventTimestamp, lastIngestionTime) in ms as
    DescribeLogStreams would show them at ``now``; None before the first event is ingested."""
    if info.first + delay > now:
        return None
    last = max((t for t in info.recent if t + delay <= now), default=info.first)
    return _ms(info.created), _ms(info.first), _ms(last), _ms(last + delay)


def _ms(t: float) -> int:
    return int(t * 1000)
