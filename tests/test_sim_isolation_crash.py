"""No orphans: when looplab's own process dies, even by SIGKILL, its environments go too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from _support.simkit import ROOT

SCRIPT = """\
import json, os, signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from _support.simkit import one_function_stack, write_handler
from looplab.sim import Simulator
from looplab.sim.runtime import _zygote

code = Path({code!r})
handler = write_handler(code, "h", '''
import threading, time
def handler(event, context):
    threading.Thread(target=time.sleep, args=(600,)).start()
''')
sim = Simulator(one_function_stack(code, handler, "crash"), seed=0)
sim.send("Q", "{{}}", count=3)
sim.advance(5)
pids = [e.process.pid for e in sim.functions["F"].environments if e.process is not None]
zygote = _zygote.current_zygote().process.pid
print(json.dumps({{"environments": pids, "zygote": zygote}}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit, no finally
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_environments_die_with_a_killed_looplab(tmp_path: Path) -> None:
    import json

    code = tmp_path / "code"
    code.mkdir()
    script = SCRIPT.format(tests=str(ROOT / "tests"), code=str(code))
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == -9, run.stderr
    started = json.loads(run.stdout.strip().splitlines()[-1])
    pids = [*started["environments"], started["zygote"]]
    assert len(started["environments"]) >= 1
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _alive(pid)]
    assert os.getpid() not in pids
