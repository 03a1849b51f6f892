"""The engine on the tests' toy backend: statuses, journal, expectations, stop, finally."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import DLQ, QUEUE, FakeBackend, fake_stack

from looplab.backends.base import BackendError
from looplab.engine import run_scenario
from looplab.scenarios import Scenario, build_scenario, validate_file

TESTS = Path(__file__).parent
ROOT = TESTS.parent
DATA = TESTS / "data" / "scenarios"
JOURNAL_KEYS = {
    "scenario",
    "backend",
    "parameters",
    "seed",
    "status",
    "started_at",
    "ended_at",
    "looplab_version",
    "steps",
    "observations",
    "expectations",
    "finally",
}
STEP_KEYS = {"index", "kind", "status", "started_at", "ended_at", "output", "error"}


def scenario(
    name: str,
    file: Path = ROOT / "scenarios.yaml",
    sets: list[str] | None = None,
    text: str | None = None,
    tmp: Path | None = None,
) -> Scenario:
    if text is not None:
        assert tmp is not None
        file = tmp / "s.yaml"
        file.write_text(text)
    stack = fake_stack()
    return build_scenario(validate_file(file, stack), name, sets or [], stack)


class Reader:
    """Reads the journal from disk around every step, as another process would."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.seen: list[dict[str, Any]] = []

    def run_started(self, scenario: Any, journal: Path) -> None:
        self.path = journal
        self.seen.append(json.loads(journal.read_text()))

    def step_started(self, *args: Any) -> None:
        assert self.path is not None
        self.seen.append(json.loads(self.path.read_text()))

    def step_finished(self, phase: str, record: dict[str, Any]) -> None:
        assert self.path is not None
        doc = json.loads(self.path.read_text())
        assert doc[phase][-1]["status"] == record["status"] != "running"
        self.seen.append(doc)


@pytest.mark.parametrize(
    "name", ["loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"]
)
def test_shipped_scenarios_pass_on_the_toy_backend(name: str, tmp_path: Path) -> None:
    reader = Reader()
    result = run_scenario(
        scenario(name),
        FakeBackend(),
        results=tmp_path,
        seed=3,
        stage="dev",
        queues=[QUEUE, DLQ],
        listener=reader,
    )
    assert result.status == "completed", result.doc["reason"]
    assert result.exit_code == 0
    doc = json.loads(result.journal_path.read_text())
    assert set(doc) >= JOURNAL_KEYS
    assert doc["seed"] == 3 and doc["backend"] == "fake" and doc["stage"] == "dev"
    for record in doc["steps"] + doc["finally"]:
        assert set(record) >= STEP_KEYS
        assert record["status"] == "ok"
    # the journal was valid JSON, and further along, at every step
    steps = len(doc["steps"]) + len(doc["finally"])
    assert len(reader.seen) == 1 + 2 * steps
    assert [d["status"] for d in reader.seen[:-1]] == ["running"] * (len(reader.seen) - 1)
    assert doc["observations"]["queues"].keys() == {QUEUE, DLQ}
    assert doc["observations_after_finally"]["queues"][QUEUE]["visible"] == 0
    assert all(e["passed"] for e in doc["expectations"])


def test_run_folder_is_time_scenario_backend(tmp_path: Path) -> None:
    result = run_scenario(scenario("loop-detection"), FakeBackend(), results=tmp_path)
    folder = result.journal_path.parent
    assert folder.parent == tmp_path / "runs"
    assert re.fullmatch(r"\d{8}T\d{6}Z-loop-detection-fake", folder.name)
    again = run_scenario(scenario("loop-detection"), FakeBackend(), results=tmp_path)
    assert again.journal_path.parent != folder  # same second: a suffix, never a clash
    assert list(folder.iterdir()) == [result.journal_path]  # no temp files left


def test_observations_in_the_journal(tmp_path: Path) -> None:
    result = run_scenario(
        scenario("dlq-capture"), FakeBackend(), results=tmp_path, queues=[QUEUE, DLQ]
    )
    obs = result.doc["observations"]
    assert (obs["invocations"], obs["errors"], obs["recursive_invocations_dropped"]) == (16, 0, 1)
    assert obs["by_source"][QUEUE]["invoked_events"] == 16
    assert obs["by_function"]["RecursiveLambdaFunction"]["invocations"] == 16
    assert obs["max_counter_sent"] == 21
    [message] = obs["drained"][DLQ]
    assert message["counter"] == 21 and json.loads(message["body"]) == {"counter": 21}
    assert message["receive_count"] >= 1


def test_a_failing_expectation_exits_1_and_says_why(tmp_path: Path) -> None:
    result = run_scenario(
        scenario("too-hopeful", DATA / "failing.yaml"), FakeBackend(), results=tmp_path
    )
    assert result.status == "failed" and result.exit_code == 1
    doc = json.loads(result.journal_path.read_text())
    failed = {e["check"]: e for e in doc["expectations"] if not e["passed"]}
    assert set(failed) == {"invocations", "drained_counter[queue=DeadLetterQueue]"}
    assert failed["invocations"]["actual"] == 16
    assert failed["invocations"]["expected"] == ">= 100"
    assert failed["invocations"]["reason"] == "invocations is 16, expected >= 100"
    assert (
        "no message was drained from DeadLetterQueue"
        in failed["drained_counter[queue=DeadLetterQueue]"]["reason"]
    )
    assert "invocations is 16" in doc["reason"]
    assert doc["steps"][-1]["status"] == "failed"
    assert doc["cleanup"] == "ok"


def test_a_backend_error_aborts_and_finally_still_runs(tmp_path: Path) -> None:
    backend = FakeBackend(fail={"seed": BackendError("SQS said no")})
    result = run_scenario(scenario("loop-detection"), backend, results=tmp_path)
    assert result.status == "aborted" and result.exit_code == 1
    doc = result.doc
    assert [s["status"] for s in doc["steps"]] == ["ok", "error"]
    assert doc["steps"][1]["error"] == "BackendError: SQS said no"
    assert "step 2 (seed)" in doc["reason"]
    assert [s["kind"] for s in doc["finally"]] == ["purge"]
    assert backend.calls.count("purge") == 4  # two queues, before and after


def test_a_failing_finally_step_does_not_stop_the_others(tmp_path: Path) -> None:
    backend = FakeBackend()
    sc = scenario("dlq-reconnect")
    backend.fail["set_mapping"] = BackendError("mapping busy")
    result = run_scenario(sc, backend, results=tmp_path)
    assert [s["status"] for s in result.doc["finally"]] == ["error", "ok"]
    assert result.doc["cleanup"] == "failed"
    assert result.exit_code == 1


STOPPER = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, fn: RecursiveLambdaFunction}
scenarios:
  budget:
    description: protection off with a tiny budget
    stop_when:
      - {metric: invocations, at_least: 50, note: budget}
    steps:
      - purge: {queues: [queue, dlq]}
      - recursion: {function: fn, mode: Allow}
      - seed: {queue: queue, body: {counter: 5}}
      - wait: {seconds: 30}
      - expect: {metric: errors, equals: 0}
    finally:
      - recursion: {function: fn, mode: Terminate}
  never:
    description: a wait that times out
    steps:
      - wait: {until: {metric: visible, queue: dlq, at_least: 1}, timeout: 12, poll: 2}
      - expect: {metric: visible, queue: dlq, equals: 0}
"""


def test_a_stop_condition_aborts_the_run(tmp_path: Path) -> None:
    backend = FakeBackend()
    result = run_scenario(scenario("budget", text=STOPPER, tmp=tmp_path), backend, results=tmp_path)
    assert result.status == "aborted" and result.exit_code == 1
    assert "stop condition met: invocations >= 50 (budget)" in result.doc["reason"]
    wait = result.doc["steps"][-1]
    assert wait["kind"] == "wait" and wait["status"] == "stopped"
    assert wait["output"]["stop_condition"]["actual"] == 996
    assert backend.recursion == "Terminate"  # finally restored it
    assert result.doc["stop_when"] == [
        {"check": "invocations", "expected": ">= 50", "note": "budget"}
    ]


def test_a_wait_that_times_out_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    backend = FakeBackend()
    result = run_scenario(scenario("never", text=STOPPER, tmp=tmp_path), backend, results=tmp_path)
    wait = result.doc["steps"][0]
    assert wait["status"] == "timeout"
    assert wait["output"]["held"] is False and wait["output"]["waited"] == 12
    assert wait["output"]["conditions"][0]["passed"] is False
    assert result.status == "completed"
    assert result.doc["clock"]["elapsed"] == 12
