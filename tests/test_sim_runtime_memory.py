"""What an execution environment costs looplab's own process: its output's memory file
stays bounded however much the handler prints, threaded or not, and the handle itself is
a few kilobytes of looplab's heap (the environment's memory is its own process's)."""

from __future__ import annotations

import gc
import os
import tracemalloc
from pathlib import Path

import pytest

from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime
from looplab.sim.runtime._process import _LOG_COMPACT

CHATTY = """\
import threading, time
if THREADED:
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
def handler(event, context):
    print("x" * 1023 * 100)  # ~100 KB a call, in 100 lines
    return 1
"""


def _spec(tmp_path: Path, threaded: bool) -> EnvironmentSpec:
    (tmp_path / "chatty.py").write_text(CHATTY.replace("THREADED", str(threaded)))
    return EnvironmentSpec(
        variables={},
        code_dir=tmp_path,
        handler="chatty.handler",
        memory_mb=128,
        context={
            "function_name": "chatty",
            "function_version": "$LATEST",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:chatty",
            "memory_limit_in_mb": "128",
            "log_group_name": "/aws/lambda/chatty",
            "log_stream_name": "stream",
        },
    )


def _invoke(runtime: ProcessRuntime, env, n: int):
    return runtime.invoke(env, Invocation(f"r{n}", {}, None, 0.0, 6.0), lambda *a: {})


@pytest.mark.parametrize("threaded", [False, True], ids=["single-threaded", "threaded"])
def test_an_environments_output_file_stays_bounded(tmp_path: Path, threaded: bool) -> None:
    runtime = ProcessRuntime(1.0, 10.0)
    try:
        env = runtime.start(_spec(tmp_path, threaded))
        for n in range(40):  # ~4 MB printed in all
            result = _invoke(runtime, env, n)
            assert result.outcome == "success", result
            assert len(result.lines) == 1 and len(result.lines[0]) == 102_300
            runtime.freeze(env)
            # Memory the file holds (its pages), not its size: sparse holes cost nothing.
            held = os.fstat(env.log).st_blocks * 512
            assert held <= _LOG_COMPACT + (256 << 10), (n, held)
    finally:
        runtime.close()


def test_an_environment_costs_looplab_a_few_kilobytes(tmp_path: Path) -> None:
    runtime = ProcessRuntime(1.0, 10.0)
    spec = _spec(tmp_path, False)
    try:
        _invoke(runtime, runtime.start(spec), 0)  # the zygote and imports, not counted
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        envs = [runtime.start(spec) for _ in range(20)]
        for n, env in enumerate(envs):
            _invoke(runtime, env, n)
            runtime.freeze(env)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
        assert grown / len(envs) < 4096, grown / len(envs)
    finally:
        runtime.close()
