"""The Backend protocol's contract, one suite for every backend (see conftest.py).

Every mapping starts disabled, so a queue holds exactly what a test puts in it: the
clauses are about the protocol's semantics, not about the loop (the differential tests
compare loops across backends).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from looplab.backends import Backend, BackendError, Observations, QueueState, SourceCounts
from looplab.backends.base import AsyncCounts, TopicCounts

QUEUE, DLQ, FUNCTION = "Queue", "DeadLetterQueue", "RecursiveLambdaFunction"


def test_it_is_a_backend_with_a_name(backend: Any) -> None:
    assert isinstance(backend, Backend)
    assert isinstance(backend.name, str) and backend.name


def test_seed_returns_one_id_per_message_and_queue_state_counts_them(backend: Any) -> None:
    ids = backend.seed(QUEUE, json.dumps({"counter": 5}), count=3)
    assert len(ids) == len(set(ids)) == 3
    state = backend.queue_state(QUEUE)
    assert isinstance(state, QueueState)
    assert (state.visible, state.in_flight, state.delayed, state.total) == (3, 0, 0, 3)


def test_drain_returns_bodies_and_receive_counts_then_deletes(backend: Any) -> None:
    sent = backend.seed(DLQ, json.dumps({"counter": 21}), count=2)
    drained = backend.drain(DLQ, max_messages=10)
    assert sorted(m.message_id for m in drained) == sorted(sent)
    assert all(json.loads(m.body) == {"counter": 21} and m.receive_count >= 1 for m in drained)
    assert all(m.queue == DLQ for m in drained)
    assert backend.queue_state(DLQ).total == 0
    assert backend.drain(DLQ, max_messages=10) == []


def test_drain_takes_at_most_max_messages(backend: Any) -> None:
    backend.seed(QUEUE, "x", count=4)
    assert len(backend.drain(QUEUE, max_messages=3)) == 3
    assert backend.queue_state(QUEUE).total == 1


def test_purge_empties_a_queue_and_an_empty_purge_is_harmless(backend: Any) -> None:
    backend.seed(QUEUE, "x", count=2)
    backend.purge(QUEUE)
    assert backend.queue_state(QUEUE).total == 0
    backend.purge(QUEUE)  # SQS allows one purge a minute: an empty queue must not need one
    assert backend.queue_state(QUEUE).total == 0


def test_advance_moves_the_backends_clock(backend: Any) -> None:
    before = backend.now()
    seen: list[float] = []
    backend.advance(30, seen.append)
    assert backend.now() - before >= 30
    assert seen and seen[-1] == pytest.approx(backend.now() - before)


def test_wait_until_returns_at_once_when_it_holds_and_false_at_the_timeout(backend: Any) -> None:
    before = backend.now()
    assert backend.wait_until(lambda: True, timeout=60) is True
    assert backend.now() == before
    assert backend.wait_until(lambda: False, timeout=20, poll=5) is False
    assert backend.now() - before >= 20


def test_a_condition_that_becomes_true_ends_the_wait_early(backend: Any) -> None:
    start = backend.now()
    assert backend.wait_until(lambda: backend.now() - start >= 10, timeout=300, poll=5)
    assert 10 <= backend.now() - start < 300


def test_observations_have_every_function_and_typed_sources(backend: Any) -> None:
    obs = backend.observations(since=backend.now())
    assert isinstance(obs, Observations)
    assert set(obs.by_function) <= {FUNCTION}
    assert all(isinstance(v, SourceCounts) for v in obs.by_source.values())
    assert set(obs.by_source) <= {QUEUE, DLQ}
    assert obs.invocations == sum(c.invocations for c in obs.by_function.values())


def test_an_unknown_queue_is_a_backend_error(backend: Any) -> None:
    with pytest.raises(BackendError):
        backend.queue_state("NoSuchQueue")


def test_an_unknown_mapping_is_a_backend_error(backend: Any) -> None:
    if backend.kind == "fake":
        pytest.skip("the toy backend keeps no mapping table")
    with pytest.raises(BackendError):
        backend.set_mapping(FUNCTION, "NoSuchQueue", True)


def test_recursion_terminate_is_accepted(backend: Any) -> None:
    if backend.kind == "aws-moto":
        pytest.skip("moto has no Put/GetFunctionRecursionConfig (covered with the Stubber)")
    backend.set_recursion(FUNCTION, "Terminate")


def test_settle_describe_and_finish(backend: Any) -> None:
    backend.settle()
    info = backend.describe()
    assert isinstance(info, dict) and info
    assert not any("secret" in str(k).lower() for k in info)
    if backend.kind == "aws-moto":
        pytest.skip("finish() reads the recursion config, which moto lacks")
    assert isinstance(backend.finish(), dict)


# -- the loop shapes' steps (issue 13) ------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("publish", ("NoSuchTopic", '{"counter": 0}')),
        ("put_object", ("NoSuchBucket", "loop/0.json", '{"counter": 0}')),
        ("invoke", ("NoSuchFunction", {"counter": 0})),
    ],
)
def test_a_shape_step_on_an_unknown_name_is_a_backend_error(
    backend: Any, call: str, args: tuple[Any, ...]
) -> None:
    with pytest.raises(BackendError) as info:
        getattr(backend, call)(*args)
    assert args[0] in str(info.value)


def test_async_and_topic_counts_are_typed_and_per_stack_name(backend: Any) -> None:
    obs = backend.observations(since=backend.now())
    assert set(obs.async_by_function) <= {FUNCTION}
    assert all(isinstance(v, AsyncCounts) for v in obs.async_by_function.values())
    assert all(isinstance(v, TopicCounts) for v in obs.by_topic.values())
