"""The command line: exit codes, console output, the invoke tasks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _fakes import FakeBackend, fake_stack
from rich.console import Console

from looplab import cli

TESTS = Path(__file__).parent
ROOT = TESTS.parent
DATA = TESTS / "data" / "scenarios"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[FakeBackend]:
    backends: list[FakeBackend] = []

    def factory(stack: object, seed: int, **_: object) -> FakeBackend:
        backends.append(FakeBackend())
        return backends[-1]

    monkeypatch.setattr(cli, "load_stack_for", lambda project, stage: fake_stack())
    monkeypatch.setitem(cli.BACKENDS, "fake", factory)
    return backends


def console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def test_a_passing_run_prints_steps_table_and_journal(
    built: list[FakeBackend], tmp_path: Path
) -> None:
    out = console()
    code = cli.scenario_command(
        "dlq-capture", backend="fake", project=ROOT, results=tmp_path, console=out, seed=4
    )
    text = out.export_text()
    assert code == 0
    assert built[0].closed
    assert "✓ steps    1  purge Queue, DeadLetterQueue" in text
    assert "drain DeadLetterQueue (max 10)" in text and "counters [21]" in text
    assert "Expectations" in text and "drained_counter[queue=DeadLetterQueue]" in text
    assert "completed" in text
    [journal] = (tmp_path / "runs").glob("*-dlq-capture-fake/journal.json")
    assert f"journal: {journal}" in text
    assert json.loads(journal.read_text())["seed"] == 4


def test_a_failing_expectation_exits_1(built: list[FakeBackend], tmp_path: Path) -> None:
    out = console()
    code = cli.scenario_command(
        "too-hopeful", backend="fake", file=DATA / "failing.yaml", results=tmp_path, console=out
    )
    text = out.export_text()
    assert code == 1
    assert "FAIL" in text and "invocations is 16, expected >= 100" in text
    assert "failed" in text


def test_dry_runs_nothing(built: list[FakeBackend], tmp_path: Path) -> None:
    out = console()
    code = cli.scenario_command(
        "protection-off",
        backend="fake",
        project=ROOT,
        results=tmp_path,
        dry=True,
        sets=["cap=50"],
        console=out,
    )
    text = out.export_text()
    assert code == 0 and built == [] and not (tmp_path / "runs").exists()
    assert "dry run" in text and "'cap': 50" in text
    assert "max_counter_sent == 50" in text
    assert "finally 1/2  recursion RecursiveLambdaFunction Terminate" in text


def test_aws_backend_is_not_there_yet(
    built: list[FakeBackend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command("loop-detection", backend="aws", project=ROOT, results=tmp_path)
    assert code == 2
    assert "not implemented yet" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "runs").exists()


def test_unknown_backend_suggests_one(
    built: list[FakeBackend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command("loop-detection", backend="locl", project=ROOT, results=tmp_path)
    assert code == 2
    assert "unknown backend 'locl'; did you mean 'local'?" in capsys.readouterr().err


def test_list_and_validate(built: list[FakeBackend]) -> None:
    out = console()
    assert cli.list_command(ROOT / "scenarios.yaml", console=out) == 0
    text = out.export_text()
    for name in ("loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"):
        assert name in text
    assert "counter=5" in text
    out = console()
    assert cli.validate_command(ROOT / "scenarios.yaml", console=out) == 0
    assert "4 scenarios match the compiled stack" in out.export_text()


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(TESTS / "_slow_cli.py"),
            "--file",
            str(DATA / "failing.yaml"),
            "scenario",
            "--name",
            "too-hopefull",
            "--backend",
            "slow",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "did you mean 'too-hopeful'?" in " ".join(proc.stderr.split())


@pytest.mark.skipif(
    shutil.which("invoke") is None and not (ROOT / ".venv/bin/invoke").exists(),
    reason="invoke not installed",
)
def test_invoke_tasks_end_to_end(tmp_path: Path) -> None:
    """The real thing: tasks.py -> looplab.cli -> the stack -> the simulator."""
    pytest.importorskip("looplab.backends.local", reason="the simulator backend is not there")
    invoke = str(ROOT / ".venv/bin/invoke") if (ROOT / ".venv/bin/invoke").exists() else "invoke"
    env = {**os.environ, "INVOKE_LOOPLAB_RESULTS": str(tmp_path)}
    listing = subprocess.run(
        [invoke, "--list"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )
    for task in ("scenario", "scenarios", "validate", "deploy", "remove"):
        assert f"  {task}" in listing.stdout
    run = subprocess.run(
        [invoke, "scenario", "--name", "loop-detection", "--set", "counter=7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [journal] = tmp_path.glob("runs/*-loop-detection-local/journal.json")
    doc = json.loads(journal.read_text())
    assert doc["status"] == "completed" and doc["parameters"] == {"counter": 7}
    assert doc["observations"]["max_counter_sent"] == 23
    bad = subprocess.run(
        [invoke, "scenario", "--name", "loop-detecton"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert bad.returncode == 2
    assert "did you mean 'loop-detection'?" in " ".join(bad.stderr.split())


def test_a_stack_that_does_not_compile_is_bad_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from looplab import stack
    from looplab._package import PackageError

    def broken(*args: object, **kwargs: object) -> None:
        raise PackageError("`sls package` failed (exit 1): boom")

    monkeypatch.setattr(stack, "load_stack", broken)
    assert cli.scenario_command("loop-detection", project=ROOT, results=tmp_path) == 2
    assert cli.validate_command(ROOT / "scenarios.yaml", project=ROOT) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot compile the stack for stage 'dev'" in err and "boom" in err
    assert not (tmp_path / "runs").exists()
