"""The run's timeline: the schema's :class:`looplab.journal.Timeline`, built from the backend.

During the run: queue depths, sampled every ``sample_every`` seconds of the backend's
clock while steps wait, and at every step's end. At the end: the functions' log events
(one record per invocation, via :mod:`looplab.backends._timeline`), the stopped
invocations where the backend knows them one by one, and the per-minute series of every
metric the backend observes.

The invocations, the stopped ones and the metrics' lateness come from a backend that
declares :class:`looplab.backends.base.TimelineSource`; a backend without it gets a
timeline that says what it lacks.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from looplab.backends import Backend
from looplab.backends.base import DropRecord, InvocationRecord, TimelineSource, invocations
from looplab.journal import (
    INVOCATION_LIMIT,
    QUEUE_SAMPLE_LIMIT,
    Drop,
    Invocation,
    MetricSeries,
    MinuteCount,
    QueueSample,
    Timeline,
    cloudwatch_queries,
)

__all__ = ["Recorder"]


class Recorder:
    def __init__(
        self,
        backend: Backend,
        start: float,
        queues: list[str],
        sample_every: float = 5.0,
        limit: int = INVOCATION_LIMIT,
    ) -> None:
        self.backend = backend
        self.start = start
        self.queues = queues
        self.sample_every = sample_every
        self.limit = limit
        self.samples: list[QueueSample] = []
        self._next_sample = start
        self.notes: list[str] = []
        self._queue_ids: dict[str, str] = {}

    def sample(self, force: bool = False) -> None:
        """Record each queue's depth now, unless the last sample is too recent."""
        now = self.backend.now()
        if not force and now < self._next_sample:
            return
        self._next_sample = now + self.sample_every
        t = round(now - self.start, 3)
        for queue in self.queues:
            state = self.backend.queue_state(queue)
            self.samples.append(
                QueueSample(t, queue, state.visible, state.in_flight, state.delayed)
            )
        if len(self.samples) > QUEUE_SAMPLE_LIMIT:
            # Keep every other sample time and sample half as often from now on.
            times = sorted({sample.t for sample in self.samples})[::2]
            keep = set(times)
            self.samples = [sample for sample in self.samples if sample.t in keep]
            self.sample_every *= 2
            note = f"queue depths thinned to every {self.sample_every:g} s (row limit)"
            self.notes = [n for n in self.notes if not n.startswith("queue depths")] + [note]

    def timeline(self, definition: dict[str, Any]) -> Timeline:
        """The journal's ``timeline`` for the window from the start to now."""
        until = self.backend.now()
        notes = list(self.notes)
        stack = definition.get("stack") or {}
        # The handler logs its source as an ARN (a queue name); the journal speaks logical IDs.
        self._queue_ids = {q["name"]: lid for lid, q in (stack.get("queues") or {}).items()}
        invocations = self._invocations(until, notes)
        drops = self._drops(until, notes)
        metrics = self._metrics(until, definition, notes)
        return Timeline(
            window=(self.start, until),
            **invocations,
            **drops,
            queue_samples=tuple(self.samples),
            **metrics,
            notes=tuple(notes),
        )

    def _rel(self, t: float) -> float:
        return round(t - self.start, 3)

    def _invocations(self, until: float, notes: list[str]) -> dict[str, Any]:
        """The Timeline's fields about invocations."""
        if not isinstance(self.backend, TimelineSource):
            notes.append(f"the {self.backend.name} backend offers no log events: no invocations")
            return {"log_events": False}
        kept: list[InvocationRecord] = []
        per_minute: dict[tuple[float, str], list[Any]] = {}
        total = 0
        for record in invocations(self.backend.log_events(self.start, until)):
            total += 1
            if len(kept) < self.limit:
                kept.append(record)
                continue
            minute = self._rel(record.start) // 60 * 60
            row = per_minute.setdefault((minute, record.function), [0, 0, None])
            row[0] += 1
            row[1] += int(record.error)
            if record.sent is not None and (row[2] is None or record.sent > row[2]):
                row[2] = record.sent
        kept.sort(key=lambda r: (r.start, r.stream))
        fields: dict[str, Any] = {
            "invocations": tuple(
                Invocation(
                    self._rel(r.start),
                    r.function,
                    self._queue_ids.get(r.source, r.source) if r.source else None,
                    r.stream,
                    r.request_id,
                    r.received,
                    r.sent,
                    r.duration_ms,
                    r.error,
                )
                for r in kept
            ),
            "invocations_total": total,
        }
        if per_minute:
            fields["truncated"] = (
                f"{total} invocations: the first {self.limit} are listed one by one, the other "
                f"{total - self.limit} summed per minute and function (invocations_per_minute)"
            )
            notes.append(fields["truncated"])
            fields["per_minute"] = tuple(
                MinuteCount(m, f, *row) for (m, f), row in sorted(per_minute.items())
            )
        return fields

    def _drops(self, until: float, notes: list[str]) -> dict[str, Any]:
        """The Timeline's fields about stopped invocations."""
        found: list[DropRecord] | None = None
        if isinstance(self.backend, TimelineSource):
            found = self.backend.dropped_invocations(self.start, until)
        if found is None:
            notes.append("stopped invocations: per minute only (RecursiveInvocationsDropped)")
            return {"drops_exact": False}
        drops = tuple(
            Drop(self._rel(d.timestamp), d.function, d.source) for d in found[: self.limit]
        )
        if len(found) > self.limit:
            notes.append(f"{len(found)} stopped invocations: the first {self.limit} listed")
        return {"drops": drops, "drops_exact": True, "drops_total": len(found)}

    def _metrics(
        self, until: float, definition: dict[str, Any], notes: list[str]
    ) -> dict[str, Any]:
        """The Timeline's fields about metrics: the series, and how to fetch them settled."""
        series: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
        try:
            for point in self.backend.metric_series(self.start, until):
                key = (point.namespace, point.metric, point.resource)
                series[key].append((self._rel(point.minute), point.value))
        except Exception as exc:  # the rest of the timeline is still worth keeping
            notes.append(f"metric series unavailable: {type(exc).__name__}: {exc}")
        settle = 0.0  # a backend that declares no timeline: its figures are taken as final
        if isinstance(self.backend, TimelineSource):
            settle = float(self.backend.metric_settle_seconds)
        stack = definition.get("stack") or {}
        functions = sorted(f["name"] for f in (stack.get("functions") or {}).values())
        queues = sorted(q["name"] for q in (stack.get("queues") or {}).values())
        return {
            "period": 60,
            "series": tuple(
                MetricSeries(ns, m, r, tuple(points))
                for (ns, m, r), points in sorted(series.items())
            ),
            # CloudWatch publishes a minute's datapoints minutes late: a run that ended
            # within ``settle`` seconds of its last activity has series still filling in.
            "metrics_pending": settle > 0,
            "settle_at": round(time.time() + settle, 3) if settle > 0 else None,
            "metric_queries": tuple(cloudwatch_queries(functions, queues)) if settle > 0 else (),
        }
