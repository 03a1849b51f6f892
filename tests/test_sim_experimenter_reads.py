"""What the experimenter reads of a running simulator through its public API (the local
backend's only door): purge timing, queue counts, the next event, metrics and logs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from _support.simkit import repo_stack

from looplab.sim import QueueCounts, Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    s = Simulator(repo_stack(), seed=0)
    yield s
    s.close()


def test_a_purge_is_available_at_once_then_60_seconds_after_the_last(sim: Simulator) -> None:
    assert sim.purge_available_at("Queue") == sim.now
    sim.purge("Queue")
    assert sim.purge_available_at("Queue") == pytest.approx(sim.now + 60)
    assert sim.purge_available_at("DeadLetterQueue") == sim.now  # per queue


def test_queue_counts(sim: Simulator) -> None:
    sim.set_mapping("RecursiveEventSourceMappingSQSQueue", False)  # nothing polls: counts hold
    sim.send("Queue", "x", count=3)
    assert sim.queue_counts("Queue") == QueueCounts(visible=3, in_flight=0, delayed=0)
    with pytest.raises(KeyError):
        sim.queue_counts("Nope")


def test_the_next_event_is_none_while_idle_and_running_to_it_runs_it(sim: Simulator) -> None:
    assert sim.next_event_at() is None  # an idle stack schedules nothing
    sim.send("Queue", json.dumps({"counter": 5}))  # wakes the queue's pollers
    at = sim.next_event_at()
    assert at is not None and at > sim.now
    sim.run_until(at)
    assert sim.now == at and (sim.next_event_at() or at) >= at


def test_metrics_and_logs_of_a_chain(sim: Simulator) -> None:
    start = sim.now
    sim.send("Queue", json.dumps({"counter": 5}))
    sim.advance(120)
    function = sim.stack.functions["RecursiveLambdaFunction"].name
    assert sim.metric_total("AWS/Lambda", "Invocations", start, resource=function) == 16
    points = list(sim.metric_series(start, sim.now))
    assert sum(v for ns, m, r, _, v in points if m == "Invocations" and r == function) == 16
    events, position = sim.read_logs(0)
    assert events and position > 0
    assert sim.read_logs(position) == ([], position)  # each event is read once
    assert [e.message for e in sim.log_events(start)] == [e.message for e in events]
