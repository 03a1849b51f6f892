"""The journal is written through the same typed records it is read with.

Before, the engine wrote dict literals (``{"index": ..., "kind": ...}``, the timeline's
``{"columns": [...], "rows": [...]}``) and looplab.journal read them back by the same
strings, typed by its own dataclasses: nothing tied the two. Now the engine builds the
schema's records (RunDocument, StepRecord, Clock, Timeline and its rows) and the writer
serialises them; these tests hold that, and that what is written reads back into the same
records, field for field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import DLQ, QUEUE, FakeBackend, fake_stack
from _support.runs import run_shipped
from test_journal import LoggingBackend

from looplab.engine import _journal as journal_module
from looplab.engine import run_scenario
from looplab.engine._recorder import Recorder
from looplab.journal import (
    INVOCATION_COLUMNS,
    PER_MINUTE_COLUMNS,
    Clock,
    Invocation,
    MinuteCount,
    RunDocument,
    StepRecord,
    Timeline,
    read_journal,
)
from looplab.scenarios import build_scenario, validate_file

ROOT = Path(__file__).parent.parent


def _toy_run(results: Path) -> Path:
    stack = fake_stack()
    scenario = build_scenario(
        validate_file(ROOT / "scenarios.yaml", stack), "loop-detection", [], stack
    )
    return run_scenario(scenario, FakeBackend(), results=results, queues=[QUEUE, DLQ]).journal_path


def test_the_engine_writes_the_schema_s_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[Any] = []
    real = journal_module.Journal.write

    def spy(self: Any) -> None:
        written.append(self.doc)
        real(self)

    monkeypatch.setattr(journal_module.Journal, "write", spy)
    _toy_run(tmp_path)
    assert written, "the run wrote no journal"
    (doc,) = {id(d): d for d in written}.values()  # one document, filled in as the run went
    assert isinstance(doc, RunDocument) and isinstance(doc.clock, Clock)
    assert doc.steps and doc.finally_
    assert all(isinstance(s, StepRecord) for s in (*doc.steps, *doc.finally_))
    assert {s.phase for s in doc.finally_} == {"finally"}
    assert isinstance(doc.timeline, Timeline)


def _round_trip(path: Path) -> tuple[str, str]:
    """The file's JSON, and the same read into the schema's records and serialised again."""
    doc = json.loads(path.read_text())
    again = RunDocument.from_json(doc).to_json()
    return json.dumps(doc), json.dumps(again)


def test_a_toy_journal_reads_back_into_its_records(tmp_path: Path) -> None:
    """The fake backend offers no log events: ``invocations`` is null, and stays null."""
    written, again = _round_trip(_toy_run(tmp_path))
    assert '"invocations": null' in written
    assert written == again


@pytest.mark.parametrize("name", ["loop-detection", "dlq-reconnect"])
def test_a_simulated_journal_reads_back_into_its_records(name: str, tmp_path: Path) -> None:
    """Every field: the steps of both phases, the clock, the timeline's rows and series."""
    run_shipped(tmp_path, name)
    (path,) = tmp_path.glob("runs/*/journal.json")
    written, again = _round_trip(path)
    assert written == again
    record = read_journal(path)
    assert record.timeline.invocations and record.timeline.series  # there was something to read
    assert [s.kind for s in record.steps] == [
        s["kind"] for phase in ("steps", "finally") for s in json.loads(written)[phase]
    ]


def test_a_truncated_timeline_reads_back_into_its_records() -> None:
    """Past INVOCATION_LIMIT the rest are summed per minute: that table round-trips too."""
    backend = LoggingBackend(6_000)
    recorder = Recorder(backend, backend.now(), [QUEUE])
    backend.clock += 600.0
    timeline = recorder.timeline({"stack": {"queues": {"Queue": {"name": "q"}}, "functions": {}}})
    assert timeline.per_minute and timeline.truncated
    written = timeline.to_json()
    assert written["invocations"]["columns"] == list(INVOCATION_COLUMNS)
    assert written["invocations_per_minute"]["columns"] == list(PER_MINUTE_COLUMNS)
    assert Timeline.from_json(json.loads(json.dumps(written))) == timeline


def test_a_table_s_columns_and_checks_come_from_its_row_record() -> None:
    assert tuple(Invocation.__dataclass_fields__) == INVOCATION_COLUMNS
    assert Invocation.CELLS["received"] == "int?" and Invocation.CELLS["error"] == "bool"
    assert MinuteCount.CELLS == {
        "minute": "t",
        "function": "str",
        "invocations": "int",
        "errors": "int",
        "max_sent": "int?",
    }
