"""What CloudWatch Logs stores of the functions' output: log events, on the virtual clock.

Bounded by simulated time, not by the number of invocations: log events are streamed to a
temporary file on disk (read back only when asked), so 100,000 invocations do not grow the
process. The store only records; what CloudWatch Logs would *answer* (lateness, pages,
filter patterns) is :mod:`.model`, which reads it through :meth:`Logs.chunks` /
:meth:`Logs.load`.
"""

from __future__ import annotations

import marshal
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from looplab.sim._spill import SpillFile


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
        # can leave it in /tmp (see looplab.sim._spill).
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
