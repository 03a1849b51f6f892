"""Spill files of the simulator's logs are gone on exit, also after a crash.

Before the fix a killed run (SIGKILL, os._exit in a forked child) left
``looplab-logs-*.bin`` in /tmp. The helper is looplab/sim/_spill.py;
looplab/sim/services/logs/store.py (sim-observe's) has to create its file with it: until it
does, the last test is an expected failure that turns into an error (strict) the moment it
passes.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from looplab.sim._spill import SpillFile


def test_a_spill_file_has_no_name_while_open_and_still_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with SpillFile(prefix="looplab-logs-") as spill:
        assert list(tmp_path.iterdir()) == []
        marshal.dump([(1.0, "g", "s", "hello")], spill.writer)
        position = spill.writer.tell()
        marshal.dump([(2.0, "g", "s", "again")], spill.writer)
        reader = spill.read_from(0)
        assert marshal.load(reader) == [(1.0, "g", "s", "hello")]
        assert marshal.load(spill.read_from(position)) == [(2.0, "g", "s", "again")]
        assert spill.writer.tell() == reader.tell()  # the writer's offset did not move


CRASH = """
import os, sys
{setup}
os._exit(3)  # no finally, no atexit: what a SIGKILL or a forked child's exit does
"""


def _leftovers_after_crash(tmp_path: Path, setup: str) -> list[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH.format(setup=setup)], env=env, capture_output=True, timeout=60
    )
    assert proc.returncode == 3, proc.stderr.decode()
    return [p.name for p in tmp_path.iterdir()]


def test_a_crash_leaves_no_spill_file(tmp_path: Path) -> None:
    setup = (
        "from looplab.sim._spill import SpillFile\n"
        "s = SpillFile(prefix='looplab-logs-')\ns.writer.write(b'x' * 100000)\n"
    )
    assert _leftovers_after_crash(tmp_path, setup) == []


def test_a_crashed_simulator_leaves_no_log_spill(tmp_path: Path) -> None:
    setup = (
        "from looplab.sim.services.logs.store import Logs\n"
        "logs = Logs()\nlogs.put_many('g', 's', [(1.0, 'x')] * 10000)\n"
        "list(logs.events())\n"
    )
    assert _leftovers_after_crash(tmp_path, setup) == []
