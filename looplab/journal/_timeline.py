"""The journal's timeline: what happened when, written once at a run's end.

:class:`Timeline` holds the run's invocations, stopped invocations and queue depths as
columnar tables (``{"columns": [...], "rows": [[...], ...]}``: 100,000 invocations as
objects with repeated keys would be three times the size) and its per-minute metric series.
Each table's rows are a :class:`Row` record: its fields are the table's columns, in order,
and each field's type is the kind of cell the reader checks (looplab.journal._checks).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from itertools import starmap
from operator import attrgetter
from typing import Any, ClassVar

from looplab.journal._checks import ShapeError, finite, lst, obj, opt_finite, series_of, table_rows
from looplab.journal._record import DERIVED, Record

__all__ = [
    "DROP_COLUMNS",
    "INVOCATION_COLUMNS",
    "INVOCATION_LIMIT",
    "NO_TIMELINE",
    "PER_MINUTE_COLUMNS",
    "QUEUE_SAMPLE_COLUMNS",
    "QUEUE_SAMPLE_LIMIT",
    "Drop",
    "Invocation",
    "MetricSeries",
    "MinuteCount",
    "QueueSample",
    "Row",
    "Timeline",
]

# The bound: a protection-off run of 100,000 invocations keeps a journal under 1 MiB.
# The first INVOCATION_LIMIT invocations (and as many drops) are kept one row each; the
# rest are summed per minute and per function (``invocations_per_minute``), and the
# timeline's ``truncated`` says so. 5,000 rows are ~400 KB; the shipped scenarios stay
# far below (protection-off: ~1,000).
INVOCATION_LIMIT = 5_000
# Queue depths are sampled every few seconds of the backend's clock during waits; past
# this many rows per run the sampling interval doubles (older rows thinned out).
QUEUE_SAMPLE_LIMIT = 4_000


# A row field's type -> the kind of cell the reader checks (looplab.journal._checks). A row
# field of any other type is a KeyError when this module is imported.
_CELL_KINDS = {
    "float": "t",  # a finite number: a time
    "float | None": "num?",
    "str": "str",
    "str | None": "str?",
    "int": "int",
    "int | None": "int?",
    "bool": "bool",
}


class Row:
    """A row of a columnar timeline table: its fields are the columns, in order."""

    # Set by _row_table from the dataclass's fields.
    COLUMNS: ClassVar[tuple[str, ...]]
    CELLS: ClassVar[dict[str, str]]  # column -> the kind of cell the reader checks
    _cells: ClassVar[Any]  # the row's cells, in the columns' order

    def row(self) -> list[Any]:
        return list(type(self)._cells(self))


def _row_table(cls: Any) -> Any:
    """Finish a Row dataclass: its columns and cell kinds, from its fields."""
    columns = tuple(f.name for f in dataclasses.fields(cls))
    cls.COLUMNS = columns
    cls.CELLS = {f.name: _CELL_KINDS[str(f.type)] for f in dataclasses.fields(cls)}
    cls._cells = attrgetter(*columns)
    return cls


@_row_table
@dataclass(frozen=True)
class Invocation(Row):
    t: float  # seconds since the run's start (its clock.start), when START was logged
    function: str  # logical ID
    source: str | None  # the queue (logical ID, from the event's eventSourceARN) or None
    stream: str  # log stream: one per execution environment
    request_id: str
    received: int | None  # the counter the handler logged as received, or None
    sent: int | None  # the counter it logged as sent, or None
    duration_ms: float | None  # from REPORT, or None (the run ended before it)
    error: bool  # an [ERROR] line or a timeout


@_row_table
@dataclass(frozen=True)
class MinuteCount(Row):
    """The invocations past INVOCATION_LIMIT, summed per minute and function."""

    minute: float  # seconds since the run's start, a multiple of 60
    function: str
    invocations: int
    errors: int
    max_sent: int | None


@_row_table
@dataclass(frozen=True)
class Drop(Row):
    """A stopped (recursive) invocation: exact on the simulator."""

    t: float
    function: str
    source: str | None


@_row_table
@dataclass(frozen=True)
class QueueSample(Row):
    t: float
    queue: str
    visible: int
    in_flight: int
    delayed: int


INVOCATION_COLUMNS = Invocation.COLUMNS
PER_MINUTE_COLUMNS = MinuteCount.COLUMNS
DROP_COLUMNS = Drop.COLUMNS
QUEUE_SAMPLE_COLUMNS = QueueSample.COLUMNS


def _table(rows: tuple[Row, ...], cls: type[Row]) -> dict[str, Any]:
    return {"columns": list(cls.COLUMNS), "rows": [r.row() for r in rows]}


def _rows(data: dict[str, Any], name: str, cls: Any) -> tuple[Any, ...]:
    return tuple(starmap(cls, table_rows(data, name, cls.CELLS)))


@dataclass(frozen=True)
class MetricSeries(Record):
    """One per-minute series: points are ``(seconds since the run's start, value)``."""

    namespace: str
    metric: str
    resource: str
    points: tuple[tuple[float, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.members(), "points": [list(p) for p in self.points]}


# -- the timeline --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline(Record):
    """What happened when: written once, at the run's end. :data:`NO_TIMELINE` for
    version-1 journals."""

    window: tuple[float, float] | None = None  # backend clock: the run's start and end
    invocations: tuple[Invocation, ...] = ()
    # False: the backend offers no log events; ``invocations`` is then written null, and
    # without ``truncated`` and ``invocations_per_minute``.
    log_events: bool = True
    invocations_total: int = 0
    truncated: str | None = None  # why rows stop, when they do
    per_minute: tuple[MinuteCount, ...] = ()  # written as invocations_per_minute (or null)
    drops: tuple[Drop, ...] = ()  # written null unless drops_exact
    drops_exact: bool = False  # False: only the per-minute series knows them
    drops_total: int = 0
    queue_samples: tuple[QueueSample, ...] = ()
    # metrics: the per-minute series and how to fetch them settled.
    period: int = 60
    series: tuple[MetricSeries, ...] = ()
    metrics_pending: bool = False
    settle_at: float | None = None  # epoch seconds (wall) when CloudWatch has settled
    metric_queries: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    available: bool = field(default=True, metadata={DERIVED: True})  # False: version 1

    def series_for(self, metric: str, namespace: str = "AWS/Lambda") -> list[MetricSeries]:
        return [s for s in self.series if s.metric == metric and s.namespace == namespace]

    def members(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"window": list(self.window) if self.window is not None else None}
        if self.log_events:
            doc["invocations"] = _table(self.invocations, Invocation)
            doc["invocations_total"] = self.invocations_total
            doc["truncated"] = self.truncated
            doc["invocations_per_minute"] = (
                _table(self.per_minute, MinuteCount) if self.per_minute else None
            )
        else:
            doc["invocations"] = None
            doc["invocations_total"] = self.invocations_total
        doc["drops"] = _table(self.drops, Drop) if self.drops_exact else None
        doc["drops_exact"] = self.drops_exact
        doc["drops_total"] = self.drops_total
        doc["queue_samples"] = _table(self.queue_samples, QueueSample)
        doc["metrics"] = {
            "period": self.period,
            "series": [s.to_json() for s in self.series],
            "pending": self.metrics_pending,
            "settle_at": self.settle_at,
            "queries": list(self.metric_queries),
        }
        doc["notes"] = list(self.notes)
        return doc

    def to_json(self) -> dict[str, Any]:
        return self.members()  # every value in it is JSON already

    @classmethod
    def from_json(cls, data: Any) -> Timeline:
        """A written timeline, every cell checked (ShapeError naming the first bad one)."""
        data = obj(data, "timeline")
        metrics = obj(data.get("metrics"), "timeline.metrics")
        window = lst(data.get("window"), "timeline.window")
        if window and len(window) != 2:
            raise ShapeError("timeline.window is not a [start, end] pair")
        queries = lst(metrics.get("queries"), "timeline.metrics.queries")
        for i, query in enumerate(queries):
            if not isinstance(query, dict) or not isinstance(query.get("Id"), str):
                raise ShapeError(f"timeline.metrics.queries[{i}] is not a query with an Id")
        return cls(
            window=(finite(window[0], "timeline.window"), finite(window[1], "timeline.window"))
            if window
            else None,
            invocations=_rows(data, "invocations", Invocation),
            log_events=data.get("invocations") is not None,
            invocations_total=int(
                finite(data.get("invocations_total", 0), "timeline.invocations_total")
            ),
            truncated=data.get("truncated"),
            per_minute=_rows(data, "invocations_per_minute", MinuteCount),
            drops=_rows(data, "drops", Drop),
            drops_exact=bool(data.get("drops_exact", False)),
            drops_total=int(finite(data.get("drops_total", 0), "timeline.drops_total")),
            queue_samples=_rows(data, "queue_samples", QueueSample),
            period=int(finite(metrics.get("period", 60), "timeline.metrics.period")),
            series=tuple(starmap(MetricSeries, series_of(metrics))),
            metrics_pending=bool(metrics.get("pending", False)),
            settle_at=opt_finite(metrics.get("settle_at"), "timeline.metrics.settle_at"),
            metric_queries=tuple(queries),
            notes=tuple(str(n) for n in lst(data.get("notes"), "timeline.notes")),
        )


NO_TIMELINE = Timeline(available=False)
