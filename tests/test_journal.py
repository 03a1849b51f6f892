"""The journal: schema v2 read back, v1 still read, bad journals named, the write's cost
linear in steps, no temporary file after a failed write, run folders past 999 a second."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import DLQ, QUEUE, FakeBackend, fake_stack

from looplab.backends.base import DropRecord, FunctionLogEvent, MetricPoint, TimelineSource
from looplab.engine import _journal as journal_module
from looplab.engine import run_scenario
from looplab.engine._recorder import Recorder
from looplab.journal import (
    INVOCATION_LIMIT,
    SCHEMA_VERSION,
    JournalError,
    StepRecord,
    Timeline,
    cloudwatch_queries,
    read_journal,
)
from looplab.scenarios import build_scenario, validate_file

ROOT = Path(__file__).parent.parent


def toy_run(tmp: Path, name: str = "loop-detection", backend: Any = None) -> Any:
    stack = fake_stack()
    sfile = validate_file(ROOT / "scenarios.yaml", stack)
    scenario = build_scenario(sfile, name, [], stack)
    return run_scenario(scenario, backend or FakeBackend(), results=tmp, queues=[QUEUE, DLQ])


def test_a_journal_reads_back_through_the_schema(tmp_path: Path) -> None:
    result = toy_run(tmp_path)
    record = read_journal(result.journal_path)
    assert record.schema_version == SCHEMA_VERSION == 2
    assert (record.scenario, record.backend, record.status) == (
        "loop-detection",
        "fake",
        "completed",
    )
    assert record.pid is not None and record.host
    assert [s.kind for s in record.steps if s.phase == "steps"] == [
        "purge",
        "seed",
        "wait",
        "snapshot",
        "expect",
    ]
    assert record.definition["looplab_version"] and "stack" in record.definition
    # The toy backend offers no log events: the timeline says so instead of inventing them.
    assert record.timeline.available and record.timeline.invocations == ()
    assert any("no log events" in n for n in record.timeline.notes)
    assert {s.queue for s in record.timeline.queue_samples} == {QUEUE, DLQ}


def test_version_1_journals_are_still_read(tmp_path: Path) -> None:
    doc = json.loads(toy_run(tmp_path).journal_path.read_text())
    doc["schema_version"] = 1
    for key in ("timeline", "definition", "pid", "host"):
        del doc[key]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    record = read_journal(old)
    assert record.schema_version == 1 and record.status == "completed"
    assert not record.timeline.available and record.pid is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty file"),
        ('{"schema_version": 2, "scen', "not valid JSON"),
        ("[1, 2]", "a JSON list, not a journal object"),
        ('{"schema_version": "2"}', "schema_version is '2', not an integer"),
        ('{"schema_version": 99}', "schema_version 99 (written by a newer looplab; upgrade)"),
        ('{"schema_version": 2, "scenario": 5}', "hand-edited or damaged"),
        (
            '{"schema_version": 2, "scenario": "s", "backend": "b", "status": "done"}',
            "status 'done' is not one of",
        ),
    ],
)
def test_bad_journals_are_named_with_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "journal.json"
    path.write_text(text)
    with pytest.raises(JournalError) as caught:
        read_journal(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(JournalError, match="not UTF-8"):
        read_journal(path)


def test_each_finished_step_is_serialised_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linear cost: later writes reuse a sealed step's text instead of re-encoding it."""
    encoded: list[Any] = []
    real = journal_module._dumps

    def counting(value: Any) -> str:
        if isinstance(value, StepRecord) and value.status != "running":
            encoded.append(id(value))
        return real(value)

    monkeypatch.setattr(journal_module, "_dumps", counting)
    result = toy_run(tmp_path)
    steps = len(result.doc["steps"]) + len(result.doc["finally"])
    assert steps == 6
    assert len(encoded) == steps  # once each, at its seal; never in the ~13 writes after


def test_large_journals_are_paced_small_ones_written_every_time(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    journal = journal_module.Journal(folder, {"steps": []})
    journal.write()
    assert journal.due()  # small: every write happens
    journal.doc["steps"] = [{"blob": "x" * (100 * 1024)}]
    journal.write()
    assert not journal.due()  # large and just written: the next paced write waits
    assert json.loads(journal.path.read_text())["steps"][0]["blob"].startswith("x")


def test_a_failed_write_leaves_no_temporary_file_and_the_old_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    journal = journal_module.Journal(folder, {"status": "running"})
    journal.write()
    journal.doc["status"] = "completed"

    class Full:
        """A file on a full disk: the write fails part way (as ENOSPC does)."""

        def __init__(self, file: Any) -> None:
            self.file = file

        def write(self, text: str) -> int:
            self.file.write(text[:10])
            raise OSError(28, "No space left on device")

    real = journal_module.replacing

    @contextlib.contextmanager
    def full(path: Path, **options: Any) -> Iterator[Full]:
        with real(path, **options) as f:
            yield Full(f)

    monkeypatch.setattr(journal_module, "replacing", full)
    with pytest.raises(OSError, match="No space"):
        journal.write()
    monkeypatch.undo()
    assert [p.name for p in folder.iterdir()] == ["journal.json"]
    assert json.loads(journal.path.read_text()) == {"status": "running"}


def test_the_end_of_a_run_says_what_happened_when_a_smaller_journal_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = journal_module.Journal.write

    def flaky(self: Any) -> None:
        if self.doc.phase == "done" and isinstance(self.doc.timeline, Timeline):
            raise OSError(28, "No space left on device")  # the full document does not fit
        real(self)

    monkeypatch.setattr(journal_module.Journal, "write", flaky)
    result = toy_run(tmp_path)
    doc = json.loads(result.journal_path.read_text())
    assert doc["phase"] == "done" and doc["status"] == "completed"
    assert doc["journal_error"] == "OSError: [Errno 28] No space left on device"
    assert doc["timeline"] == {"error": "not written: OSError: [Errno 28] No space left on device"}
    assert [p.name for p in result.journal_path.parent.iterdir()] == ["journal.json"]


def test_run_folders_past_999_in_one_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls(2026, 12, 1, 12, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(journal_module, "datetime", Frozen)
    made = {journal_module.run_dir(tmp_path, "s", "local").name for _ in range(1005)}
    assert len(made) == 1005
    assert "20261201T120000Z-s-local" in made and "20261201T120000Z-s-local-99" in made


class LoggingBackend(FakeBackend, TimelineSource):
    """The toy backend plus the timeline methods, playing N invocations' log events."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def log_events(self, since: float, until: float | None = None) -> Any:
        for i in range(self.n):
            t, stream = since + i * 0.066, f"s{i % 2}"
            rid = f"req-{i}"
            yield FunctionLogEvent(t, stream, f"START RequestId: {rid} Version: $LATEST", "Fn")
            yield FunctionLogEvent(t, stream, f"Received counter {i} from arn:aws:sqs:r:1:q", "Fn")
            yield FunctionLogEvent(t, stream, f"Sending count {i + 1}", "Fn")
            yield FunctionLogEvent(t + 0.03, stream, f"END RequestId: {rid}", "Fn")
            yield FunctionLogEvent(
                t + 0.03, stream, f"REPORT RequestId: {rid}\tDuration: 30.00 ms\tBilled", "Fn"
            )

    def dropped_invocations(self, since: float, until: float | None = None) -> list[DropRecord]:
        return []

    def metric_series(self, since: float, until: float) -> list[MetricPoint]:
        return [
            MetricPoint("AWS/Lambda", "Invocations", "f", since + m * 60, 900.0) for m in range(111)
        ]


def test_100000_invocations_keep_the_journal_under_1_mib(tmp_path: Path) -> None:
    backend = LoggingBackend(100_000)
    recorder = Recorder(backend, backend.now(), [QUEUE, DLQ])
    backend.clock += 6600.0
    definition = {"stack": {"queues": {"Queue": {"name": "q"}}, "functions": {}}}
    timeline = recorder.timeline(definition).to_json()
    text = json.dumps(timeline)
    assert len(text) < 1024 * 1024, len(text)
    assert timeline["invocations_total"] == 100_000
    assert len(timeline["invocations"]["rows"]) == INVOCATION_LIMIT
    assert timeline["truncated"].startswith("100000 invocations: the first 5000")
    per_minute = timeline["invocations_per_minute"]["rows"]
    assert sum(row[2] for row in per_minute) == 100_000 - INVOCATION_LIMIT
    first = dict(
        zip(timeline["invocations"]["columns"], timeline["invocations"]["rows"][0], strict=True)
    )
    assert (first["received"], first["sent"], first["source"]) == (0, 1, "Queue")


def test_cloudwatch_queries_cover_every_metric_with_its_statistic() -> None:
    queries = cloudwatch_queries(["fn"], ["q", "dlq"])
    assert len(queries) == 5 + 2 * 6
    assert len({q["Id"] for q in queries}) == len(queries)
    stats = {q["MetricStat"]["Metric"]["MetricName"]: q["MetricStat"]["Stat"] for q in queries}
    assert stats["RecursiveInvocationsDropped"] == "Sum"
    assert stats["ApproximateNumberOfMessagesNotVisible"] == "Maximum"


DEEP_REPLY = """\
version: 1
scenarios:
  deep:
    description: a synchronous call whose reply nests 900 deep, then cleanup
    steps:
      - invoke: {function: RecursiveLambdaFunction, payload: {counter: 7}, type: RequestResponse}
    finally:
      - purge: {queue: Queue}
"""


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


class OddReplies(FakeBackend):
    """The toy backend whose synchronous replies JSON cannot hold as they are."""

    def __init__(self, reply: Any) -> None:
        super().__init__()
        self.reply = reply

    def invoke(self, function: str, payload: Any, invocation_type: str = "Event") -> Any:
        super().invoke(function, payload, invocation_type)
        return {"StatusCode": 200, "Payload": self.reply}


def _loop() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    ("reply", "placeholder"),
    [
        (_nested(900), "<not recorded: nested deeper than 64 levels>"),
        (_loop(), "<not recorded: a value that contains itself>"),
        (10**5000, "<not recorded: an integer of 16610 bits>"),
        (object(), "<not recorded: a object, not a JSON value>"),
    ],
    ids=["900-deep", "self-containing", "5000-digit-int", "object"],
)
def test_the_last_write_lands_whatever_a_reply_holds(
    tmp_path: Path, reply: Any, placeholder: str
) -> None:
    """Before: the 900-deep reply's RecursionError failed every later write, and the journal
    on disk stayed ``running`` with ``finally: []``."""
    path = tmp_path / "s.yaml"
    path.write_text(DEEP_REPLY)
    scenario = build_scenario(validate_file(path, fake_stack()), "deep", [], fake_stack())
    result = run_scenario(scenario, OddReplies(reply), results=tmp_path, queues=[QUEUE, DLQ])
    doc = json.loads(result.journal_path.read_text())
    assert doc["status"] == result.status == "completed", doc["reason"]
    assert doc["phase"] == "done" and doc["cleanup"] == "ok"
    assert [s["kind"] for s in doc["finally"]] == ["purge"]
    assert doc["finally"][0]["status"] == "ok"
    assert "journal_error" not in doc
    # The value that could not be written is described where it was, the rest kept.
    shown = doc["steps"][0]["output"]["reply"]["Payload"]
    while isinstance(shown, list) and shown and shown[0] != placeholder:
        shown = shown[0]
    assert placeholder in (shown if isinstance(shown, list) else [shown])
    assert read_journal(result.journal_path).status == "completed"
