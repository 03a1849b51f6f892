"""Lambda in the simulator: a two-function chain, errors, cold starts, concurrency."""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
from pathlib import Path

import pytest
from _support.simkit import (
    FORWARDER,
    build_stack,
    function_resource,
    mapping_resource,
    one_function_stack,
    queue_resource,
    write_handler,
)

from looplab.sim import SimParams, Simulator
from looplab.stack import TemplateError


def chain_stack(tmp_path: Path):
    """A -> Q2 -> B -> Q1 -> A: two functions, two queues, nothing shared."""
    handler = write_handler(tmp_path, "forward", FORWARDER)
    return build_stack(
        {
            "Q1": queue_resource("chain-q1"),
            "Q2": queue_resource("chain-q2"),
            "A": function_resource("fn-a", handler, {"TARGET_URL": {"Ref": "Q2"}}),
            "B": function_resource("fn-b", handler, {"TARGET_URL": {"Ref": "Q1"}}),
            "MapA": mapping_resource("Q1", "A"),
            "MapB": mapping_resource("Q2", "B"),
        },
        tmp_path,
    )


def test_two_function_chain_is_counted_per_function(tmp_path: Path) -> None:
    with Simulator(chain_stack(tmp_path), seed=0) as sim:
        sim.send("Q1", json.dumps({"n": 0}))
        sim.advance(30)
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0, resource="fn-a") == 16
        assert total("AWS/Lambda", "Invocations", 0, resource="fn-b") == 16
        # The 17th invocation of A is the one stopped; B is never stopped.
        assert total("AWS/Lambda", "RecursiveInvocationsDropped", 0, resource="fn-a") == 1
        assert total("AWS/Lambda", "RecursiveInvocationsDropped", 0, resource="fn-b") == 0
        (stuck,) = sim.queues["Q1"].messages.values()
        assert json.loads(stuck.body) == {"n": 32}
        # Each function's QUEUE_URL-like variable reached its own module at import.
        logs = [e.message for e in sim.logs.events() if " got " in e.message]
        assert logs[:2] == ["fn-a got 0", "fn-b got 1"]


def test_one_counter_per_chain_is_the_alternative_reading(tmp_path: Path) -> None:
    params = SimParams(lineage_per_function=False)
    with Simulator(chain_stack(tmp_path), seed=0, params=params) as sim:
        sim.send("Q1", json.dumps({"n": 0}))
        sim.advance(30)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 16
        assert sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 1


def test_threshold_is_a_parameter(tmp_path: Path) -> None:
    with Simulator(chain_stack(tmp_path), seed=0, params=SimParams(recursion_threshold=3)) as sim:
        sim.send("Q1", json.dumps({"n": 0}))
        sim.advance(30)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 6


FAILING = """\
import json
def handler(event, context):
    body = json.loads(event["Records"][0]["body"])
    if body.get("fail"):
        raise ValueError("told to fail")
    print("fine")
"""


def test_handler_errors_count_and_leave_the_message_for_retry(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "failing", FAILING)
    stack = build_stack(
        {
            "Dlq": queue_resource("err-dlq"),
            "Q": queue_resource(
                "err-q",
                VisibilityTimeout=10,
                RedrivePolicy={
                    "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                    "maxReceiveCount": 3,
                },
            ),
            "F": function_resource("err-fn", handler, {}),
            "M": mapping_resource("Q", "F"),
        },
        tmp_path,
    )
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", json.dumps({"fail": True}))
        sim.send("Q", json.dumps({"fail": False}))
        sim.advance(60)
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0) == 4  # 3 failed tries + 1 success
        assert total("AWS/Lambda", "Errors", 0) == 3
        assert [json.loads(m.body) for m in sim.queues["Dlq"].messages.values()] == [{"fail": True}]
        errors = [e.message for e in sim.logs.events() if e.message.startswith("[ERROR]")]
        assert len(errors) == 3  # one event each, stack trace included, as awslambdaric logs
        head, traceback, *stack = errors[0].split("\n")
        assert (head, traceback) == (
            "[ERROR] ValueError: told to fail",
            "Traceback (most recent call last):",
        )
        assert "failing.py" in stack[0] and "looplab/sim" not in errors[0]  # no frame of ours
        assert stack[-1].strip() == 'raise ValueError("told to fail")'


COUNTING = """\
import os
IMPORTS = []
IMPORTS.append(os.environ["AWS_LAMBDA_LOG_STREAM_NAME"])
calls = 0
def handler(event, context):
    global calls
    calls += 1
    print(f"imports={len(IMPORTS)} calls={calls} stream={context.log_stream_name == IMPORTS[0]}")
"""


def test_cold_start_imports_afresh_and_warm_environments_are_reused(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "counting", COUNTING)
    stack = one_function_stack(tmp_path, handler, "warm")
    with Simulator(stack, seed=0) as sim:
        for _ in range(3):
            sim.send("Q", "{}")
            sim.advance(5)  # one at a time: one warm environment
        lines = [e.message for e in sim.logs.events() if e.message.startswith("imports=")]
        assert lines == [
            "imports=1 calls=1 stream=True",
            "imports=1 calls=2 stream=True",
            "imports=1 calls=3 stream=True",
        ]
        sim.send("Q", "{}", count=2)  # two at once: a second, cold environment
        sim.advance(5)
        assert len(sim.functions["F"].environments) == 2
        assert "imports=1 calls=1 stream=True" in [
            e.message
            for e in sim.logs.events(since=sim.now - 5)
            if e.message.startswith("imports=")
        ]


def reserved_zero_stack(tmp_path: Path, max_receive_count: int | None = None):
    handler = write_handler(tmp_path, "counting", COUNTING)
    redrive = (
        {
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                "maxReceiveCount": max_receive_count,
            }
        }
        if max_receive_count
        else {}
    )
    return build_stack(
        {
            "Dlq": queue_resource("rc-dlq"),
            "Q": queue_resource("rc-q", VisibilityTimeout=30, **redrive),
            "F": function_resource("rc-fn", handler, {}, ReservedConcurrentExecutions=0),
            "M": mapping_resource("Q", "F"),
        },
        tmp_path,
    )


def test_reserved_concurrency_zero_throttles_what_the_mapping_receives(tmp_path: Path) -> None:
    # AWS: event source mappings do not account for reserved concurrency; they receive,
    # the invoke is throttled and the batch stays in flight until its visibility timeout.
    with Simulator(reserved_zero_stack(tmp_path), seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(10)
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0) == 0
        assert total("AWS/Lambda", "Throttles", 0, resource="rc-fn") == 1
        (message,) = sim.queues["Q"].messages.values()
        assert (message.receive_count, sim.queues["Q"].inflight) == (1, 1)
        sim.advance(60)  # back after each visibility timeout, received and throttled again
        assert message.receive_count == 3
        assert total("AWS/Lambda", "Throttles", 0) == 3
        assert sim.pollers["M"].busy == 0 and sim.functions["F"].running == 0
        sim.set_reserved_concurrency("F", None)
        sim.advance(31)
        assert total("AWS/Lambda", "Invocations", 0) == 1
        assert not sim.queues["Q"].messages


def test_reserved_concurrency_zero_with_redrive_moves_the_message_to_the_dlq(
    tmp_path: Path,
) -> None:
    with Simulator(reserved_zero_stack(tmp_path, max_receive_count=1), seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(40)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 0
        assert sim.metrics.total("AWS/Lambda", "Throttles", 0) >= 1
        assert not sim.queues["Q"].messages
        assert [m.body for m in sim.queues["Dlq"].messages.values()] == ["{}"]


def test_a_throttled_batch_retry_inside_the_visibility_timeout_is_a_parameter(
    tmp_path: Path,
) -> None:
    params = SimParams(throttle_retry_interval=5.0)
    with Simulator(reserved_zero_stack(tmp_path), seed=0, params=params) as sim:
        sim.send("Q", "{}")
        sim.advance(12)
        assert sim.metrics.total("AWS/Lambda", "Throttles", 0) == 3  # t~0, ~5, ~10
        (message,) = sim.queues["Q"].messages.values()
        assert message.receive_count == 1  # retried without a new receive
        sim.set_reserved_concurrency("F", None)
        sim.advance(5)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 1
        assert not sim.queues["Q"].messages


def test_a_module_that_fails_to_import_is_an_error_each_time(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "broken", "import not_a_module_anywhere\n")
    stack = one_function_stack(tmp_path, handler, "imp", queue=dict(VisibilityTimeout=10))
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(25)
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 3
        assert not sim.functions["F"].idle  # failed environments are not reused
        first = next(e.message for e in sim.logs.events() if e.message.startswith("[ERROR]"))
        assert "Runtime.ImportModuleError" in first and "not_a_module_anywhere" in first


def test_what_the_simulator_cannot_model_is_refused_with_the_place(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"Resources\.F: FIFO queues are not modelled"):
        build_stack({"F": queue_resource("f.fifo", FifoQueue=True)}, tmp_path)
    node = function_resource("js", "index.handler", {}, Runtime="nodejs20.x")
    with pytest.raises(TemplateError, match=r"Resources\.J: runtime nodejs20\.x cannot run"):
        build_stack({"J": node}, tmp_path)
    with pytest.raises(TemplateError, match=r"Fn::ImportValue is not supported"):
        build_stack({"Q": queue_resource({"Fn::ImportValue": "x"})}, tmp_path)
    short_visibility = {
        "Q": queue_resource("q", VisibilityTimeout=3),
        "F": function_resource("f", "fns/x.handler", {}),
        "M": mapping_resource("Q", "F"),
    }
    with pytest.raises(TemplateError, match="VisibilityTimeout 3 s, less than F's Timeout 6 s"):
        build_stack(short_visibility, tmp_path)


EXITING = """\
import os, sys, time
def handler(event, context):
    body = event["Records"][0]["body"]
    if body == "exit":
        sys.exit(3)
    if body == "interrupt":
        raise KeyboardInterrupt
    if body == "sleep":
        with open(os.environ["RUNNING_FIFO"], "w") as running:
            running.write("running")  # the test interrupts looplab once it reads this
        time.sleep(30)
"""


def test_sys_exit_is_a_runtime_error_and_the_environment_is_not_reused(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "exiting", EXITING)
    stack = one_function_stack(tmp_path, handler, "exit")
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "exit")
        sim.advance(1)
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 1
        assert not sim.functions["F"].idle
        assert any(
            "Runtime exited with error: exit status 3\nRuntime.ExitError" in e.message
            for e in sim.logs.events()
        )


def test_a_keyboard_interrupt_raised_by_a_handler_ends_only_its_environment(
    tmp_path: Path,
) -> None:
    handler = write_handler(tmp_path, "exiting", EXITING)
    stack = one_function_stack(tmp_path, handler, "kbd")
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "interrupt")
        sim.advance(1)  # no KeyboardInterrupt here: it happened in the handler's process
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 1
        assert not sim.functions["F"].idle
        assert any("Runtime.ExitError" in e.message for e in sim.logs.events())


def _interrupt_once_running(fifo: Path) -> threading.Thread:
    """A thread that sends this process SIGINT when the handler says, through ``fifo``,
    that it runs: not after a guessed delay, which a loaded machine can outlast before
    the handler even started (the zygote's start alone takes ~0.3 s)."""
    os.mkfifo(fifo)
    # Opened before the handler runs, without blocking, so its open for writing does
    # not wait for this thread.
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    def wait_then_interrupt() -> None:
        try:
            # Generous: this bounds only a broken run; the handler starts in a second.
            deadline = time.monotonic() + 120
            while (left := deadline - time.monotonic()) > 0:
                select.select([fd], [], [], left)
                if os.read(fd, 64):
                    os.kill(os.getpid(), signal.SIGINT)
                    return
        finally:
            os.close(fd)

    thread = threading.Thread(target=wait_then_interrupt, daemon=True)
    thread.start()
    return thread


@pytest.mark.usefixtures("sigint_default")
def test_ctrl_c_while_a_handler_runs_propagates_after_the_bookkeeping(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "exiting", EXITING)
    fifo = tmp_path / "running"
    stack = one_function_stack(
        tmp_path,
        handler,
        "int",
        queue=dict(VisibilityTimeout=10),
        function={"Environment": {"Variables": {"RUNNING_FIFO": str(fifo)}}},
    )
    before = dict(os.environ)
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "sleep")
        # Ctrl-C reaches looplab (the environments run in their own session).
        interrupter = _interrupt_once_running(fifo)
        with pytest.raises(KeyboardInterrupt):
            sim.advance(1)
        interrupter.join()
        assert dict(os.environ) == before
        sim.purge("Q")
        sim.advance(5)  # the interrupted invocation still finishes on the clock
        function = sim.functions["F"]
        assert function.running == 0
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 1
        assert sim.pollers["M"].busy == 0
        assert not function.idle  # its environment was ended, not kept half-run


def test_concurrent_executions_has_no_points_in_idle_periods(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "counting", COUNTING)
    stack = one_function_stack(tmp_path, handler, "ce")
    with Simulator(stack, seed=0) as sim:
        epoch, period = sim.params.epoch, sim.params.metric_period
        sim.advance(59.9)  # an invocation that starts in minute 0 and ends in minute 1
        sim.send("Q", "{}")
        sim.advance(600)
        series = list(sim.metrics.series(epoch, sim.now))
        concurrency = [(t, v) for _, m, _, t, v in series if m == "ConcurrentExecutions"]
        assert concurrency == [(epoch, 1.0), (epoch + period, 1.0)]
        # Queue depths are still carried through the idle minutes.
        visible = [v for _, m, _, _, v in series if m == "ApproximateNumberOfMessagesVisible"]
        assert len(visible) == 11 and set(visible) == {0.0}


def test_the_function_timeout_does_not_count_the_init_phase(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "counting", COUNTING)
    stack = one_function_stack(tmp_path, handler, "to", function=dict(Timeout=1))
    params = SimParams(
        init_duration=(0.8, 0.8), call_offset=(0.3, 0.3), tail_duration=(0.0005, 0.0005)
    )
    with Simulator(stack, seed=0, params=params) as sim:
        sim.send("Q", "{}")
        sim.advance(5)
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 0
        (report,) = [e.message for e in sim.logs.events() if e.message.startswith("REPORT")]
        assert "Duration: 300.50 ms\tBilled Duration: 301 ms" in report
        assert "Init Duration: 800.00 ms" in report


def test_idle_environments_are_reclaimed_after_their_idle_lifetime(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "counting", COUNTING)
    stack = one_function_stack(tmp_path, handler, "idle")
    with Simulator(stack, seed=0, params=SimParams(environment_idle_lifetime=300)) as sim:
        for wait in (5, 290, 320):  # warm after 290 s idle, cold after 320 s
            sim.send("Q", "{}")
            sim.advance(wait)
        sim.send("Q", "{}")
        sim.advance(5)
        lines = [e.message for e in sim.logs.events() if e.message.startswith("imports=")]
        assert lines == [
            "imports=1 calls=1 stream=True",
            "imports=1 calls=2 stream=True",
            "imports=1 calls=3 stream=True",
            "imports=1 calls=1 stream=True",
        ]
        assert len(sim.functions["F"].environments) == 2
