"""What CloudWatch would show: per-period metrics and log events, on the virtual clock.

Both stores are bounded by simulated time, not by the number of invocations: metrics are
summed into one-minute buckets, and log events are streamed to a temporary file on disk
(read back only when asked), so 100,000 invocations do not grow the process.

The stores only record; what CloudWatch would *answer* (statistics, lateness, pages) is
``looplab.sim.services.cloudwatch`` and ``looplab.sim.services.logs``, which read them
through :meth:`Metrics.statistic_sets` and :meth:`Logs.chunks` / :meth:`Logs.load`.
"""

from __future__ import annotations

import marshal
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from looplab._spill import SpillFile

MetricKey = tuple[str, str, str, str]  # namespace, metric, resource, source ("" for none)
StatisticSet = tuple[float, float, float, float]  # sum, sample count, minimum, maximum


class Metrics:
    """Per-period statistic sets, as CloudWatch stores what a service publishes.

    Three kinds of series, each kept as cheaply as its statistics allow:

    - counters (:meth:`count`, :meth:`add`): a sum per period. :meth:`count` records unit
      samples (one per event: Invocations), so the sample count IS the sum and min = max = 1;
      :meth:`add` outside AWS/SQS also keeps the sample count and extrema. AWS/SQS publishes
      one aggregated value per queue per minute, so there one period is one sample.
    - gauges (:meth:`gauge`, :meth:`gauge_span`): the maximum per period, one sample.
    - distributions (:meth:`sample`): sum, count, min and max per period (Duration).
    """

    def __init__(self, period: int, epoch: float) -> None:
        self.period = period
        self.epoch = epoch
        self._sums: dict[MetricKey, dict[int, float]] = defaultdict(dict)
        self._gauges: dict[MetricKey, dict[int, float]] = defaultdict(dict)
        # [sample count, min, max] per period for add()'s non-unit samples.
        self._extrema: dict[MetricKey, dict[int, list[float]]] = defaultdict(dict)
        # [sum, sample count, min, max] per period for sample().
        self._dists: dict[MetricKey, dict[int, list[float]]] = defaultdict(dict)

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
        key = (namespace, metric, resource, source)
        buckets = self._sums[key]
        b = self._bucket(t)
        buckets[b] = buckets.get(b, 0.0) + value
        if namespace != "AWS/SQS":  # SQS: one aggregated sample per minute, see class doc
            extrema = self._extrema[key]
            seen = extrema.get(b)
            if seen is None:
                extrema[b] = [1.0, value, value]
            else:
                seen[0] += 1.0
                if value < seen[1]:
                    seen[1] = value
                if value > seen[2]:
                    seen[2] = value

    def sample(self, t: float, namespace: str, metric: str, resource: str, value: float) -> None:
        """One observation of a distribution (an invocation's Duration)."""
        buckets = self._dists[(namespace, metric, resource, "")]
        b = self._bucket(t)
        seen = buckets.get(b)
        if seen is None:
            buckets[b] = [value, 1.0, value, value]
        else:
            seen[0] += value
            seen[1] += 1.0
            if value < seen[2]:
                seen[2] = value
            if value > seen[3]:
                seen[3] = value

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

    def resources(self, namespace: str, metric: str) -> list[str]:
        """Resources with any datapoint of ``metric`` (per-source duplicates left out)."""
        found = {
            key[2]
            for store in (self._sums, self._gauges, self._dists)
            for key in store
            if key[0] == namespace and key[1] == metric and not key[3]
        }
        return sorted(found)

    def statistic_sets(self, namespace: str, metric: str, resource: str) -> dict[int, StatisticSet]:
        """Period index -> (sum, sample count, min, max) of one series, as published.

        A period without activity has no entry: Lambda publishes no datapoint for it. (The
        zeros an active SQS queue publishes are the CloudWatch api's to add.)
        """
        key = (namespace, metric, resource, "")
        dists = self._dists.get(key)
        if dists:
            return {b: (v[0], v[1], v[2], v[3]) for b, v in dists.items()}
        gauges = self._gauges.get(key)
        if gauges:
            return {b: (v, 1.0, v, v) for b, v in gauges.items()}
        sums = self._sums.get(key)
        if not sums:
            return {}
        if namespace == "AWS/SQS":
            return {b: (v, 1.0, v, v) for b, v in sums.items()}
        extrema = self._extrema.get(key, {})
        sets: dict[int, StatisticSet] = {}
        for b, v in sums.items():
            seen = extrema.get(b)
            # No extrema: count()'s unit samples, one per event.
            sets[b] = (v, v, 1.0, 1.0) if seen is None else (v, seen[0], seen[1], seen[2])
        return sets

    def period_start(self, b: int) -> float:
        return self.epoch + b * self.period

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
            if name not in _CARRIED:
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


# Sampled queue depths: state, not activity. (ApproximateAgeOfOldestMessage is not carried:
# an empty queue has no oldest message.)
_CARRIED = frozenset(
    {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    }
)


@dataclass(frozen=True)
class LogEvent:
    timestamp: float
    group: str
    stream: str
    message: str


Record = tuple[float, str, str, str]  # timestamp, group, stream, message: as spilled


@dataclass(slots=True)
class Chunk:
    """Where one spilled chunk lies, and what it holds: enough to skip it unread."""

    offset: int
    count: int
    first: float  # earliest event timestamp in the chunk
    last: float  # latest
    groups: frozenset[str]


@dataclass(slots=True)
class StreamInfo:
    """What DescribeLogStreams reports, kept as events arrive (a few numbers a stream)."""

    created: float  # the first event's timestamp: Lambda creates the stream to write it
    first: float
    last: float
    # (latest timestamp of a write) for the writes that may still be inside an ingestion
    # delay; older ones are dropped as newer writes arrive, so this stays short.
    recent: deque[float] = field(default_factory=deque)


class Logs:
    """CloudWatch Logs: groups of streams of events, spilled to a temporary file.

    Events are buffered and written in chunks with ``marshal`` (the interpreter's own fast
    serialiser; the file lives only as long as this process, so its version-specific format
    is no concern), so an invocation's log lines cost a list append, not a format and write.
    Each chunk's offset, time span and groups are indexed (:class:`Chunk`), so a query reads
    only the chunks it needs, one at a time, never the whole run.
    """

    def __init__(
        self,
        groups: Iterable[str] = (),
        *,
        region: str = "us-east-1",
        account: str = "000000000000",
        chunk_events: int = 8192,
        settle: float = 60.0,
    ) -> None:
        # Held open for the simulator's life and unlinked at once: no exit, crash or kill
        # can leave it in /tmp (see looplab._spill).
        self._spill = SpillFile(prefix="looplab-logs-")
        self._file = self._spill.writer
        self.region = region
        self.account = account
        self.streams: dict[str, dict[str, int]] = defaultdict(dict)  # group -> stream -> events
        # The stack's groups exist before any event; Lambda creates others on first write.
        self.groups: set[str] = set(groups)
        self.stream_info: dict[str, dict[str, StreamInfo]] = defaultdict(dict)
        self.index: list[Chunk] = []
        self._buffer: list[Record] = []
        self._chunk_events = chunk_events
        self._settle = settle  # seconds after which a write is surely ingested (see _note)

    def put(self, t: float, group: str, stream: str, message: str) -> None:
        counts = self.streams[group]
        counts[stream] = counts.get(stream, 0) + 1
        self._note(group, stream, t, t)
        buffer = self._buffer
        buffer.append((t, group, stream, message))
        if len(buffer) >= self._chunk_events:
            self._flush()

    def put_many(self, group: str, stream: str, events: list[tuple[float, str]]) -> None:
        """One invocation's lines (START, output, END, REPORT) in one call."""
        counts = self.streams[group]
        counts[stream] = counts.get(stream, 0) + len(events)
        if events:
            self._note(group, stream, events[0][0], events[-1][0])
        buffer = self._buffer
        buffer.extend((t, group, stream, message) for t, message in events)
        if len(buffer) >= self._chunk_events:
            self._flush()

    def _note(self, group: str, stream: str, first: float, last: float) -> None:
        self.groups.add(group)
        streams = self.stream_info[group]
        info = streams.get(stream)
        if info is None:
            streams[stream] = StreamInfo(first, first, last, deque((last,)))
            return
        info.first = min(info.first, first)
        info.last = max(info.last, last)
        recent = info.recent
        recent.append(last)
        # A write older than ``settle`` seconds before this one is ingested by now under any
        # ingestion delay up to ``settle``: keep only the newest of those.
        while len(recent) > 1 and recent[1] <= first - self._settle:
            recent.popleft()

    def _flush(self) -> None:
        buffer = self._buffer
        if buffer:
            self.index.append(self._describe(self._file.tell(), buffer))
            marshal.dump(buffer, self._file)
            buffer.clear()

    @staticmethod
    def _describe(offset: int, records: list[Record]) -> Chunk:
        times = [r[0] for r in records]
        return Chunk(offset, len(records), min(times), max(times), frozenset(r[1] for r in records))

    # -- reading -------------------------------------------------------------------------

    def chunks(self) -> list[Chunk]:
        """Every chunk, the unspilled buffer last (``offset`` -1), in write order. A chunk's
        position in this list is stable: the buffer becomes the next spilled chunk whole."""
        chunks = list(self.index)
        if self._buffer:
            chunks.append(self._describe(-1, self._buffer))
        return chunks

    def load(self, chunk: Chunk) -> list[Record]:
        """One chunk's records, read from disk (or a copy of the buffer)."""
        if chunk.offset < 0:
            return list(self._buffer)
        records: list[Record] = marshal.load(self._spill.read_from(chunk.offset))
        return records

    def events(
        self, since: float | None = None, until: float | None = None, group: str | None = None
    ) -> Iterator[LogEvent]:
        for chunk in self.chunks():
            if (since is not None and chunk.last < since) or (
                until is not None and chunk.first > until
            ):
                continue
            if group is not None and group not in chunk.groups:
                continue
            for record in self.load(chunk):
                t = record[0]
                if (since is not None and t < since) or (until is not None and t > until):
                    continue
                if group is None or record[1] == group:
                    yield LogEvent(*record)

    def read_from(self, position: int) -> tuple[list[LogEvent], int]:
        """Events written after byte ``position``, and the position after them: a reader
        that keeps the position reads each event once, however long the run."""
        self._flush()
        events: list[LogEvent] = []
        # The spill's own reader: reading never moves the writer's offset.
        reader = self._spill.read_from(position)
        while True:
            try:
                chunk = marshal.load(reader)
            except EOFError:
                break
            events.extend(LogEvent(*record) for record in chunk)
        return events, reader.tell()

    def close(self) -> None:
        self._spill.close()
