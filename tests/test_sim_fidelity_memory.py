"""Issue 11, item 6: a deleted message is gone, whatever the queue's retention.

SQS's retention (default 4 days) bounds how long an UNdeleted message lives. Before the fix,
every message kept a retention timer on the virtual clock until it fired, so a long chain
at 4-day retention held every message it ever sent; memory grew with the hop count.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

from _support.simkit import FORWARDER, one_function_stack, write_handler

from looplab.sim import Simulator
from looplab.sim.services.sqs import Message


def _live_messages() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Message)


def _chain(tmp_path: Path, retention: int, hops: int) -> tuple[Simulator, int]:
    handler = write_handler(tmp_path, "fwd", FORWARDER)
    stack = one_function_stack(
        tmp_path,
        handler,
        "mem",
        queue={"MessageRetentionPeriod": retention},
        function={"Environment": {"Variables": {"CAP": str(hops)}}, "RecursiveLoop": "Allow"},
    )
    url = stack.queues["Q"].url
    stack.functions["F"].environment["TARGET_URL"] = url
    sim = Simulator(stack, seed=3)
    sim.send("Q", json.dumps({"n": 0}))
    sim.advance(3600)
    return sim, int(sim.metrics.total("AWS/Lambda", "Invocations", 0))


def test_deleted_messages_do_not_outlive_their_delete_at_four_day_retention(
    tmp_path: Path,
) -> None:
    before = _live_messages()
    sim, invocations = _chain(tmp_path, 345_600, 1500)
    try:
        assert invocations == 1501  # n = 0 .. 1500, every message received and deleted
        assert sim.queues["Q"].messages == {}
        # Nothing of the 1,501 deleted messages is kept for its retention timer.
        assert _live_messages() - before <= 2
    finally:
        sim.close()


def test_an_undeleted_message_still_expires_by_its_retention(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "fwd", FORWARDER)
    stack = one_function_stack(tmp_path, handler, "exp", queue={"MessageRetentionPeriod": 120})
    with Simulator(stack, seed=1) as sim:
        sim.set_mapping("M", False)
        sim.send("Q", json.dumps({"n": 0}))
        sim.advance(60)
        sim.send("Q", json.dumps({"n": 0}))
        sim.advance(59)
        assert sim.queues["Q"].visible == 2
        sim.advance(2)  # the first is 121 s old
        assert sim.queues["Q"].visible == 1
        sim.advance(60)
        assert sim.queues["Q"].visible == 0


def test_a_deleted_message_is_freed_before_its_visibility_timeout_ends(tmp_path: Path) -> None:
    """A fast fan-out deletes thousands a second: none may wait out its visibility timer."""
    handler = write_handler(tmp_path, "fwd", FORWARDER)
    stack = one_function_stack(tmp_path, handler, "vis", queue={"VisibilityTimeout": 900})
    with Simulator(stack, seed=2) as sim:
        sim.set_mapping("M", False)
        before = _live_messages()
        sqs = sim.client("sqs")
        url = stack.queues["Q"].url
        for _ in range(50):
            sqs.send_message(QueueUrl=url, MessageBody="x")
            [got] = sqs.receive_message(QueueUrl=url)["Messages"]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
        assert _live_messages() - before <= 1


def test_visibility_still_ends_in_order_with_mixed_timeouts(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "fwd", FORWARDER)
    stack = one_function_stack(tmp_path, handler, "mixvis", queue={"VisibilityTimeout": 30})
    with Simulator(stack, seed=2) as sim:
        sim.set_mapping("M", False)
        sqs, url = sim.client("sqs"), stack.queues["Q"].url
        for body in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        first = sqs.receive_message(QueueUrl=url)["Messages"]  # hidden 30 s
        sim.advance(10)
        short = sqs.receive_message(QueueUrl=url, VisibilityTimeout=5)["Messages"]
        sqs.receive_message(QueueUrl=url)["Messages"]  # hidden 30 s, from t=10
        sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
        sim.advance(6)  # t=16: the 5-second one is back
        assert [m["Body"] for m in short] == ["b"]
        assert sim.queues["Q"].visible == 1
        sim.advance(25)  # t=41: the last one too; the deleted one never
        assert sim.queues["Q"].visible == 2
        assert sim.queues["Q"].inflight == 0


def _fan_out(tmp_path: Path, depth: int) -> Simulator:
    """The benchmark's binary fan-out tree, stopped by loop detection at ``depth``."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from sim_fidelity import _run_out, fan_out_stack

    from looplab.sim import SimParams

    sim = Simulator(fan_out_stack(tmp_path), seed=1, params=SimParams(recursion_threshold=depth))
    sim.send("Queue", json.dumps({"depth": 0}))
    _run_out(sim, quiet_steps=2)
    return sim


def test_a_stopped_backlog_holds_only_what_each_message_needs(tmp_path: Path) -> None:
    """A message live in the DLQ keeps every attribute AWS returns, but shares what is the
    same for many (the sender's id) and drops what only a hidden message needs (when it
    becomes visible); a queue that emptied gives back its tables (a dict never shrinks)."""
    import sys

    with _fan_out(tmp_path, 8) as sim:
        dlq, source = sim.queues["Dlq"], sim.queues["Queue"]
        messages = list(dlq.messages.values())
        assert len(messages) == 256
        assert {m.sender_id for m in messages} == {"AROALOOPLAB:fan"}
        assert len({id(m.sender_id) for m in messages}) == 1
        assert all(m.hidden_until == 0.0 for m in messages)
        assert all(m.received_at is not None and m.dead_letter_source for m in messages)
        empty = sys.getsizeof({})
        assert source.messages == {} and sys.getsizeof(source.messages) == empty
        assert sys.getsizeof(source.by_sent) == empty
        assert sys.getsizeof(source.hidden) == empty
