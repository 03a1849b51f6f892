"""While an invocation runs, looplab's thread and the environment share one processor (a
hand-off is a switch on the spot, not a cross-processor wake-up); afterwards looplab's
thread has its own affinity back. Where a process runs never reaches a result."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime
from looplab.sim.runtime._affinity import NOWHERE, pin, unpin

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux and two processors",
)

REPORTER = """\
import os
def handler(event, context):
    return sorted(os.sched_getaffinity(0))
"""


def _spec(tmp_path: Path) -> EnvironmentSpec:
    (tmp_path / "reporter.py").write_text(REPORTER)
    return EnvironmentSpec(
        variables={"AWS_REGION": "us-east-1"},
        code_dir=tmp_path,
        handler="reporter.handler",
        memory_mb=128,
        context={
            "function_name": "reporter",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:reporter",
            "memory_limit_in_mb": 128,
            "log_group_name": "/aws/lambda/reporter",
            "log_stream_name": "stream",
        },
    )


def _no_calls(*call: Any) -> tuple[int, dict[str, Any]]:
    raise AssertionError(call)


def _seen_during(dispatch_probe: list[set[int]]) -> Any:
    def dispatch(*call: Any) -> tuple[int, dict[str, Any]]:
        dispatch_probe.append(os.sched_getaffinity(0))
        return 200, {"ResponseMetadata": {"HTTPStatusCode": 200}}

    return dispatch


def test_environment_runs_on_looplabs_processor_and_looplab_gets_its_affinity_back(
    tmp_path: Path,
) -> None:
    runtime = ProcessRuntime(1.0, 20.0)
    before = os.sched_getaffinity(0)
    try:
        env = runtime.start(_spec(tmp_path))
        for n in range(3):
            result = runtime.invoke(env, Invocation(f"r{n}", {}, None, 0.0, 60.0), _no_calls)
            assert result.outcome == "success", result.lines
            assert len(result.value) == 1, f"the environment may run anywhere: {result.value}"
            assert result.value[0] in before
            assert os.sched_getaffinity(0) == before  # looplab's thread: as it was
    finally:
        runtime.close()


def test_looplabs_thread_is_pinned_only_while_an_invocation_runs(tmp_path: Path) -> None:
    calls: list[set[int]] = []
    (tmp_path / "caller.py").write_text(
        "import boto3\n"
        "sqs = boto3.client('sqs', region_name='us-east-1', aws_access_key_id='x',"
        " aws_secret_access_key='x')\n"
        "def handler(event, context):\n"
        "    sqs.list_queues()\n"
        "    return 1\n"
    )
    spec = _spec(tmp_path)
    spec = EnvironmentSpec(spec.variables, spec.code_dir, "caller.handler", 128, spec.context)
    runtime = ProcessRuntime(1.0, 20.0)
    before = os.sched_getaffinity(0)
    try:
        env = runtime.start(spec)
        result = runtime.invoke(env, Invocation("r", {}, None, 0.0, 60.0), _seen_during(calls))
        assert result.outcome == "success", result.lines
    finally:
        runtime.close()
    assert len(calls) == 1 and len(calls[0]) == 1  # answering its call: one processor
    assert os.sched_getaffinity(0) == before


def test_an_invocation_inside_a_handlers_call_runs_on_the_same_processor(tmp_path: Path) -> None:
    """A synchronous Invoke from handler code runs the callee while the caller waits for
    its reply: all three (looplab, caller, callee) on one processor, and looplab's own
    affinity back after the outer invocation."""
    outer_dir, inner_dir = tmp_path / "outer", tmp_path / "inner"
    outer_dir.mkdir()
    inner_dir.mkdir()
    (outer_dir / "caller.py").write_text(
        "import os, boto3\n"
        "sqs = boto3.client('sqs', region_name='us-east-1', aws_access_key_id='x',"
        " aws_secret_access_key='x')\n"
        "def handler(event, context):\n"
        "    sqs.list_queues()\n"
        "    return sorted(os.sched_getaffinity(0))\n"
    )
    base = _spec(inner_dir)
    outer = EnvironmentSpec(base.variables, outer_dir, "caller.handler", 128, base.context)
    runtime = ProcessRuntime(1.0, 20.0)
    before = os.sched_getaffinity(0)
    seen: list[Any] = []
    try:
        inner_env = runtime.start(base)

        def dispatch(*call: Any) -> tuple[int, dict[str, Any]]:
            seen.append(sorted(os.sched_getaffinity(0)))
            inner = runtime.invoke(inner_env, Invocation("in", {}, None, 0.0, 60.0), _no_calls)
            seen.append(inner.value)
            seen.append(sorted(os.sched_getaffinity(0)))
            return 200, {"ResponseMetadata": {"HTTPStatusCode": 200}}

        outer_env = runtime.start(outer)
        result = runtime.invoke(outer_env, Invocation("out", {}, None, 0.0, 60.0), dispatch)
        assert result.outcome == "success", result.lines
    finally:
        runtime.close()
    looplab_during, callee, looplab_after_callee = seen
    assert len(looplab_during) == 1
    assert callee == looplab_during == looplab_after_callee == result.value
    assert os.sched_getaffinity(0) == before


def test_a_thread_already_on_one_processor_still_brings_the_environment_there() -> None:
    """A thread allowed one processor (``taskset``, or an outer invocation's pinning: a
    synchronous Invoke runs another environment inside a handler's call) has nothing to
    give back, but the environment it invokes still moves to that processor."""
    mask = os.sched_getaffinity(0)
    cpu = max(mask)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the stand-in environment: waits until told to go
        os.close(write)
        os.read(read, 1)
        os._exit(0)
    os.close(read)
    done: list[Any] = []

    def on_one_processor() -> None:
        os.sched_setaffinity(0, {cpu})
        done.append(pin(pid, NOWHERE))
        done.append(os.sched_getaffinity(0))

    try:
        worker = threading.Thread(target=on_one_processor)
        worker.start()
        worker.join()
        (restore, where), after = done
        assert restore is None  # nothing to give back: it was on one processor already
        assert where == cpu and os.sched_getaffinity(pid) == {cpu}
        assert after == {cpu}
        assert os.sched_getaffinity(0) == mask  # the calling thread's own, untouched
    finally:
        os.write(write, b"x")
        os.close(write)
        os.waitpid(pid, 0)


def test_a_process_that_is_gone_is_not_an_error() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    before = os.sched_getaffinity(0)
    restore, where = pin(pid, NOWHERE)
    try:
        assert where == NOWHERE
        assert len(os.sched_getaffinity(0)) == 1
    finally:
        unpin(restore)
    assert os.sched_getaffinity(0) == before
