"""Acceptance: the seed post's experiments on the repo's own serverless.yml and handler."""

from __future__ import annotations

import io
import json

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import repo_stack

from looplab.sim import Simulator
from looplab.sim.trace import TraceHeader

# The handler's own SendMessage replies, checked against botocore's output shape.
pytestmark = pytest.mark.usefixtures("replies_match_botocore")


def counters_sent(sim: Simulator) -> list[int]:
    return [
        int(e.message.split()[-1])
        for e in sim.logs.events()
        if e.message.startswith("Sending count")
    ]


def test_seed_counter_5_runs_16_invocations_then_stops_and_redrives_21_to_the_dlq() -> None:
    with Simulator(repo_stack(), seed=1) as sim:
        sim.send("Queue", json.dumps({"counter": 5}))
        sim.advance(5)
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0) == 16
        assert total("AWS/Lambda", "Errors", 0) == 0
        assert total("AWS/Lambda", "RecursiveInvocationsDropped", 0) >= 1
        assert counters_sent(sim) == list(range(6, 22))
        # The stopped message (21) is not deleted: it is in flight until its visibility ends.
        queue, dlq = sim.queues["Queue"], sim.queues["DeadLetterQueue"]
        assert (queue.visible, queue.inflight) == (0, 1)
        (stuck,) = queue.messages.values()
        assert json.loads(stuck.body) == {"counter": 21}
        assert stuck.receive_count == 1
        sim.advance(60)  # past the 30 s visibility timeout: the next receive redrives it
        assert not queue.messages
        (moved,) = dlq.messages.values()
        assert moved is stuck and moved.state == "visible"
        header = TraceHeader.parse(moved.trace_header)
        assert header is not None and list(header.lineage.values()) == [16]
        # The 16 invocations never started a 17th: the drop wrote no log line.
        assert sum(1 for e in sim.logs.events() if e.message.startswith("START")) == 16


def test_dlq_as_second_trigger_is_stopped_too_and_cycles_in_flight_until_retention() -> None:
    stack = repo_stack(dlqTrigger="true", dlqRetentionSeconds="600")
    with Simulator(stack, seed=2) as sim:
        sim.send("Queue", json.dumps({"counter": 5}))
        sim.advance(40)
        dlq = sim.queues["DeadLetterQueue"]
        assert len(dlq.messages) == 1
        in_flight_samples = []
        for _ in range(50):  # sample every 10 s for ~8 minutes
            sim.advance(10)
            in_flight_samples.append(dlq.inflight)
        drops = sim.metrics.total
        by_dlq = drops("AWS/Lambda", "RecursiveInvocationsDropped", 0, source="DeadLetterQueue")
        assert by_dlq >= 10  # each visibility timeout, the DLQ poller is stopped again
        assert drops("AWS/Lambda", "Invocations", 0, source="DeadLetterQueue") == 0
        assert sum(in_flight_samples) / len(in_flight_samples) > 0.8  # in flight most of the time
        # Retention counts from the ORIGINAL enqueue time (t≈1.6 s): gone by 600 s.
        sim.advance(120)
        assert not dlq.messages and dlq.inflight == 0


def test_protection_off_runs_to_the_handlers_cap_with_no_drops() -> None:
    with Simulator(repo_stack(recursiveLoop="Allow"), seed=3) as sim:
        sim.send("Queue", json.dumps({"counter": 5}))
        sim.advance(600)
        assert sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 0
        assert counters_sent(sim)[-1] == 1000
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 996  # 5..1000 received
        assert not sim.queues["Queue"].messages


def test_recursion_can_be_switched_at_run_time() -> None:
    with Simulator(repo_stack(), seed=4) as sim:
        sim.set_recursion("RecursiveLambdaFunction", "Allow")
        sim.send("Queue", json.dumps({"counter": 990}))
        sim.advance(30)
        assert counters_sent(sim)[-1] == 1000
        sim.set_recursion("RecursiveLambdaFunction", "Terminate")
        sim.send("Queue", json.dumps({"counter": 0}))
        sim.advance(30)
        assert sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 1


def test_two_seeds_are_two_chains_each_stopped_independently() -> None:
    with Simulator(repo_stack(), seed=5) as sim:
        sim.send("Queue", json.dumps({"counter": 5}))
        sim.send("Queue", json.dumps({"counter": 100}))
        sim.advance(10)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 32
        assert sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 2
        sent = counters_sent(sim)
        assert max(c for c in sent if c < 100) == 21
        assert max(sent) == 116


def test_mapping_disabled_leaves_messages_and_enabling_resumes() -> None:
    with Simulator(repo_stack(), seed=6) as sim:
        sim.set_mapping("RecursiveEventSourceMappingSQSQueue", False)
        sim.send("Queue", json.dumps({"counter": 5}))
        sim.advance(10)
        assert sim.queues["Queue"].visible == 1
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 0
        sim.set_mapping("RecursiveEventSourceMappingSQSQueue", True)
        sim.advance(10)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 16


def test_same_seed_gives_the_same_event_log_byte_for_byte() -> None:
    def run(seed: int) -> str:
        log = io.StringIO()
        with Simulator(repo_stack(dlqTrigger="true"), seed=seed, event_log=log) as sim:
            sim.send("Queue", json.dumps({"counter": 5}), count=3)
            sim.advance(200)
        return log.getvalue()

    first, second, other = run(7), run(7), run(8)
    assert first == second
    assert first.count("\tdrop\t") >= 3
    assert first != other  # the seed does drive the jitter


def test_a_concurrent_message_gets_a_new_environment_and_log_stream() -> None:
    with Simulator(repo_stack(), seed=1) as sim:
        sim.send("Queue", json.dumps({"counter": 5}), count=3)
        sim.advance(2)
        function = sim.functions["RecursiveLambdaFunction"]
        assert len(function.environments) >= 3
        streams = sim.logs.streams["/aws/lambda/looplab-simtest-recursive"]
        assert len(streams) == len(function.environments)


def test_the_host_process_environment_is_restored_after_running() -> None:
    import os

    before = dict(os.environ)
    with Simulator(repo_stack(), seed=1) as sim:
        sim.send("Queue", json.dumps({"counter": 5}))
        sim.advance(5)
    assert dict(os.environ) == before
