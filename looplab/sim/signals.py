"""What CloudWatch would show: per-period metrics and log events, on the virtual clock.

Both stores are bounded by simulated time, not by the number of invocations: metrics are
summed into one-minute buckets, and log events are streamed to a temporary file on disk
(read back only when asked), so 100,000 invocations do not grow the process.
"""

from __future__ import annotations

import marshal
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

MetricKey = tuple[str, str, str, str]  # namespace, metric, resource, source ("" for none)


class Metrics:
    """Sums (counters) and maxima (gauges) per period, like CloudWatch's Sum and Maximum."""

    def __init__(self, period: int, epoch: float) -> None:
        self.period = period
        self.epoch = epoch
        self._sums: dict[MetricKey, dict[int, float]] = defaultdict(dict)
        self._gauges: dict[MetricKey, dict[int, float]] = defaultdict(dict)

    def _bucket(self, t: float) -> int:
        return int((t - self.epoch) // self.period)

    def add(
        self,
        t: float,
        namespace: str,
        metric: str,
        resource: str,
        value: float = 1.0,
        source: str = "",
    ) -> None:
        buckets = self._sums[(namespace, metric, resource, source)]
        b = self._bucket(t)
        buckets[b] = buckets.get(b, 0.0) + value

    def count(self, t: float, namespace: str, metric: str, resource: str, source: str) -> None:
        """One event counted both per resource and per (resource, source)."""
        b = self._bucket(t)
        for key in ((namespace, metric, resource, ""), (namespace, metric, resource, source)):
            buckets = self._sums[key]
            buckets[b] = buckets.get(b, 0.0) + 1.0

    def gauge(self, t: float, namespace: str, metric: str, resource: str, value: float) -> None:
        buckets = self._gauges[(namespace, metric, resource, "")]
        b = self._bucket(t)
        if value > buckets.get(b, -1.0):
            buckets[b] = value

    def gauge_span(
        self, t0: float, t1: float, namespace: str, metric: str, resource: str, value: float
    ) -> None:
        """A gauge that held at least ``value`` from ``t0`` to ``t1``: every period between."""
        buckets = self._gauges[(namespace, metric, resource, "")]
        for b in range(self._bucket(t0), self._bucket(t1) + 1):
            if value > buckets.get(b, -1.0):
                buckets[b] = value

    def total(
        self,
        namespace: str,
        metric: str,
        since: float,
        until: float | None = None,
        resource: str | None = None,
        source: str | None = None,
    ) -> float:
        lo = self._bucket(since)
        hi = self._bucket(until) if until is not None else None
        result = 0.0
        for (ns, name, res, src), buckets in self._sums.items():
            if ns != namespace or name != metric:
                continue
            if resource is not None and res != resource:
                continue
            if source is not None and src != source:
                continue
            if source is None and src:
                continue  # per-source keys duplicate the plain ones
            result += sum(v for b, v in buckets.items() if b >= lo and (hi is None or b <= hi))
        return result

    def keys(self, namespace: str, metric: str) -> list[MetricKey]:
        return [k for k in self._sums if k[0] == namespace and k[1] == metric]

    def series(self, since: float, until: float) -> Iterator[tuple[str, str, str, float, float]]:
        """Yield ``(namespace, metric, resource, period_start, value)``, sorted. SQS's depth
        gauges are carried forward over quiet periods (a queue's depth persists while
        nothing moves); other gauges (ConcurrentExecutions) have a point only for periods
        with activity, as CloudWatch reports them."""
        lo, hi = self._bucket(since), self._bucket(until)
        rows: list[tuple[str, str, str, float, float]] = []
        for (ns, name, res, src), buckets in self._sums.items():
            if src:
                continue
            rows += [
                (ns, name, res, self.epoch + b * self.period, v)
                for b, v in buckets.items()
                if lo <= b <= hi
            ]
        for (ns, name, res, _), buckets in self._gauges.items():
            if ns not in _CARRIED_NAMESPACES:
                rows += [
                    (ns, name, res, self.epoch + b * self.period, v)
                    for b, v in buckets.items()
                    if lo <= b <= hi
                ]
                continue
            last = 0.0
            for b in range(min([lo, *buckets]), hi + 1):
                last = buckets.get(b, last)
                if b >= lo:
                    rows.append((ns, name, res, self.epoch + b * self.period, last))
        yield from sorted(rows)


_CARRIED_NAMESPACES = frozenset({"AWS/SQS"})  # sampled state, not activity


@dataclass(frozen=True)
class LogEvent:
    timestamp: float
    group: str
    stream: str
    message: str


class Logs:
    """CloudWatch Logs: groups of streams of events, spilled to a temporary file.

    Events are buffered and written in chunks with ``marshal`` (the interpreter's own fast
    serialiser; the file lives only as long as this process, so its version-specific format
    is no concern), so an invocation's log lines cost a list append, not a format and write.
    """

    def __init__(self) -> None:
        # Held open for the simulator's life; close() releases it.
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "wb", prefix="looplab-logs-", suffix=".bin"
        )
        self.streams: dict[str, dict[str, int]] = defaultdict(dict)  # group -> stream -> events
        self._buffer: list[tuple[float, str, str, str]] = []

    def put(self, t: float, group: str, stream: str, message: str) -> None:
        counts = self.streams[group]
        counts[stream] = counts.get(stream, 0) + 1
        buffer = self._buffer
        buffer.append((t, group, stream, message))
        if len(buffer) >= _CHUNK:
            self._flush()

    def put_many(self, group: str, stream: str, events: list[tuple[float, str]]) -> None:
        """One invocation's lines (START, output, END, REPORT) in one call."""
        counts = self.streams[group]
        counts[stream] = counts.get(stream, 0) + len(events)
        buffer = self._buffer
        buffer.extend((t, group, stream, message) for t, message in events)
        if len(buffer) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            marshal.dump(self._buffer, self._file)
            self._buffer.clear()

    def events(
        self, since: float | None = None, until: float | None = None, group: str | None = None
    ) -> Iterator[LogEvent]:
        events, _ = self.read_from(0)
        for event in events:
            if (since is not None and event.timestamp < since) or (
                until is not None and event.timestamp > until
            ):
                continue
            if group is None or event.group == group:
                yield event

    def read_from(self, position: int) -> tuple[list[LogEvent], int]:
        """Events written after byte ``position``, and the position after them: a reader
        that keeps the position reads each event once, however long the run."""
        self._flush()
        self._file.flush()
        events: list[LogEvent] = []
        # A separate handle: reading never moves the writer's offset.
        with open(self._file.name, "rb") as reader:
            reader.seek(position)
            while True:
                try:
                    chunk = marshal.load(reader)
                except EOFError:
                    break
                events.extend(LogEvent(*record) for record in chunk)
            return events, reader.tell()

    def close(self) -> None:
        self._file.close()


_CHUNK = 8192  # events per spilled chunk: ~1 MB in memory at most
