"""The run journal's schema: what ``results/runs/<run>/journal.json`` holds, in one place.

The engine writes this document and :mod:`looplab.results` reads it; both go through the
names here, so a field cannot mean one thing to the writer and another to the reader.
Version 2 adds the run's timeline (per invocation, per drop, queue depths, per-minute
metric series) and what defines the run (stack, template hash, simulator parameters,
looplab's version and commit). :func:`read_journal` still reads version-1 journals: they
simply have no timeline. It reads only regular files of at most 64 MiB nested at most 100
deep (``looplab._files``: JOURNAL, JSON_DEPTH), and checks the shape of every field
the results read (``looplab.journal._checks``), so a hand-edited journal is a
:class:`JournalError` naming the field, never a traceback in the report's code.

Issue 13 (still version 2, the fields are optional): ``stack`` names the loop shape the
run ran on (absent: ``sqs``, the post's stack), and ``observations`` carries
``async_by_function`` (function logical ID -> ASYNC_FIELDS) and ``by_topic`` (topic
logical ID -> TOPIC_FIELDS): what Lambda's asynchronous queue and SNS counted.

Tables inside the timeline are columnar (``{"columns": [...], "rows": [[...], ...]}``):
100,000 invocations as objects with repeated keys would be three times the size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import starmap
from pathlib import Path
from typing import Any, Literal

from looplab._files import JOURNAL, Refused, TooDeep, loads_json, read_bytes
from looplab.journal._checks import (
    ShapeError,
    check_document,
    finite,
    lst,
    non_finite_path,
    obj,
    opt_finite,
    series_of,
    table_rows,
)
from looplab.journal._queries import LAMBDA_METRICS as LAMBDA_METRICS
from looplab.journal._queries import SQS_METRICS as SQS_METRICS
from looplab.journal._queries import cloudwatch_queries, metric_query

__all__ = [
    "ASYNC_FIELDS",
    "DEFAULT_STACK",
    "DROP_COLUMNS",
    "INVOCATION_COLUMNS",
    "INVOCATION_LIMIT",
    "QUEUE_SAMPLE_COLUMNS",
    "QUEUE_SAMPLE_LIMIT",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "STATUSES",
    "TOPIC_FIELDS",
    "Drop",
    "Invocation",
    "JournalError",
    "MetricSeries",
    "QueueSample",
    "RunRecord",
    "StepMark",
    "Timeline",
    "cloudwatch_queries",
    "metric_query",
    "read_journal",
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

INVOCATION_COLUMNS = (
    "t",  # seconds since the run's start (its clock.start), when START was logged
    "function",  # logical ID
    "source",  # the queue (name from the event's eventSourceARN) or None
    "stream",  # log stream: one per execution environment
    "request_id",
    "received",  # the counter the handler logged as received, or None
    "sent",  # the counter it logged as sent, or None
    "duration_ms",  # from REPORT, or None (the run ended before it)
    "error",  # bool: an [ERROR] line or a timeout
)
DROP_COLUMNS = ("t", "function", "source")
QUEUE_SAMPLE_COLUMNS = ("t", "queue", "visible", "in_flight", "delayed")
PER_MINUTE_COLUMNS = ("minute", "function", "invocations", "errors", "max_sent")


class JournalError(Exception):
    """A journal that cannot be read: the message names the file and what is wrong."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Invocation:
    t: float
    function: str
    source: str | None
    stream: str
    request_id: str
    received: int | None
    sent: int | None
    duration_ms: float | None
    error: bool


@dataclass(frozen=True)
class Drop:
    """A stopped (recursive) invocation: exact on the simulator."""

    t: float
    function: str
    source: str | None


@dataclass(frozen=True)
class QueueSample:
    t: float
    queue: str
    visible: int
    in_flight: int
    delayed: int


@dataclass(frozen=True)
class MetricSeries:
    """One per-minute series: points are ``(seconds since the run's start, value)``."""

    namespace: str
    metric: str
    resource: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class StepMark:
    phase: str  # "steps" or "finally"
    index: int
    kind: str
    summary: str
    start: float | None
    end: float | None
    status: str


@dataclass(frozen=True)
class Timeline:
    """What happened when. Empty (``available`` False) for version-1 journals."""

    available: bool = False
    invocations: tuple[Invocation, ...] = ()
    invocations_total: int = 0
    truncated: str | None = None  # why rows stop, when they do
    per_minute: tuple[tuple[float, str, int, int, int | None], ...] = ()
    drops: tuple[Drop, ...] = ()
    drops_exact: bool = False  # False: only the per-minute series knows them
    drops_total: int = 0
    queue_samples: tuple[QueueSample, ...] = ()
    series: tuple[MetricSeries, ...] = ()
    metrics_pending: bool = False
    settle_at: float | None = None  # epoch seconds (wall) when CloudWatch has settled
    metric_queries: tuple[dict[str, Any], ...] = ()
    window: tuple[float, float] | None = None  # backend clock: the run's start and end
    notes: tuple[str, ...] = ()

    def series_for(self, metric: str, namespace: str = "AWS/Lambda") -> list[MetricSeries]:
        return [s for s in self.series if s.metric == metric and s.namespace == namespace]


@dataclass(frozen=True)
class RunRecord:
    """One journal, read: the fields the results need, and the raw document for the rest."""

    path: Path
    schema_version: int
    scenario: str
    backend: str
    status: str
    phase: str
    reason: str | None
    started_at: str | None
    ended_at: str | None
    pid: int | None
    host: str | None
    seed: int | None
    parameters: dict[str, Any]
    clock_start: float
    elapsed: float
    wall_seconds: float
    expectations: tuple[dict[str, Any], ...]
    observations: dict[str, Any]
    steps: tuple[StepMark, ...]
    timeline: Timeline
    definition: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    stack: str = DEFAULT_STACK  # the loop shape (issue 13)

    def async_counts(self) -> dict[str, dict[str, int]]:
        """Per function logical ID, the asynchronous-invocation counts (ASYNC_FIELDS)."""
        return _counts(self.observations.get("async_by_function"), ASYNC_FIELDS)

    def topic_counts(self) -> dict[str, dict[str, int]]:
        """Per topic logical ID, the SNS counts (TOPIC_FIELDS)."""
        return _counts(self.observations.get("by_topic"), TOPIC_FIELDS)

    @property
    def run(self) -> str:
        """The run's folder name: ``<UTC time>-<scenario>-<backend>``."""
        return self.path.parent.name


def read_journal(path: Path) -> RunRecord:
    """Read and check one journal; raise :class:`JournalError` saying what is wrong."""
    path = Path(path)
    text = _read_text(path)
    if not text.strip():
        raise JournalError(path, "empty file")
    constants: list[str] = []
    try:
        doc = loads_json(text, parse_constant=lambda name: constants.append(name) or float(name))
    except TooDeep as exc:  # before parsing: never a RecursionError in the report
        raise JournalError(path, f"hand-edited or damaged: {exc}") from exc
    except ValueError as exc:
        line = getattr(exc, "lineno", "?")
        raise JournalError(path, f"not valid JSON (line {line}: {exc}); truncated?") from exc
    if not isinstance(doc, dict):
        raise JournalError(path, f"a JSON {type(doc).__name__}, not a journal object")
    if constants:
        # Python's json reads Infinity and NaN; JSON has neither and looplab never writes
        # one, so one here is an edit, and it must not reach a sum or a plot's axis.
        where, value = non_finite_path(doc) or ("?", float(constants[0]))
        shown = {math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")
        raise JournalError(path, f"hand-edited or damaged: {where} is {shown}, not a JSON number")
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise JournalError(path, f"schema_version is {version!r}, not an integer")
    if version not in READABLE_VERSIONS:
        newest = max(READABLE_VERSIONS)
        hint = "written by a newer looplab; upgrade" if version > newest else "unknown"
        raise JournalError(
            path, f"schema_version {version} ({hint}); this looplab reads {list(READABLE_VERSIONS)}"
        )
    try:
        return _record(path, doc, version)
    except ShapeError as exc:
        raise JournalError(path, f"hand-edited or damaged: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(path, f"hand-edited or damaged: {type(exc).__name__}: {exc}") from exc


def _read_text(path: Path) -> str:
    """The file's text, if it is a regular file of at most looplab._files.JOURNAL: the
    glob matches anything named journal.json (a FIFO would block the collect forever, a
    link to /dev/zero never end, a 1 GB file cost 2 GB)."""
    try:
        data = read_bytes(path, JOURNAL)
    except Refused as exc:
        raise JournalError(path, exc.problem) from exc
    except OSError as exc:
        raise JournalError(path, f"cannot be read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JournalError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _record(path: Path, doc: dict[str, Any], version: int) -> RunRecord:
    for key, kind in (("scenario", str), ("backend", str), ("status", str)):
        if not isinstance(doc.get(key), kind):
            raise ValueError(f"{key!r} is {doc.get(key)!r}, expected a {kind.__name__}")
    if doc["status"] not in STATUSES:
        raise ValueError(f"status {doc['status']!r} is not one of {', '.join(STATUSES)}")
    check_document(doc)  # every field the results read, of the shape they read
    clock = doc.get("clock") or {}
    steps = [
        StepMark(
            phase,
            int(s["index"]),
            str(s["kind"]),
            str(s.get("summary", "")),
            _opt_float(s.get("clock_start")),
            _opt_float(s.get("clock_end")),
            str(s.get("status")),
        )
        for phase in ("steps", "finally")
        for s in doc.get(phase) or []
    ]
    timeline = _timeline(doc["timeline"]) if version >= 2 and doc.get("timeline") else Timeline()
    return RunRecord(
        path=path,
        schema_version=version,
        scenario=doc["scenario"],
        backend=doc["backend"],
        status=doc["status"],
        phase=str(doc.get("phase", "")),
        reason=doc.get("reason"),
        started_at=doc.get("started_at"),
        ended_at=doc.get("ended_at"),
        pid=doc.get("pid") if isinstance(doc.get("pid"), int) else None,
        host=doc.get("host") if isinstance(doc.get("host"), str) else None,
        seed=doc.get("seed"),
        parameters=dict(doc.get("parameters") or {}),
        clock_start=float(clock.get("start", 0.0)),
        elapsed=float(clock.get("elapsed", 0.0)),
        wall_seconds=float(clock.get("wall_seconds", 0.0)),
        expectations=tuple(doc.get("expectations") or ()),
        observations=dict(doc.get("observations") or {}),
        steps=tuple(steps),
        timeline=timeline,
        definition=dict(doc.get("definition") or {}),
        raw=doc,
        stack=doc["stack"] if isinstance(doc.get("stack"), str) else DEFAULT_STACK,
    )


def _counts(table: Any, names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    if not isinstance(table, dict):
        return {}
    return {
        str(key): {n: int(row.get(n) or 0) for n in names}
        for key, row in table.items()
        if isinstance(row, dict)
    }


def _timeline(data: Any) -> Timeline:
    data = obj(data, "timeline")
    metrics = obj(data.get("metrics"), "timeline.metrics")
    window = lst(data.get("window"), "timeline.window")
    if window and len(window) != 2:
        raise ShapeError("timeline.window is not a [start, end] pair")
    queries = lst(metrics.get("queries"), "timeline.metrics.queries")
    for i, query in enumerate(queries):
        if not isinstance(query, dict) or not isinstance(query.get("Id"), str):
            raise ShapeError(f"timeline.metrics.queries[{i}] is not a query with an Id")
    return Timeline(
        available=True,
        invocations=tuple(starmap(Invocation, table_rows(data, "invocations", INVOCATION_COLUMNS))),
        invocations_total=int(
            finite(data.get("invocations_total", 0), "timeline.invocations_total")
        ),
        truncated=data.get("truncated"),
        per_minute=tuple(table_rows(data, "invocations_per_minute", PER_MINUTE_COLUMNS)),
        drops=tuple(starmap(Drop, table_rows(data, "drops", DROP_COLUMNS))),
        drops_exact=bool(data.get("drops_exact", False)),
        drops_total=int(finite(data.get("drops_total", 0), "timeline.drops_total")),
        queue_samples=tuple(
            starmap(QueueSample, table_rows(data, "queue_samples", QUEUE_SAMPLE_COLUMNS))
        ),
        series=tuple(MetricSeries(*s) for s in series_of(metrics)),
        metrics_pending=bool(metrics.get("pending", False)),
        settle_at=opt_finite(metrics.get("settle_at"), "timeline.metrics.settle_at"),
        metric_queries=tuple(queries),
        window=(finite(window[0], "timeline.window"), finite(window[1], "timeline.window"))
        if window
        else None,
        notes=tuple(str(n) for n in lst(data.get("notes"), "timeline.notes")),
    )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
