"""The run journal's schema: every record of ``results/runs/<run>/journal.json``, declared once.

Each record is a dataclass both sides use. The engine builds the records as a run goes and
the journal writer serialises them (:meth:`Record.to_json`); :func:`looplab.journal.read_journal`
reads a file back into the same records (``from_json``, after the shape checks of
``looplab.journal._checks``). A field's name is its JSON key (``finally_`` is written
``finally``), so a field cannot mean one thing to the writer and another to the reader; the
timeline's tables take their columns, in order, from their row records' fields, and the
kind of each cell the reader checks from the field's type.

Version 2 adds the run's timeline (per invocation, per drop, queue depths, per-minute metric
series) and what defines the run (stack, template hash, simulator parameters, looplab's
version and commit); version-1 journals are still read: they simply have no timeline.
``stack`` names the loop shape the run ran on (absent: ``sqs``, the post's stack), and
``observations`` may carry ``async_by_function`` (function logical ID -> ASYNC_FIELDS) and
``by_topic`` (topic logical ID -> TOPIC_FIELDS): what Lambda's asynchronous queue and SNS
counted. What the step kinds and the backends report (a step's ``args`` and ``output``, the
expectations, the observations, the definition) is theirs to shape: the schema holds it as
JSON objects.

Tables inside the timeline are columnar (``{"columns": [...], "rows": [[...], ...]}``):
100,000 invocations as objects with repeated keys would be three times the size.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cache
from itertools import starmap
from operator import attrgetter
from typing import Any, ClassVar, Literal

from looplab.journal._checks import ShapeError, finite, lst, obj, opt_finite, series_of, table_rows

__all__ = [
    "ASYNC_FIELDS",
    "DEFAULT_STACK",
    "DROP_COLUMNS",
    "INVOCATION_COLUMNS",
    "INVOCATION_LIMIT",
    "NO_TIMELINE",
    "PER_MINUTE_COLUMNS",
    "QUEUE_SAMPLE_COLUMNS",
    "QUEUE_SAMPLE_LIMIT",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "STATUSES",
    "TOPIC_FIELDS",
    "Clock",
    "Drop",
    "Invocation",
    "MetricSeries",
    "MinuteCount",
    "QueueSample",
    "Record",
    "RunDocument",
    "StepMark",
    "StepRecord",
    "Timeline",
]

SCHEMA_VERSION = 2
DEFAULT_STACK = "sqs"
ASYNC_FIELDS = (
    "async_events_received",
    "async_events_dropped",
    "dead_letter_errors",
    "destination_delivery_failures",
)
TOPIC_FIELDS = ("published", "delivered", "failed")
READABLE_VERSIONS = (1, 2)

Status = Literal["running", "completed", "failed", "aborted", "interrupted"]
STATUSES: tuple[str, ...] = ("running", "completed", "failed", "aborted", "interrupted")

# The bound: a protection-off run of 100,000 invocations keeps a journal under 1 MiB.
# The first INVOCATION_LIMIT invocations (and as many drops) are kept one row each; the
# rest are summed per minute and per function (``invocations_per_minute``), and the
# timeline's ``truncated`` says so. 5,000 rows are ~400 KB; the shipped scenarios stay
# far below (protection-off: ~1,000).
INVOCATION_LIMIT = 5_000
# Queue depths are sampled every few seconds of the backend's clock during waits; past
# this many rows per run the sampling interval doubles (older rows thinned out).
QUEUE_SAMPLE_LIMIT = 4_000

# Field metadata: the JSON key when the field's name cannot be it (``finally``); a field
# written only once it is set (the run's last words: absent, not null, before); a field the
# reader derives that is never written.
_KEY = "json_key"
_ONCE_SET = "written_once_set"
_DERIVED = "not_written"


class Record:
    """A journal record: a dataclass whose fields are its JSON object's members."""

    def members(self) -> dict[str, Any]:
        """The JSON object's members, in the schema's order, values as held: a nested record
        stays a record, so the journal writer can reuse the text of one it sealed."""
        out: dict[str, Any] = {}
        for f in _written(type(self)):
            value = getattr(self, f.name)
            if value is None and f.metadata.get(_ONCE_SET):
                continue
            out[f.metadata.get(_KEY, f.name)] = value
        return out

    def to_json(self) -> dict[str, Any]:
        """The record as JSON values (nested records too); other values as they are held."""
        return {key: _json(value) for key, value in self.members().items()}


@cache
def _written(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if not f.metadata.get(_DERIVED))


def _json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, list) and value and isinstance(value[0], Record):
        return [item.to_json() for item in value]
    return value


# -- the timeline's rows -------------------------------------------------------------------

# A row field's type -> the kind of cell the reader checks (looplab.journal._checks).
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
    available: bool = field(default=True, metadata={_DERIVED: True})  # False: version 1

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


# -- the run -------------------------------------------------------------------------------


@dataclass
class StepRecord(Record):
    """One step of ``steps`` or ``finally``: written when it starts (``running``), then
    once more when it ends; finished, it never changes."""

    index: int
    kind: str
    summary: str
    line: int | None  # in the scenario file
    args: dict[str, Any]
    status: str = "running"
    started_at: str | None = None  # wall clock, UTC
    ended_at: str | None = None
    clock_start: float | None = None  # seconds since the run's start, on the backend's clock
    clock_end: float | None = None
    output: dict[str, Any] | None = None  # the step kind's
    error: str | None = None
    phase: str = field(default="steps", metadata={_DERIVED: True})  # the list that holds it

    @classmethod
    def from_json(cls, phase: str, data: dict[str, Any]) -> StepRecord:
        return cls(
            index=int(data["index"]),
            kind=str(data["kind"]),
            summary=str(data.get("summary", "")),
            line=data.get("line"),
            args=data.get("args") or {},
            status=str(data.get("status")),
            started_at=data.get("started_at"),
            ended_at=data.get("ended_at"),
            clock_start=_opt_float(data.get("clock_start")),
            clock_end=_opt_float(data.get("clock_end")),
            output=data.get("output"),
            error=data.get("error"),
            phase=phase,
        )


StepMark = StepRecord  # the name results read steps by before the writer shared the record


@dataclass
class Clock(Record):
    start: float  # the backend's clock when the run started
    elapsed: float = 0.0  # backend seconds since
    wall_seconds: float = 0.0  # this host's seconds since


@dataclass(kw_only=True)
class RunDocument(Record):
    """The journal: the engine fills it in as the run goes and writes it after every step.

    The fields after ``timeline`` are the run's last words, written only once set.
    """

    schema_version: int = SCHEMA_VERSION
    scenario: str
    description: str | None = None
    scenario_file: str | None = None
    stack: str = DEFAULT_STACK  # the loop shape
    backend: str
    stage: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    status: str = "running"  # until finally is done; ``reason`` says why as soon as known
    phase: str = "steps"  # steps, finally, done
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    started_at: str | None = None
    ended_at: str | None = None
    # Who writes this journal: a reader tells a live run from a dead one by them.
    pid: int | None = None
    host: str | None = None
    looplab_version: str | None = None
    definition: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default_factory=lambda: Clock(0.0))
    stop_when: list[dict[str, Any]] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    finally_: list[StepRecord] = field(default_factory=list, metadata={_KEY: "finally"})
    expectations: list[dict[str, Any]] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    observations_after_finally: dict[str, Any] | None = None
    cleanup: str | None = None  # ok, failed, or how it was interrupted
    # Written once, at the end; {"error": why} when it could not be made or written.
    timeline: Timeline | dict[str, Any] | None = None
    stops_in_finally: list[dict[str, Any]] | None = field(default=None, metadata={_ONCE_SET: True})
    backend_finish: dict[str, Any] | None = field(default=None, metadata={_ONCE_SET: True})
    console_error: str | None = field(default=None, metadata={_ONCE_SET: True})
    signals_during_finally: list[str] | None = field(default=None, metadata={_ONCE_SET: True})
    journal_error: str | None = field(default=None, metadata={_ONCE_SET: True})

    def steps_of(self, phase: str) -> list[StepRecord]:
        """The list of ``phase`` (``steps`` or ``finally``)."""
        return self.finally_ if phase == "finally" else self.steps

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RunDocument:
        """A journal's document, after its shape was checked (looplab.journal._checks): the
        fields a version-1 journal lacks take their defaults; the timeline is read."""
        version = doc["schema_version"]
        clock = doc.get("clock") or {}
        timeline = doc.get("timeline")
        return cls(
            schema_version=version,
            scenario=doc["scenario"],
            description=doc.get("description"),
            scenario_file=doc.get("scenario_file"),
            stack=doc["stack"] if isinstance(doc.get("stack"), str) else DEFAULT_STACK,
            backend=doc["backend"],
            stage=doc.get("stage"),
            parameters=dict(doc.get("parameters") or {}),
            seed=doc.get("seed"),
            status=doc["status"],
            phase=str(doc.get("phase", "")),
            reason=doc.get("reason"),
            warnings=list(doc.get("warnings") or ()),
            started_at=doc.get("started_at"),
            ended_at=doc.get("ended_at"),
            pid=doc.get("pid") if isinstance(doc.get("pid"), int) else None,
            host=doc.get("host") if isinstance(doc.get("host"), str) else None,
            looplab_version=doc.get("looplab_version"),
            definition=dict(doc.get("definition") or {}),
            clock=Clock(
                float(clock.get("start", 0.0)),
                float(clock.get("elapsed", 0.0)),
                float(clock.get("wall_seconds", 0.0)),
            ),
            stop_when=list(doc.get("stop_when") or ()),
            steps=[StepRecord.from_json("steps", s) for s in doc.get("steps") or ()],
            finally_=[StepRecord.from_json("finally", s) for s in doc.get("finally") or ()],
            expectations=list(doc.get("expectations") or ()),
            observations=dict(doc.get("observations") or {}),
            observations_after_finally=doc.get("observations_after_finally"),
            cleanup=doc.get("cleanup"),
            timeline=Timeline.from_json(timeline) if version >= 2 and timeline else NO_TIMELINE,
            stops_in_finally=doc.get("stops_in_finally"),
            backend_finish=doc.get("backend_finish"),
            console_error=doc.get("console_error"),
            signals_during_finally=doc.get("signals_during_finally"),
            journal_error=doc.get("journal_error"),
        )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
