"""A handler's own child processes end with its environment, as on AWS.

An environment is a process tree on AWS (Firecracker tears the whole sandbox down); here a
grandchild a handler forks (and detaches with setsid) must not outlive its environment,
the simulator, or looplab.
"""

from __future__ import annotations

import os
from pathlib import Path

from _support.waiting import wait_for
from test_sim_isolation import run_once

from looplab.sim import SimParams

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


def _grandchild(pidfile: Path) -> int:
    """The pid the detached grandchild wrote (on its own time, after the handler returned)."""
    # The deadline bounds a broken run only: the grandchild writes within milliseconds.
    wait_for(lambda: pidfile.exists() and pidfile.read_text(), "the pidfile", timeout=120)
    return int(pidfile.read_text())


def _gone(pid: int) -> None:
    """Wait until ``pid`` has ended (killing it if the test fails, never leaving it)."""
    try:
        # Generous: bounds a failure only; the zygote kills it as it reaps its environment.
        wait_for(lambda: not _alive(pid), f"end of process {pid}", timeout=120)
    finally:
        if _alive(pid):
            os.kill(pid, 9)


def test_a_detached_grandchild_is_gone_once_the_simulator_closes(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    # 30 wall seconds to fork (handler time unscaled): the environment must outlive the
    # handler's forks, which no loaded machine makes take that long.
    source = _FORKER.format(pidfile=str(pidfile))
    sim = run_once(tmp_path, source, params=SimParams(handler_time_scale=1.0), Timeout=30)
    try:
        pid = _grandchild(pidfile)
        assert _alive(pid)
    finally:
        sim.close()
    _gone(pid)


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
        pid = _grandchild(pidfile)
        runtime.stop(other)  # the zygote reaps it, and ends what that environment left
        assert _alive(pid)
        runtime.stop(owner)
        _gone(pid)
    finally:
        runtime.close()
        if pid is not None and _alive(pid):
            os.kill(pid, 9)  # never left behind, even by a failing test
