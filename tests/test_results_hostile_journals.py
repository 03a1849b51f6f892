"""collect-results with one damaged journal among good ones (review finding 3).

Each journal here is a good one the simulator wrote, with ONE field changed as a hand
edit or a damaged disk would: valid JSON, the wrong shape. docs/results.md promises such a
journal "is named (file and problem) and skipped; the rest is collected", exit 0.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _support.runs import run_shipped

from looplab.journal import JournalError, read_journal
from looplab.results import _collect as collect_module
from looplab.results import collect
from looplab.results.cli import collect_command

ROOT = Path(__file__).parent.parent
BAD = "runs/20990101T000000Z-bad-local/journal.json"


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with one loop-detection run, collected (so its plot is drawn and
    cached: the cases below cost no drawing)."""
    results = tmp_path_factory.mktemp("hostile") / "results"
    run_shipped(results)
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and len(outcome.plotted) == 1
    return results


@pytest.fixture
def results(good: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "results"
    shutil.copytree(good, copy)
    return copy


def good_doc(results: Path) -> dict[str, Any]:
    [path] = [p for p in results.glob("runs/*/journal.json") if "bad" not in str(p)]
    return json.loads(path.read_text())


def set_path(doc: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value


def write_bad(results: Path, doc: dict[str, Any]) -> Path:
    path = results / BAD
    path.parent.mkdir(parents=True)
    # json.dumps writes float("inf") as Infinity and float("nan") as NaN, as a hand edit would.
    path.write_text(json.dumps(doc))
    return path


def assert_skipped_and_rest_collected(results: Path, *words: str) -> str:
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0, outcome.message
    assert [r.scenario for r in outcome.runs] == ["loop-detection"]
    skipped = dict(outcome.skipped)
    assert list(skipped) == [BAD]
    for word in words:
        assert word in skipped[BAD], skipped[BAD]
    md = (results / "report.md").read_text()
    assert BAD in md and "## loop-detection" in md
    return skipped[BAD]


def running(pid: int) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["status"], doc["pid"] = "running", pid

    return edit


def invocation_cell(column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        table = doc["timeline"]["invocations"]
        table["rows"][0][table["columns"].index(column)] = value

    return edit


def last_invocation_t(value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        table = doc["timeline"]["invocations"]
        table["rows"][-1][table["columns"].index("t")] = value

    return edit


def queue_cell(column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        table = doc["timeline"]["queue_samples"]
        table["rows"][0][table["columns"].index(column)] = value

    return edit


def field(dotted: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: set_path(doc, dotted, value)


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, ...]]] = {
    # The review's reproductions.
    "snapshots a list": (field("observations.snapshots", ["x"]), ("observations.snapshots",)),
    "expectation a number": (field("expectations", [1]), ("expectations[0]",)),
    "drained message a string": (
        field("observations.drained", {"DeadLetterQueue": ["x"]}),
        ("observations.drained.DeadLetterQueue[0]",),
    ),
    "definition.stack a string": (field("definition", {"stack": "x"}), ("definition.stack",)),
    "pid past any process id": (running(2**70), ("pid",)),
    "invocation t a string": (invocation_cell("t", "x"), ("timeline.invocations", "t")),
    "clock.elapsed Infinity": (field("clock.elapsed", float("inf")), ("clock.elapsed",)),
    # Neighbours of the same kind.
    "clock.start NaN": (field("clock.start", float("nan")), ("clock.start",)),
    "elapsed overflows to inf": (field("clock.elapsed", 1e999), ("clock.elapsed",)),
    "pid negative": (running(-1), ("pid",)),
    "pid zero": (running(0), ("pid",)),
    "snapshot state a string": (
        field("observations.snapshots", {"after": {"DeadLetterQueue": "x"}}),
        ("observations.snapshots.after.DeadLetterQueue",),
    ),
    "snapshot state null": (
        field("observations.snapshots", {"after": {"DeadLetterQueue": None}}),
        ("observations.snapshots.after.DeadLetterQueue", "null"),
    ),
    "snapshot null": (
        field("observations.snapshots", {"after": None}),
        ("observations.snapshots.after", "null"),
    ),
    "drained queue null": (
        field("observations.drained", {"DeadLetterQueue": None}),
        ("observations.drained.DeadLetterQueue", "null"),
    ),
    "queues state a list": (field("observations.queues", {"Queue": [1]}), ("observations.queues",)),
    "drained a list": (field("observations.drained", ["x"]), ("observations.drained",)),
    "by_function a string": (field("observations.by_function", "x"), ("observations.by_function",)),
    "async counts text": (
        field("observations.async_by_function", {"recursive": {"dead_letter_errors": "x"}}),
        ("observations.async_by_function.recursive.dead_letter_errors",),
    ),
    "log_streams a number": (field("observations.log_streams", 3), ("observations.log_streams",)),
    "observations a list": (field("observations", [1]), ("observations",)),
    "started_at a number": (field("started_at", 5), ("started_at",)),
    "definition.stack.queues a list": (
        field("definition.stack.queues", ["x"]),
        ("definition.stack.queues",),
    ),
    "invocation sent a string": (invocation_cell("sent", "21"), ("timeline.invocations", "sent")),
    "last invocation t text": (
        last_invocation_t("x"),
        ("timeline.invocations.rows[15].t", "expected a number"),
    ),
    "invocation t infinite": (invocation_cell("t", float("inf")), ("timeline.invocations", "t")),
    "invocation function a number": (
        invocation_cell("function", 7),
        ("timeline.invocations", "function"),
    ),
    "queue sample visible text": (
        queue_cell("visible", "x"),
        ("timeline.queue_samples", "visible"),
    ),
    "rows a string": (field("timeline.invocations.rows", "x"), ("timeline.invocations.rows",)),
    "row too short": (field("timeline.invocations.rows", [[1]]), ("timeline.invocations.rows[0]",)),
    "metric point text": (
        field(
            "timeline.metrics.series",
            [
                {
                    "namespace": "AWS/Lambda",
                    "metric": "Invocations",
                    "resource": "recursive",
                    "points": [["x", 1]],
                }
            ],
        ),
        ("timeline.metrics.series[0].points[0]",),
    ),
    "step start text": (field("steps.0.clock_start", "x"), ("steps[0].clock_start",)),
    "steps an object": (field("steps", {"a": 1}), ("steps",)),
    "clock a string": (field("clock", "x"), ("clock",)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_field_is_named_and_the_rest_collected(results: Path, case: str) -> None:
    edit, words = CASES[case]
    doc = good_doc(results)
    edit(doc)
    path = write_bad(results, doc)
    with pytest.raises(JournalError) as caught:
        read_journal(path)
    assert str(path) in str(caught.value)
    assert_skipped_and_rest_collected(results, *words)


def test_infinity_anywhere_is_refused_with_where(results: Path) -> None:
    """looplab never writes Infinity/NaN (not JSON); one in a field nothing checks still
    says where it is."""
    doc = good_doc(results)
    doc["observations"]["extra"] = {"deep": [0, float("-inf")]}
    write_bad(results, doc)
    assert_skipped_and_rest_collected(results, "observations.extra.deep[1]", "-Infinity")


def test_a_fifo_named_journal_is_skipped_not_read(results: Path) -> None:
    fifo = results / BAD
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(collect(results, cloudwatch=None)))
    worker.daemon = True
    worker.start()
    # Bounds the failure (a reader blocked forever) only: the collect of one run takes ~2 s
    # on an idle 2-core machine, several under a CPU hog.
    worker.join(300)
    if worker.is_alive():  # release the blocked reader before failing
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(10)
        pytest.fail("collect-results blocked reading a FIFO")
    [outcome] = done
    assert outcome.exit_code == 0 and [r.scenario for r in outcome.runs] == ["loop-detection"]
    assert "not a regular file" in dict(outcome.skipped)[BAD]


def test_a_directory_named_journal_is_skipped(results: Path) -> None:
    (results / BAD).mkdir(parents=True)
    assert_skipped_and_rest_collected(results, "not a regular file")


@pytest.mark.parametrize("where", ["summarise", "settle"])
def test_any_error_summarising_one_journal_names_it(
    results: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Whatever a shape check misses: one journal's failure is that journal's problem."""
    doc = good_doc(results)
    doc["backend"] = "aws" if where == "settle" else doc["backend"]
    write_bad(results, doc)
    real = getattr(collect_module, where)

    def flaky(record: Any, *args: Any) -> Any:
        if "bad" in str(record.path):
            raise RuntimeError("boom in " + where)
        return real(record, *args)

    monkeypatch.setattr(collect_module, where, flaky)
    problem = assert_skipped_and_rest_collected(results, "RuntimeError", f"boom in {where}")
    assert "unexpected" in problem


def test_a_timeline_that_cannot_be_drawn_skips_that_run_only(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bad(results, good_doc(results))
    real = collect_module.draw

    def flaky(data: Any, path: Path) -> None:
        if "bad" in str(path):
            raise ValueError("Axis limits cannot be NaN or Inf")
        real(data, path)

    monkeypatch.setattr(collect_module, "draw", flaky)
    problem = assert_skipped_and_rest_collected(results, "timeline", "Axis limits")
    assert not (results / BAD).with_name("timeline.png").exists()
    # Not cached as drawn: the next collect tries again (and says so again).
    again = collect(results, cloudwatch=None)
    assert dict(again.skipped) == {BAD: problem}


def test_the_command_names_the_journal_and_exits_0(
    results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = good_doc(results)
    doc["observations"]["snapshots"] = ["x"]
    write_bad(results, doc)
    assert collect_command(results) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "20990101T000000Z-bad-local" in err
    assert "observations.snapshots" in err and "Traceback" not in err


def test_only_damaged_journals_exit_2(tmp_path: Path, good: Path) -> None:
    doc = good_doc(good)
    doc["expectations"] = [1]
    write_bad(tmp_path, doc)
    outcome = collect(tmp_path, cloudwatch=None)
    assert outcome.exit_code == 2 and list(dict(outcome.skipped)) == [BAD]


@pytest.mark.parametrize("totals", ["x", [1], None, {"Invocations": float("inf")}])
def test_a_damaged_collected_json_is_fetched_again_not_fatal(tmp_path: Path, totals: Any) -> None:
    """collected.json (what CloudWatch said later) is read as the journal is: a damaged
    one is as good as none, so the run stays pending (offline) and is reported."""
    from test_results_aws import aws_journal

    path = aws_journal(tmp_path)
    (path.parent / "collected.json").write_text(json.dumps({"ok": True, "totals": totals}))
    outcome = collect(tmp_path, cloudwatch=None)
    assert outcome.exit_code == 0 and not outcome.skipped
    [run] = outcome.runs
    assert run.pending == "yes" and run.invocations == 9
    assert [p[0] for p in outcome.pending] == [run.run]


@pytest.mark.parametrize(
    "damage", [{"started_at": 5}, {"invocations": "x"}, {"status": None}, {"wall_seconds": "1"}]
)
def test_a_damaged_cache_entry_is_read_again(results: Path, damage: dict[str, Any]) -> None:
    """The cache is a file too: an entry of the wrong shape means reading the journal."""
    cache_path = results / collect_module.CACHE_NAME
    cache = json.loads(cache_path.read_text())
    [entry] = cache["runs"].values()
    entry["summary"].update(damage)
    cache_path.write_text(json.dumps(cache))
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and not outcome.skipped
    [run] = outcome.runs
    assert run.status == "completed" and run.invocations == 16
    assert run.started_at.startswith("20") and isinstance(run.wall_seconds, float)
