"""The shipped scenarios on the local simulator reproduce the seed post's observations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from looplab.backends import local
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file

ROOT = Path(__file__).parent.parent
NAMES = ["loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"]


@pytest.fixture(scope="module")
def stack() -> Any:
    from looplab.stack import load_stack

    return load_stack(ROOT, stage="dev")  # `sls package`, cached by input hash


def run(stack: Any, name: str, tmp: Path, backend: Any = None, sets: list[str] | None = None):
    sfile = validate_file(ROOT / "scenarios.yaml", stack)
    scenario = build_scenario(sfile, name, sets or [], stack)
    backend = backend or local.LocalBackend(stack, seed=0)
    return run_scenario(scenario, backend, results=tmp, seed=0, queues=sorted(stack.queues))


def checks(doc: dict[str, Any]) -> dict[str, Any]:
    return {e["check"]: e["actual"] for e in doc["expectations"]}


@pytest.mark.parametrize("name", NAMES)
def test_shipped_scenario_passes(stack: Any, name: str, tmp_path: Path) -> None:
    result = run(stack, name, tmp_path)
    assert result.status == "completed", result.doc["reason"]
    assert result.exit_code == 0
    after = result.doc["observations_after_finally"]["queues"]
    assert all(sum(q.values()) == 0 for q in after.values()), "must leave a clean state"


def test_loop_detection_matches_the_post(stack: Any, tmp_path: Path) -> None:
    doc = run(stack, "loop-detection", tmp_path).doc
    obs = doc["observations"]
    assert obs["invocations"] == 16  # counter 5 -> stopped after 21
    assert obs["errors"] == 0
    assert obs["recursive_invocations_dropped"] >= 1
    assert obs["max_counter_sent"] == 21
    assert obs["counters_sent"] == list(range(6, 22))
    assert obs["snapshots"]["stopped"]["DeadLetterQueue"]["visible"] == 1


def test_dlq_capture_holds_the_stopped_counter(stack: Any, tmp_path: Path) -> None:
    doc = run(stack, "dlq-capture", tmp_path).doc
    [message] = doc["observations"]["drained"]["DeadLetterQueue"]
    assert json.loads(message["body"]) == {"counter": 21}
    assert doc["clock"]["elapsed"] >= 120


def test_dlq_reconnect_leaves_the_message_in_flight(stack: Any, tmp_path: Path) -> None:
    doc = run(stack, "dlq-reconnect", tmp_path).doc
    obs = doc["observations"]
    assert obs["snapshots"]["stuck"]["DeadLetterQueue"] == {
        "visible": 0,
        "in_flight": 1,
        "delayed": 0,
    }
    assert obs["by_source"]["DeadLetterQueue"]["invoked_events"] == 0
    assert obs["recursive_invocations_dropped"] >= 11  # 1 from the queue, then the DLQ's
    assert obs["invocations"] == 16


def test_protection_off_runs_to_the_cap(stack: Any, tmp_path: Path) -> None:
    doc = run(stack, "protection-off", tmp_path).doc
    obs = doc["observations"]
    assert obs["max_counter_sent"] == 1000
    assert obs["invocations"] == 996  # 5 -> 1000, the last one sends nothing
    assert obs["recursive_invocations_dropped"] == 0


def test_each_leaves_the_state_the_next_one_needs(stack: Any, tmp_path: Path) -> None:
    backend = local.LocalBackend(stack, seed=1)
    try:
        for name in [*NAMES, "loop-detection"]:  # after protection-off: Terminate again
            result = run(stack, name, tmp_path, backend)
            assert result.status == "completed", (name, result.doc["reason"])
    finally:
        backend.close()


def test_same_seed_same_observations(stack: Any, tmp_path: Path) -> None:
    first = run(stack, "dlq-reconnect", tmp_path / "a").doc
    second = run(stack, "dlq-reconnect", tmp_path / "b").doc
    assert first["observations"] == second["observations"]
    assert checks(first) == checks(second)


def test_overrides_reach_the_run(stack: Any, tmp_path: Path) -> None:
    doc = run(stack, "loop-detection", tmp_path, sets=["counter=100"]).doc
    assert doc["parameters"]["counter"] == 100
    assert doc["observations"]["max_counter_sent"] == 116
