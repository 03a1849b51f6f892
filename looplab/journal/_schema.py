"""The run journal's schema: every record of ``results/runs/<run>/journal.json``, declared once.

Each record is a dataclass both sides use (looplab.journal._record). The engine builds the
records as a run goes and the journal writer serialises them (``to_json``);
:func:`looplab.journal.read_journal` reads a file back into the same records
(``from_json``, after the shape checks of ``looplab.journal._checks``). A field's name is its
JSON key (``finally_`` is written ``finally``), so a field cannot mean one thing to the
writer and another to the reader. This module holds the run's records (:class:`RunDocument`,
:class:`StepRecord`, :class:`Clock`); the timeline's are in ``looplab.journal._timeline``.

Version 2 adds the run's timeline (per invocation, per drop, queue depths, per-minute metric
series) and what defines the run (stack, template hash, simulator parameters, looplab's
version and commit); version-1 journals are still read: they simply have no timeline.
``stack`` names the loop shape the run ran on (absent: ``sqs``, the post's stack), and
``observations`` may carry ``async_by_function`` (function logical ID -> ASYNC_FIELDS) and
``by_topic`` (topic logical ID -> TOPIC_FIELDS): what Lambda's asynchronous queue and SNS
counted. What the step kinds and the backends report (a step's ``args`` and ``output``, the
expectations, the observations, the definition) is theirs to shape: the schema holds it as
JSON objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from looplab.journal._record import DERIVED, JSON_KEY, ONCE_SET, Record
from looplab.journal._timeline import NO_TIMELINE, Timeline

__all__ = [
    "ASYNC_FIELDS",
    "DEFAULT_STACK",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "STATUSES",
    "TOPIC_FIELDS",
    "Clock",
    "RunDocument",
    "StepMark",
    "StepRecord",
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
    phase: str = field(default="steps", metadata={DERIVED: True})  # the list that holds it

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
    finally_: list[StepRecord] = field(default_factory=list, metadata={JSON_KEY: "finally"})
    expectations: list[dict[str, Any]] = field(default_factory=list)
    observations: dict[str, Any] = field(default_factory=dict)
    observations_after_finally: dict[str, Any] | None = None
    cleanup: str | None = None  # ok, failed, or how it was interrupted
    # Written once, at the end; {"error": why} when it could not be made or written.
    timeline: Timeline | dict[str, Any] | None = None
    stops_in_finally: list[dict[str, Any]] | None = field(default=None, metadata={ONCE_SET: True})
    backend_finish: dict[str, Any] | None = field(default=None, metadata={ONCE_SET: True})
    console_error: str | None = field(default=None, metadata={ONCE_SET: True})
    signals_during_finally: list[str] | None = field(default=None, metadata={ONCE_SET: True})
    journal_error: str | None = field(default=None, metadata={ONCE_SET: True})

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
