"""Stop conditions on the simulator: exact at the moment they hold, and watched in finally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from looplab.backends import local
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file

ROOT = Path(__file__).parent.parent

# Protection off, a budget the steps never reach, then a finally that lets the chain run for
# two virtual minutes before it restores Terminate: the run the issue saw (527 invocations
# during cleanup, unwatched).
FINALLY_RUNAWAY = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}
scenarios:
  runaway-in-finally:
    description: the chain runs on during cleanup
    parameters:
      budget: {default: 40}
    stop_when:
      - {metric: invocations, at_least: "${budget}", note: invocation budget}
    steps:
      - purge: {queues: [queue, dlq]}
      - recursion: {function: recursive, mode: Allow}
      - seed: {queue: queue, body: {counter: 5}}
      - wait: {seconds: 1}
    finally:
      - wait: {seconds: 120}
      - recursion: {function: recursive, mode: Terminate}
      - purge: {queues: [queue, dlq]}
"""


@pytest.fixture(scope="module")
def stack() -> Any:
    from looplab.stack import load_stack

    return load_stack(ROOT, stage="dev")


def _run(stack: Any, file: Path, name: str, sets: list[str], tmp: Path) -> Any:
    scenario = build_scenario(validate_file(file, stack), name, sets, stack)
    backend = local.LocalBackend(stack, seed=0)
    try:
        return run_scenario(scenario, backend, results=tmp, seed=0, queues=sorted(stack.queues))
    finally:
        backend.close()


def test_a_budget_stops_the_moment_it_is_spent(stack: Any, tmp_path: Path) -> None:
    result = _run(stack, ROOT / "scenarios.yaml", "protection-off", ["budget=100"], tmp_path)
    doc = result.doc
    assert result.status == "aborted", doc["reason"]
    assert "stop condition met" in doc["reason"]
    [stopped] = [s for s in doc["steps"] if s["status"] == "stopped"]
    assert stopped["output"]["stop_condition"]["actual"] == 100  # not 149 (5 s polls)
    assert doc["observations"]["invocations"] == 100


def test_a_stop_is_exact_for_any_budget(stack: Any, tmp_path: Path) -> None:
    result = _run(stack, ROOT / "scenarios.yaml", "protection-off", ["budget=37"], tmp_path)
    [stopped] = [s for s in result.doc["steps"] if s["status"] == "stopped"]
    assert stopped["output"]["stop_condition"]["actual"] == 37


def test_finally_is_watched_and_braked(stack: Any, tmp_path: Path) -> None:
    file = tmp_path / "scenarios.yaml"
    file.write_text(FINALLY_RUNAWAY)
    result = _run(stack, file, "runaway-in-finally", [], tmp_path)
    doc = result.doc
    assert result.status == "completed", doc["reason"]  # the steps themselves passed
    assert doc["cleanup"] == "ok"  # the remaining cleanup still ran
    [hit] = doc["stops_in_finally"]
    assert hit["actual"] == 40
    assert hit["check"] == "invocations"
    assert hit["brake"]["applied"] is True
    assert hit["brake"]["actions"], "the brake says what it did"
    # Braked at 40: only what was already running can add to it (batch size 1, one chain).
    assert doc["observations_after_finally"]["invocations"] <= 41
    assert any("finally" in w and "stop condition" in w for w in doc["warnings"])
    after = doc["observations_after_finally"]["queues"]
    assert all(sum(q.values()) == 0 for q in after.values())


def test_no_stop_condition_no_watch(stack: Any, tmp_path: Path) -> None:
    # Without stop_when nothing is armed: the journal has no finally stops.
    result = _run(stack, ROOT / "scenarios.yaml", "loop-detection", [], tmp_path)
    assert result.status == "completed"
    assert result.doc.get("stops_in_finally", []) == []


def test_finally_on_the_aws_backend_records_its_rail_and_goes_on(
    stack: Any, tmp_path: Path
) -> None:
    # The aws backend on the simulator's own AWS APIs (as tests/test_backend_aws_sim.py):
    # its budget rail counts the logs during finally's wait, brakes and raises; the engine
    # records that as a stop in finally, not a failed cleanup, and the cleanup goes on.
    from looplab.backends.aws import AwsBackend, Calls, SimulatorClock, StackRecord
    from looplab.cli import invocation_budget
    from looplab.sim import Simulator

    file = tmp_path / "scenarios.yaml"
    file.write_text(FINALLY_RUNAWAY)
    scenario = build_scenario(validate_file(file, stack), "runaway-in-finally", [], stack)
    sim = Simulator(stack, seed=0)
    record = StackRecord.from_dict(sim.stack_record())
    calls = Calls(sim.session(), region=record.region, stage=record.stage)
    mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
    budget = invocation_budget(scenario)
    backend = AwsBackend(
        record, calls, SimulatorClock(sim), mappings=mappings, allow_recursion=True, budget=budget
    )
    try:
        result = run_scenario(scenario, backend, results=tmp_path, queues=sorted(stack.queues))
    finally:
        backend.close()
        sim.close()
    doc = result.doc
    assert doc["cleanup"] == "ok", doc["reason"]
    [hit] = doc["stops_in_finally"]
    assert "invocation budget spent" in hit["reason"]
    assert hit["brake"] == {"applied": True, "by": "aws"}
    assert [s["status"] for s in doc["finally"]] == ["stopped", "ok", "ok"]
    budget_out = doc["backend_finish"]["budget"]
    assert budget_out["tripped"] and budget_out["concurrency_cap"].startswith("released")
