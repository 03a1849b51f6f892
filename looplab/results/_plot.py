"""timeline.png: the post's CloudWatch graphs, regenerated from a journal.

:func:`plot_data` is pure (a journal in, the series to draw out) so tests check what is
drawn without looking at pixels; :func:`draw` renders it with matplotlib's Agg backend
(:mod:`looplab.results._draw`). The chain of a loop runs for a second or two of a run
that lasts minutes, so the data carries ``zoom``: the seconds from the chain's first
invocation to its last (and its stop), which the drawing gives panels of their own.
Queue depths come from :mod:`looplab.results._depths` (changes at the events that made
them, not at the readings).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from looplab.journal import RunRecord
from looplab.results._depths import depths

__all__ = ["PLOT_NAME", "PLOT_VERSION", "PlotData", "draw", "plot_data", "step_labels"]

PLOT_NAME = "timeline.png"  # in each run's folder, beside its journal
PLOT_VERSION = 2  # bump when the drawing changes: cached plots are then redrawn
_ZOOM_PAD = 0.05  # of the chain's span, each side (at least 50 ms)


@dataclass
class PlotData:
    title: str
    per_invocation: bool  # False: per-minute series (the journal had no invocation rows)
    # function -> [(t, cumulative invocations)]
    invocations: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    # function -> [(t, cumulative stopped invocations)]
    drops: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    drops_exact: bool = False
    counter: list[tuple[float, int]] = field(default_factory=list)  # (t, counter sent)
    # queue -> {"visible": [(t, n)], "in_flight": [(t, n)]}, step points
    queues: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)
    steps: list[tuple[float, str]] = field(default_factory=list)  # (start, kind)
    end: float = 0.0
    # The chain's seconds: (from, to) around its first and last invocation (and stop);
    # None when the journal has no invocation rows.
    zoom: tuple[float, float] | None = None
    # Said on a panel with nothing to draw (an aws run whose CloudWatch data is late).
    empty_note: str = "nothing recorded"


def plot_data(record: RunRecord) -> PlotData:
    tl = record.timeline
    data = PlotData(
        title=f"{record.scenario} on {record.backend}: {record.run}",
        per_invocation=bool(tl.invocations),
        drops_exact=tl.drops_exact,
        end=record.elapsed,
        empty_note=_empty_note(record),
    )
    if tl.invocations:
        counts: dict[str, int] = defaultdict(int)
        for inv in sorted(tl.invocations, key=lambda i: i.t):
            counts[inv.function] += 1
            data.invocations.setdefault(inv.function, []).append((inv.t, counts[inv.function]))
            if inv.sent is not None:
                data.counter.append((inv.t, inv.sent))
    else:
        for series in tl.series_for("Invocations"):
            data.invocations[series.resource] = _cumulative(series.points)
    if tl.drops_exact:
        counts = defaultdict(int)
        for drop in sorted(tl.drops, key=lambda d: d.t):
            counts[drop.function] += 1
            data.drops.setdefault(drop.function, []).append((drop.t, counts[drop.function]))
    else:
        for series in tl.series_for("RecursiveInvocationsDropped"):
            if any(v for _, v in series.points):
                data.drops[series.resource] = _cumulative(series.points)
    data.steps = [
        (s.clock_start, s.kind)
        for s in record.steps
        if s.phase == "steps" and s.clock_start is not None
    ]
    ends = [t for pts in data.invocations.values() for t, _ in pts[-1:]]
    data.end = max([data.end, *ends, 1.0])
    if tl.queue_samples:
        data.queues = depths(record, data.end)
    else:
        for key, metric in (
            ("visible", "ApproximateNumberOfMessagesVisible"),
            ("in_flight", "ApproximateNumberOfMessagesNotVisible"),
        ):
            for series in tl.series_for(metric, "AWS/SQS"):
                q = data.queues.setdefault(series.resource, {"visible": [], "in_flight": []})
                q[key] = list(series.points)
    data.zoom = _zoom(record)
    return data


def _zoom(record: RunRecord) -> tuple[float, float] | None:
    """The chain's seconds, padded: from its first invocation to the end of its last one,
    and the stop that ended it (the first stop after its last invocation started). Later
    stops are retries of the stopped message (a DLQ mapping's, every visibility timeout),
    not the chain: the whole-run panel shows them."""
    tl = record.timeline
    if not tl.invocations:
        return None
    first = min(i.t for i in tl.invocations)
    started = max(i.t for i in tl.invocations)
    last = max(i.t + (i.duration_ms or 0.0) / 1000 for i in tl.invocations)
    stops = [d.t for d in tl.drops if d.t >= started]
    if stops:
        last = max(last, min(stops))
    pad = max((last - first) * _ZOOM_PAD, 0.05)
    low = first - pad
    return (max(low, 0.0) if first >= 0 else low, last + pad)


def _empty_note(record: RunRecord) -> str:
    """What an empty panel says: on a backend whose metrics come late, when to look again."""
    tl = record.timeline
    if not tl.metrics_pending:
        return "nothing recorded"
    minutes = 3  # AWS's default metric_settle_seconds (180 s)
    ended = _epoch(record.ended_at)
    if tl.settle_at is not None and ended is not None:
        minutes = max(1, math.ceil((tl.settle_at - ended) / 60))
    return f"no data yet (CloudWatch publishes after ~{minutes} min): collect again then"


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def step_labels(steps: list[tuple[float, str]], end: float) -> list[tuple[float, str]]:
    """Steps closer than 2% of the time axis share one label ("purge, seed"), so the
    labels of steps that ran in the same instant do not print over each other."""
    labels: list[tuple[float, list[str]]] = []
    gap = max(end, 1.0) * 0.02
    for start, kind in steps:
        if labels and start - labels[-1][0] < gap:
            labels[-1][1].append(kind)
        else:
            labels.append((start, [kind]))
    return [(start, ", ".join(kinds)) for start, kinds in labels]


def _cumulative(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    total, out = 0.0, []
    for t, v in sorted(points):
        total += v
        out.append((t, total))
    return out


def draw(data: PlotData, path: Path) -> None:
    """Render ``data`` to ``path`` (PNG), atomically (through a temporary file no planted
    symlink can redirect: :func:`looplab._files.replacing`)."""
    from looplab.results._draw import save

    save(data, path)
