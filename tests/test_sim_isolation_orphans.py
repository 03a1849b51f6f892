"""A handler's own child processes end with its environment, as on AWS.

An environment is a process tree on AWS (Firecracker tears the whole sandbox down); here a
grandchild a handler forks (and detaches with setsid) must not outlive its environment,
the simulator, or looplab.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from test_sim_isolation import run_once

_FORKER = """\
import os, time

def handler(event, context):
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:  # detached twice, as a daemon would be
            with open({pidfile!r}, "w") as f:
                f.write(str(os.getpid()))
            time.sleep(120)
        os._exit(0)
    os.waitpid(pid, 0)
    return {{"ok": True}}
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_detached_grandchild_is_gone_once_the_simulator_closes(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    sim = run_once(tmp_path, _FORKER.format(pidfile=str(pidfile)))
    try:
        for _ in range(100):
            if pidfile.exists() and pidfile.read_text():
                break
            time.sleep(0.05)
        pid = int(pidfile.read_text())
        assert _alive(pid)
    finally:
        sim.close()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(pid)
    if alive:
        os.kill(pid, 9)  # do not leave it behind even when the test fails
    assert not alive


def test_ending_one_environment_leaves_anothers_processes_alone(tmp_path: Path) -> None:
    """An environment's detached grandchild lives as long as its environment, whichever
    other environment ends meanwhile (an environment that ended, or a simulator collected
    by the garbage collector, used to take every environment's orphans with it)."""
    from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime

    pidfile = tmp_path / "grandchild.pid"
    (tmp_path / "forker.py").write_text(_FORKER.format(pidfile=str(pidfile)))
    spec = EnvironmentSpec(
        variables={},
        code_dir=tmp_path,
        handler="forker.handler",
        memory_mb=128,
        context={
            "function_name": "forker",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:forker",
            "memory_limit_in_mb": 128,
            "log_group_name": "/aws/lambda/forker",
            "log_stream_name": "stream",
        },
    )
    runtime = ProcessRuntime(1.0, 60.0)
    pid = None
    try:
        owner, other = runtime.start(spec), runtime.start(spec)
        result = runtime.invoke(owner, Invocation("r1", {}, None, 0.0, 60.0), lambda *a: (200, {}))
        assert result.outcome == "success", result
        # The grandchild writes it on its own time: generous, for a broken run only.
        deadline = time.monotonic() + 30
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(pidfile.read_text())
        runtime.stop(other)  # the zygote reaps it, and ends what that environment left
        assert _alive(pid)
        runtime.stop(owner)
        # Generous: bounds a broken run only; the zygote kills it as it reaps its owner.
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)
    finally:
        runtime.close()
        if pid is not None and _alive(pid):
            os.kill(pid, 9)
