"""Interruption: SIGINT / SIGTERM mid-run still runs ``finally`` and says so in the journal.

Every test here sends SIGINT, so each runs with Python's default disposition whatever pytest
inherited (the ``sigint_default`` fixture). The subprocess test waits for the journal to show
the wait running, and that wait is far longer than any machine takes to deliver the signal:
no test depends on how fast a busy machine is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import FakeBackend, fake_stack
from _support.waiting import wait_for

from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file

TESTS = Path(__file__).parent
ROOT = TESTS.parent
SLOW = TESTS / "data" / "scenarios" / "slow.yaml"

pytestmark = pytest.mark.usefixtures("sigint_default")

# Bounds a failure only, never a pass: the CLI starting up and reaching the wait, or ending
# after the signal, takes ~1 s on an idle 2-core machine and a few under a CPU hog.
SLOW_CLI_DEADLINE = 120.0


def _journal(results: Path) -> dict[str, Any] | None:
    found = list((results / "runs").glob("*/journal.json"))
    return json.loads(found[0].read_text()) if found else None


def _start(results: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(TESTS / "_support" / "slow_cli.py"),
            "scenario",
            "--name",
            "slow",
            "--backend",
            "slow",
            # The longest wait a scenario may ask for (a day), at 0.01 wall s a simulated s:
            # it outlasts any signal's delivery, so the signal always lands inside it.
            "--set",
            "seconds=86400",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "SLOW_REALTIME": "0.01",
            # The scenario file and the results folder, as invoke.yaml would set them.
            "INVOKE_LOOPLAB_SCENARIOS": str(SLOW),
            "INVOKE_LOOPLAB_RESULTS": str(results),
        },
    )


def _running(results: Path, kind: str) -> dict[str, Any] | None:
    doc = _journal(results)
    if doc and any(s["kind"] == kind and s["status"] == "running" for s in doc["steps"]):
        return doc
    return None


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_run_is_recorded_and_finally_runs(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    proc = _start(tmp_path)
    try:
        wait_for(
            lambda: _running(tmp_path, "wait"),
            "running wait step in the journal",
            timeout=SLOW_CLI_DEADLINE,
            process=proc,
        )
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=SLOW_CLI_DEADLINE)
    finally:
        proc.kill()
    assert proc.returncode == code, err
    doc = _journal(tmp_path)
    assert doc is not None
    assert doc["status"] == "interrupted"
    assert signum.name in doc["reason"]
    assert [s["kind"] for s in doc["steps"]] == ["purge", "seed", "wait"]
    assert [s["status"] for s in doc["steps"]] == ["ok", "ok", "interrupted"]
    assert doc["steps"][2]["ended_at"] is not None
    assert [(s["kind"], s["status"]) for s in doc["finally"]] == [
        ("purge", "ok"),
        ("snapshot", "ok"),
    ]
    assert doc["cleanup"] == "ok"
    assert doc["ended_at"] is not None
    # finally purged: the snapshot it took after shows empty queues
    after = doc["finally"][1]["output"]["queues"]
    assert all(q == {"visible": 0, "in_flight": 0, "delayed": 0} for q in after.values())
    assert "interrupted" in out


class _KillDuring:
    """A listener that sends this process a signal when a given step starts."""

    def __init__(self, phase: str, kind: str, signals: int = 1) -> None:
        self.phase, self.kind, self.signals = phase, kind, signals

    def step_started(self, phase: str, index: int, total: int, step: Any) -> None:
        if phase == self.phase and step.kind == self.kind:
            for _ in range(self.signals):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.01)  # let the handler run before the next one


def _slow_scenario() -> Any:
    stack = fake_stack()
    return build_scenario(validate_file(SLOW, stack), "slow", ["seconds=20"], stack)


def test_in_process_interrupt_then_finally(tmp_path: Path) -> None:
    backend = FakeBackend()
    result = run_scenario(
        _slow_scenario(), backend, results=tmp_path, listener=_KillDuring("steps", "wait")
    )
    assert result.status == "interrupted" and result.exit_code == 130
    assert result.doc["steps"][-1]["status"] == "interrupted"
    assert result.doc["cleanup"] == "ok"
    # the default handler is back once the run is over
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_one_signal_during_finally_is_noted_not_obeyed(tmp_path: Path) -> None:
    result = run_scenario(
        _slow_scenario(), FakeBackend(), results=tmp_path, listener=_KillDuring("finally", "purge")
    )
    assert result.status == "completed"
    assert result.doc["signals_during_finally"] == ["SIGINT"]
    assert [s["status"] for s in result.doc["finally"]] == ["ok", "ok"]
    assert result.doc["cleanup"] == "ok"


def test_a_second_signal_during_finally_gives_up(tmp_path: Path) -> None:
    result = run_scenario(
        _slow_scenario(),
        FakeBackend(),
        results=tmp_path,
        listener=_KillDuring("finally", "purge", signals=2),
    )
    assert result.doc["cleanup"] == "interrupted by a second SIGINT"
    assert result.exit_code == 130
    assert json.loads(result.journal_path.read_text())["cleanup"].startswith("interrupted")
