"""Issue 11, item 4: a batch with messages of several chains follows a NAMED rule.

AWS does not document which chain the invocation of a mixed batch continues (one
invocation carries one trace). ``SimParams.batch_trace_rule`` names the choice: "first"
(default), "deepest" or "freshest". Before the fix the first record always decided.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import one_function_stack, repo_stack, write_handler

from looplab.backends.local import LocalBackend
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import Simulator
from looplab.sim.params import SimParams
from looplab.sim.trace import TraceHeader, function_tag

CORPUS = Path(__file__).parent / "data" / "fidelity" / "mixed_batch.yaml"
NOOP = "def handler(event, context):\n    return None\n"


def _header(tag: str, count: int) -> str:
    return TraceHeader("1-5e1b4151-5ac6c58f5b5daa6532e2a3c1", lineage={tag: count}).format()


@pytest.mark.parametrize(
    ("rule", "stopped"),
    [("first", False), ("deepest", True), ("freshest", False)],
)
def test_a_fresh_message_ahead_of_a_looping_one(tmp_path: Path, rule: str, stopped: bool) -> None:
    """Fresh first, looping (count at the threshold) second, in one batch of 10."""
    handler = write_handler(tmp_path, "noop", NOOP)
    stack = one_function_stack(tmp_path, handler, "mix", mapping={"BatchSize": 10})
    with Simulator(stack, params=SimParams(batch_trace_rule=rule)) as sim:  # type: ignore[arg-type]
        tag = function_tag(stack.functions["F"].arn)
        sim.set_mapping("M", False)
        sim.send("Q", "{}")
        sim.send("Q", "{}", trace_header=_header(tag, 16))
        sim.set_mapping("M", True)
        sim.advance(1)
        dropped = sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0)
        invoked = sim.metrics.total("AWS/Lambda", "Invocations", 0)
        assert (dropped, invoked) == ((1, 0) if stopped else (0, 1))
        # A stopped batch stays in the queue (both messages); a run one is deleted.
        assert sim.queues["Q"].inflight == (2 if stopped else 0)


def test_a_looping_message_ahead_of_a_fresh_one_is_reset_only_by_freshest(
    tmp_path: Path,
) -> None:
    handler = write_handler(tmp_path, "noop", NOOP)
    stack = one_function_stack(tmp_path, handler, "mix", mapping={"BatchSize": 10})
    outcomes = {}
    for rule in ("first", "deepest", "freshest"):
        with Simulator(stack, params=SimParams(batch_trace_rule=rule)) as sim:  # type: ignore[arg-type]
            tag = function_tag(stack.functions["F"].arn)
            sim.set_mapping("M", False)
            sim.send("Q", "{}", trace_header=_header(tag, 16))
            sim.send("Q", "{}")
            sim.set_mapping("M", True)
            sim.advance(1)
            outcomes[rule] = sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0)
    assert outcomes == {"first": 1, "deepest": 1, "freshest": 0}


def _run_corpus(tmp_path: Path, rule: str) -> tuple[int, dict[str, Any]]:
    stack = repo_stack(batchSize="10")
    scenario = build_scenario(validate_file(CORPUS, stack), "mixed-batch", [], stack)
    backend = LocalBackend(stack, seed=0, params=SimParams(batch_trace_rule=rule))  # type: ignore[arg-type]
    try:
        result = run_scenario(
            scenario, backend, results=tmp_path / rule, seed=0, queues=sorted(stack.queues)
        )
    finally:
        backend.close()
    return result.exit_code, result.doc["observations"]


def test_the_corpus_scenario_shows_the_rules_apart(tmp_path: Path) -> None:
    code_first, first = _run_corpus(tmp_path, "first")
    code_fresh, fresh = _run_corpus(tmp_path, "freshest")
    assert code_first == 0 and first["invocations"] == 16
    # "freshest": the batch restarted the count, so the loop ran its hops before the
    # batch plus 16 more, and the scenario's expectation fails.
    assert code_fresh == 1
    assert fresh["invocations"] > 16
    assert fresh["recursive_invocations_dropped"] >= 1
    assert json.dumps(first["counters_sent"]) != json.dumps(fresh["counters_sent"])
