"""Issue 11, item 2: an SQS mapping scales as the Lambda developer guide documents.

services-sqs-scaling (standard queues): "Lambda starts processing five batches at a time
with five concurrent invocations of your function. If messages are still available, Lambda
increases the number of processes that are reading batches by up to 300 more instances per
minute. The maximum number of batches that an event source mapping can process
simultaneously is 1,000." MaximumConcurrency caps one mapping; reserved concurrency
throttles. Each invocation here lasts ~5 virtual seconds, so a backlog keeps every slot busy.
"""

from __future__ import annotations

import json
from pathlib import Path

from _support.simkit import one_function_stack, write_handler

from looplab.sim import Simulator
from looplab.sim.params import SimParams
from looplab.sim.trace import TraceHeader, function_tag

NOOP = "def handler(event, context):\n    return None\n"
SLOW = SimParams(call_offset=(5.0, 5.0), tail_duration=(0.01, 0.01))


def backlog_sim(
    tmp_path: Path, messages: int, params: SimParams = SLOW, **stack: dict
) -> Simulator:
    handler = write_handler(tmp_path, "noop", NOOP)
    sim = Simulator(one_function_stack(tmp_path, handler, "scale", **stack), params=params)
    wake, sim.sqs.on_visible = sim.sqs.on_visible, lambda q: None  # seed without waking
    for _ in range(messages):  # pollers message by message
        sim.send("Q", json.dumps({"n": 0}))
    sim.sqs.on_visible = wake
    sim.pollers["M"].wake()
    return sim


def peak_concurrency(sim: Simulator, seconds: float) -> int:
    peak = 0
    for _ in range(int(seconds)):
        sim.advance(1)
        peak = max(peak, sim.functions["F"].running)
    return peak


def test_a_backlog_starts_at_five_batches_and_adds_up_to_300_a_minute(tmp_path: Path) -> None:
    with backlog_sim(tmp_path, 2_500) as sim:
        assert peak_concurrency(sim, 1) == 5  # five at first
        peak = peak_concurrency(sim, 29)
        # After half a minute of waiting messages: five plus up to 150.
        assert 130 <= peak <= 155


def test_scaling_stops_at_1000_and_at_maximum_concurrency(tmp_path: Path) -> None:
    # 1,000 reached in one step (the rate raised so the test needs few invocations).
    fast = SimParams(call_offset=(5.0, 5.0), mapping_scale_up_per_minute=120_000)
    with backlog_sim(tmp_path, 2_500, fast) as sim:
        assert peak_concurrency(sim, 4) == 1000
        assert sim.pollers["M"].limit == 1000
    capped = tmp_path / "capped"
    capped.mkdir()
    with backlog_sim(capped, 2_000, mapping={"ScalingConfig": {"MaximumConcurrency": 40}}) as sim:
        assert peak_concurrency(sim, 60) == 40


def test_reserved_concurrency_throttles_a_scaled_mapping(tmp_path: Path) -> None:
    with backlog_sim(tmp_path, 2_000, function={"ReservedConcurrentExecutions": 20}) as sim:
        assert peak_concurrency(sim, 30) == 20
        assert sim.metrics.total("AWS/Lambda", "Throttles", 0) > 0


def test_a_mapping_scales_back_to_five_when_the_backlog_is_gone(tmp_path: Path) -> None:
    with backlog_sim(tmp_path, 1_000) as sim:
        peak_concurrency(sim, 30)
        assert sim.pollers["M"].limit > 100
        sim.advance(600)
        assert sim.queues["Q"].visible == 0
        assert sim.pollers["M"].limit == sim.params.pollers_per_mapping


def test_stopped_invocations_are_worked_off_by_every_poller_at_once(tmp_path: Path) -> None:
    """Loop detection stops each of these at once; they must not wait for one poll at a time
    (before: a single poll in flight per mapping, ~36 a virtual second)."""
    handler = write_handler(tmp_path, "noop", NOOP)
    stack = one_function_stack(tmp_path, handler, "stop")
    with Simulator(stack) as sim:
        tag = function_tag(stack.functions["F"].arn)
        header = TraceHeader("1-5e1b4151-5ac6c58f5b5daa6532e2a3c1", lineage={tag: 16}).format()
        sim.set_mapping("M", False)
        sim.send("Q", json.dumps({"n": 0}), count=2_000, trace_header=header)
        sim.set_mapping("M", True)
        sim.advance(20)
        dropped = sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0)
        assert dropped >= 2_000  # each received once at least in 20 s
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 0
