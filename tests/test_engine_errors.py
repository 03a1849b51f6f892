"""Failures outside a step, signals at awkward moments, a broken console: the journal still
ends, ``finally`` still runs, the run still returns."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import DLQ, QUEUE, FakeBackend, fake_stack

from looplab.backends.base import BackendError, Observations
from looplab.engine import RunSetupError, run_scenario
from looplab.engine import _journal as journal_module
from looplab.scenarios import Scenario, build_scenario, validate_file

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SLOW = TESTS / "data" / "scenarios" / "slow.yaml"

BUDGET = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, fn: RecursiveLambdaFunction}
scenarios:
  budget:
    description: protection off, watched by a budget
    stop_when:
      - {metric: invocations, at_least: 50, note: budget}
    steps:
      - purge: {queues: [queue, dlq]}
      - recursion: {function: fn, mode: Allow}
      - seed: {queue: queue, body: {counter: 5}}
      - wait: {seconds: 30}
    finally:
      - recursion: {function: fn, mode: Terminate}
  never:
    description: a wait that times out
    steps:
      - wait: {until: {metric: visible, queue: dlq, at_least: 1}, timeout: 12, poll: 2}
      - expect: {metric: visible, queue: dlq, equals: 0}
"""


def scenario(name: str, tmp: Path, text: str = BUDGET) -> Scenario:
    file = tmp / "s.yaml"
    file.write_text(text)
    stack = fake_stack()
    return build_scenario(validate_file(file, stack), name, [], stack)


def on_disk(result: Any) -> dict[str, Any]:
    return json.loads(result.journal_path.read_text())


class BlindAfterAllow(FakeBackend):
    """observations() fails once RecursiveLoop is Allow (CloudWatch throttling, say)."""

    def observations(self, since: float | None = None) -> Observations:
        if self.recursion == "Allow":
            raise BackendError("CloudWatch: Throttling")
        return super().observations(since)


def test_an_observations_error_after_recursion_allow_still_runs_finally(tmp_path: Path) -> None:
    backend = BlindAfterAllow()
    result = run_scenario(scenario("budget", tmp_path), backend, results=tmp_path)
    assert backend.recursion == "Terminate"  # finally restored it
    assert result.status == "aborted" and result.exit_code == 1
    doc = on_disk(result)
    assert doc["status"] == "aborted" and doc["phase"] == "done" and doc["ended_at"]
    step = doc["steps"][1]
    assert (step["kind"], step["status"]) == ("recursion", "error")
    assert (
        "checking stop_when after the step: BackendError: CloudWatch: Throttling" in (step["error"])
    )
    assert step["output"] == {"function": "RecursiveLambdaFunction", "recursive_loop": "Allow"}
    assert [(s["kind"], s["status"]) for s in doc["finally"]] == [("recursion", "ok")]


def test_an_engine_error_between_steps_aborts_then_finally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = journal_module.Journal.write
    writes = {"n": 0}

    def flaky(self: Any) -> None:
        writes["n"] += 1
        if writes["n"] == 5:  # the write after step 2 (recursion Allow)
            raise OSError(28, "No space left on device")
        real(self)

    monkeypatch.setattr(journal_module.Journal, "write", flaky)
    backend = FakeBackend()
    result = run_scenario(scenario("budget", tmp_path), backend, results=tmp_path)
    assert backend.recursion == "Terminate"
    assert result.status == "aborted" and result.exit_code == 1
    doc = on_disk(result)
    assert doc["status"] == "aborted"
    assert doc["reason"] == "engine error: OSError: [Errno 28] No space left on device"
    assert doc["cleanup"] == "ok"


def test_a_failing_baseline_is_an_aborted_journal_not_a_traceback(tmp_path: Path) -> None:
    backend = FakeBackend(fail={"observations": BackendError("no credentials")})
    result = run_scenario(scenario("budget", tmp_path), backend, results=tmp_path)
    assert result.status == "aborted" and result.exit_code == 1
    doc = on_disk(result)
    assert doc["reason"] == (
        "setup failed: cannot read the backend's observations at the start: "
        "BackendError: no credentials"
    )
    assert doc["steps"] == [] and doc["phase"] == "done"
    assert "error" in doc["observations_after_finally"]


def test_an_unwritable_results_folder_is_a_setup_error(tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("a file, not a folder")
    with pytest.raises(RunSetupError, match="cannot make the run's folder under"):
        run_scenario(scenario("budget", tmp_path), FakeBackend(), results=blocker)


class _Signals:
    """Sends this process SIGINTs at chosen moments."""

    @staticmethod
    def send(count: int) -> None:
        for _ in range(count):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)  # let the handler run before the next one


class SignalsAtTheEnd(FakeBackend):
    """Two SIGINTs during the end-of-run observations read (after the finally steps)."""

    armed: bool = False

    def observations(self, since: float | None = None) -> Observations:
        if self.armed:
            self.armed = False
            _Signals.send(2)
        return super().observations(since)


@pytest.mark.usefixtures("sigint_default")
def test_signals_after_the_finally_steps_are_only_noted(tmp_path: Path) -> None:
    backend = SignalsAtTheEnd()

    class Arm:
        def step_finished(self, phase: str, record: dict[str, Any]) -> None:
            if phase == "finally" and record["kind"] == "snapshot":
                backend.armed = True

    stack = fake_stack()
    sc = build_scenario(validate_file(SLOW, stack), "slow", ["seconds=5"], stack)
    result = run_scenario(sc, backend, results=tmp_path, listener=Arm())
    assert result.status == "completed" and result.exit_code == 0
    doc = on_disk(result)
    assert (doc["status"], doc["phase"]) == ("completed", "done") and doc["ended_at"]
    assert doc["signals_during_finally"] == ["SIGINT", "SIGINT"]
    assert doc["observations_after_finally"]["queues"][QUEUE]["visible"] == 0


@pytest.mark.usefixtures("sigint_default")
def test_a_signal_at_the_very_start_is_recorded_and_finally_runs(tmp_path: Path) -> None:
    class InterruptAtStart:
        def run_started(self, scenario: Any, journal: Path) -> None:
            _Signals.send(1)

    backend = FakeBackend()
    result = run_scenario(
        scenario("budget", tmp_path), backend, results=tmp_path, listener=InterruptAtStart()
    )
    assert result.status == "interrupted" and result.exit_code == 130
    doc = on_disk(result)
    assert doc["status"] == "interrupted" and doc["steps"] == []
    assert [(s["kind"], s["status"]) for s in doc["finally"]] == [("recursion", "ok")]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_broken_listener_still_hears_how_the_run_ended(tmp_path: Path) -> None:
    class Broken:
        def __init__(self) -> None:
            self.ended: list[str] = []

        def step_started(self, *args: Any) -> None:
            raise RuntimeError("terminal went away")

        def run_finished(self, doc: dict[str, Any]) -> None:
            self.ended.append(doc["status"])

    listener = Broken()
    result = run_scenario(
        scenario("budget", tmp_path), FakeBackend(), results=tmp_path, listener=listener
    )
    assert listener.ended == ["aborted"]  # the budget stopped it; the listener was told
    assert on_disk(result)["console_error"] == "step_started: RuntimeError: terminal went away"


def test_a_timed_out_wait_is_a_warning_in_the_journal(tmp_path: Path) -> None:
    result = run_scenario(scenario("never", tmp_path), FakeBackend(), results=tmp_path)
    assert result.status == "completed" and result.exit_code == 0  # the expect decides
    [warning] = on_disk(result)["warnings"]
    assert warning.startswith("steps 1 (line 18): wait until visible[queue=DeadLetterQueue]")
    assert "timed out after 12 s" in warning
    assert "visible[queue=DeadLetterQueue] is 0, expected >= 1" in warning


def test_a_failed_cleanup_says_why_in_the_reason(tmp_path: Path) -> None:
    backend = FakeBackend()
    sc = scenario("budget", tmp_path)
    backend.fail["set_recursion"] = BackendError("throttled")
    result = run_scenario(sc, backend, results=tmp_path)
    assert result.doc["cleanup"] == "failed" and result.exit_code == 1
    assert result.doc["reason"].endswith(
        "cleanup failed: finally 1 (recursion): BackendError: throttled"
    )


def test_log_streams_count_only_what_the_run_started(tmp_path: Path) -> None:
    stack = fake_stack()
    sfile = validate_file(ROOT / "scenarios.yaml", stack)
    sc = build_scenario(sfile, "loop-detection", [], stack)
    backend = FakeBackend()
    first = run_scenario(sc, backend, results=tmp_path, queues=[QUEUE, DLQ])
    assert first.doc["observations"]["log_streams"] == ["stream-1"]
    again = run_scenario(sc, backend, results=tmp_path, queues=[QUEUE, DLQ])
    assert again.doc["observations"]["invocations"] == 16
    assert again.doc["observations"]["log_streams"] == []  # the stream existed before
