"""Queue depths for the timeline, drawn from the events that change them.

The journal has two kinds of evidence about a queue: readings (``queue_samples``: the
depth at an instant, every few seconds and at each step's end) and events (a function
received a message from it when an invocation started, deleted it when that invocation
ended, a stopped invocation received it, a later invocation's counter says which queue the
previous one sent to, a step purged, seeded or drained it). Drawing the readings as steps
puts every change at the next reading: a message that was visible for 30 ms shows as a
5 s block, and a stop at 1.6 s shows at 5 s.

Here each reading's value is drawn from the LAST logged event on that queue before the
reading (after which, if every change was logged, the depth is what the reading shows);
a change no logged event explains (a visibility timeout ending, a redrive to the DLQ) is
drawn at the reading that saw it. Between two readings, what the queue did before that
last event is not known and is drawn as the earlier reading's value.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any

from looplab.journal import RunRecord

__all__ = ["KEYS", "depths", "queue_events"]

KEYS = ("visible", "in_flight")
# The step arguments that name the queues a step acts on (purge, seed, send, drain, ...).
# A wait's conditions name queues too, but a wait changes nothing.
_QUEUE_ARGS = ("queue", "queues", "source", "target", "destination")


def queue_events(record: RunRecord) -> dict[str, list[float]]:
    """Per queue (logical ID), the sorted times of the logged events that touch it."""
    events: dict[str, list[float]] = defaultdict(list)
    tl = record.timeline
    source_of: dict[int, str] = {}  # a counter -> the queue it was received from
    for inv in tl.invocations:
        if inv.source is None:
            continue
        events[inv.source].append(inv.t)  # received: visible -> in flight
        if inv.duration_ms is not None:
            events[inv.source].append(inv.t + inv.duration_ms / 1000)  # deleted (or not)
        if inv.received is not None:
            source_of.setdefault(inv.received, inv.source)
    for inv in tl.invocations:
        # The counter it sent was received from that queue: the send happened before the
        # sender's invocation ended (the handler sends, then returns).
        target = source_of.get(inv.sent) if inv.sent is not None else None
        if target is not None:
            end = inv.t + (inv.duration_ms or 0.0) / 1000
            events[target].append(end)
    for drop in tl.drops:
        if drop.source is not None:
            events[drop.source].append(drop.t)
    for step in _raw_steps(record):
        for queue in _step_queues(step):
            for key in ("clock_start", "clock_end"):
                t = step.get(key)
                if isinstance(t, int | float) and not isinstance(t, bool):
                    events[queue].append(float(t))
    return {q: sorted(ts) for q, ts in events.items()}


def _raw_steps(record: RunRecord) -> list[dict[str, Any]]:
    steps = []
    for phase in ("steps", "finally"):
        value = record.raw.get(phase)
        if isinstance(value, list):
            steps.extend(s for s in value if isinstance(s, dict))
    return steps


def _step_queues(step: dict[str, Any]) -> set[str]:
    args = step.get("args")
    if not isinstance(args, dict):
        return set()
    found: set[str] = set()
    for key in _QUEUE_ARGS:
        value = args.get(key)
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return found


def depths(record: RunRecord, end: float) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Per queue, ``{"visible": [(t, n)], "in_flight": [(t, n)]}``: step points (each
    value holds from its time to the next point's), the last one at ``end``."""
    readings: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    for s in sorted(record.timeline.queue_samples, key=lambda s: s.t):
        rows = readings[s.queue]
        if rows and rows[-1][0] == s.t:
            rows[-1] = (s.t, s.visible, s.in_flight)  # the state after that instant
        else:
            rows.append((s.t, s.visible, s.in_flight))
    events = queue_events(record)
    out: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for queue, rows in readings.items():
        times = events.get(queue, [])
        series: dict[str, list[tuple[float, float]]] = {k: [] for k in KEYS}
        for i, (t, *values) in enumerate(rows):
            prev = rows[i - 1][0] if i else None
            for key, value in zip(KEYS, values, strict=True):
                points = series[key]
                if points and points[-1][1] == value:
                    continue  # no change: a reading that agrees draws nothing
                at = t if prev is None else _last_event(times, prev, t)
                points.append((at, float(value)))
        for points in series.values():
            if points and points[-1][0] < end:
                points.append((end, points[-1][1]))
        out[queue] = series
    return out


def _last_event(times: list[float], after: float, until: float) -> float:
    """The latest event time in (after, until], else ``until``."""
    i = bisect.bisect_right(times, until)
    if i and times[i - 1] > after:
        return times[i - 1]
    return until
