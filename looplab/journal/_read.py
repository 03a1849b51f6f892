"""Reading a journal: :func:`read_journal` -> :class:`RunRecord`, or a :class:`JournalError`.

It reads only regular files of at most 64 MiB nested at most 100 deep (``looplab._files``:
JOURNAL, JSON_DEPTH), and checks the shape of every field the results read
(``looplab.journal._checks``) before it builds the schema's records from them, so a
hand-edited journal is a :class:`JournalError` naming the field, never a traceback in the
report's code. Version-1 journals are read too: they have no timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from looplab._files import JOURNAL, Refused, TooDeep, loads_json, read_bytes
from looplab.journal._checks import ShapeError, check_document, non_finite_path
from looplab.journal._schema import (
    ASYNC_FIELDS,
    DEFAULT_STACK,
    READABLE_VERSIONS,
    STATUSES,
    TOPIC_FIELDS,
    RunDocument,
    StepRecord,
)
from looplab.journal._timeline import NO_TIMELINE, Timeline

__all__ = ["JournalError", "RunRecord", "read_journal"]


class JournalError(Exception):
    """A journal that cannot be read: the message names the file and what is wrong."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class RunRecord:
    """One journal, read: the file, its :class:`RunDocument`'s fields the results read (the
    clock flattened, both phases' steps in one tuple) and the raw document for the rest."""

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
    steps: tuple[StepRecord, ...]
    timeline: Timeline
    definition: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    stack: str = DEFAULT_STACK  # the loop shape

    @classmethod
    def of(cls, path: Path, doc: RunDocument, raw: dict[str, Any]) -> RunRecord:
        timeline = doc.timeline
        return cls(
            path=path,
            schema_version=doc.schema_version,
            scenario=doc.scenario,
            backend=doc.backend,
            status=doc.status,
            phase=doc.phase,
            reason=doc.reason,
            started_at=doc.started_at,
            ended_at=doc.ended_at,
            pid=doc.pid,
            host=doc.host,
            seed=doc.seed,
            parameters=doc.parameters,
            clock_start=doc.clock.start,
            elapsed=doc.clock.elapsed,
            wall_seconds=doc.clock.wall_seconds,
            expectations=tuple(doc.expectations),
            observations=doc.observations,
            steps=(*doc.steps, *doc.finally_),
            timeline=timeline if isinstance(timeline, Timeline) else NO_TIMELINE,
            definition=doc.definition,
            raw=raw,
            stack=doc.stack,
        )

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
        return _record(path, doc)
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


def _record(path: Path, doc: dict[str, Any]) -> RunRecord:
    for key, kind in (("scenario", str), ("backend", str), ("status", str)):
        if not isinstance(doc.get(key), kind):
            raise ValueError(f"{key!r} is {doc.get(key)!r}, expected a {kind.__name__}")
    if doc["status"] not in STATUSES:
        raise ValueError(f"status {doc['status']!r} is not one of {', '.join(STATUSES)}")
    check_document(doc)  # every field the results read, of the shape they read
    return RunRecord.of(path, RunDocument.from_json(doc), doc)


def _counts(table: Any, names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    if not isinstance(table, dict):
        return {}
    return {
        str(key): {n: int(row.get(n) or 0) for n in names}
        for key, row in table.items()
        if isinstance(row, dict)
    }
