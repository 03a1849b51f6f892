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
