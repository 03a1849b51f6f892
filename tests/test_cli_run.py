"""The command line: exit codes, console output, the invoke tasks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _support.fakes import FakeBackend, fake_kind, fake_stack
from rich.console import Console

from looplab import cli
from looplab.backends.base import BackendError
from looplab.cli import commands

TESTS = Path(__file__).parent
ROOT = TESTS.parent
DATA = TESTS / "data" / "scenarios"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[FakeBackend]:
    backends: list[FakeBackend] = []

    def factory(stack: object, seed: int, **_: object) -> FakeBackend:
        backends.append(FakeBackend())
        return backends[-1]

    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )
    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(factory))
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
        sets=["counter=7"],
        console=out,
    )
    text = out.export_text()
    assert code == 0 and built == [] and not (tmp_path / "runs").exists()
    assert "dry run" in text and "'counter': 7" in text
    assert "max_counter_sent == 1000" in text  # the cap, read from the (fake) stack
    assert "finally 1/2  recursion RecursiveLambdaFunction Terminate" in text


def test_aws_backend_without_a_stack_record_says_how_to_make_one(
    built: list[FakeBackend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "loop-detection", backend="aws", stage="norecord", project=ROOT, results=tmp_path
    )
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "no stack record for stage 'norecord'" in err
    assert "npx sls looplab-outputs --stage norecord" in err
    assert not (tmp_path / "runs").exists()


def test_unknown_backend_suggests_one(
    built: list[FakeBackend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command("loop-detection", backend="locl", project=ROOT, results=tmp_path)
    assert code == 2
    assert "unknown backend 'locl'; did you mean 'local'?" in capsys.readouterr().err


def test_list_and_validate(built: list[FakeBackend]) -> None:
    out = console()
    assert cli.list_command(ROOT / "scenarios.yaml", console=out, long=True) == 0
    text = out.export_text()
    for name in ("loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"):
        assert name in text
    assert "counter=5" in text
    out = console()
    assert cli.validate_command(ROOT / "scenarios.yaml", console=out) == 0
    text = out.export_text()
    assert "9 scenarios match the compiled stack" in text
    assert "5 on other loop shapes match their logical IDs" in text


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(TESTS / "_support" / "slow_cli.py"),
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
        env={**os.environ, "INVOKE_LOOPLAB_SCENARIOS": str(DATA / "failing.yaml")},
    )
    assert proc.returncode == 2
    assert "did you mean 'too-hopeful'?" in " ".join(proc.stderr.split())


def test_invoke_tasks_end_to_end(tmp_path: Path) -> None:
    """The real thing: tasks.py -> looplab.cli -> the stack -> the simulator."""
    import looplab.backends.local  # noqa: F401  (fails, never skips, when it is broken)

    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent)) or shutil.which("invoke")
    assert invoke, "invoke is a dev dependency: install it"
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
    from looplab.stack._package import PackageError

    def broken(*args: object, **kwargs: object) -> None:
        raise PackageError("`sls package` failed (exit 1): boom")

    monkeypatch.setattr(stack, "load_stack", broken)
    assert cli.scenario_command("loop-detection", project=ROOT, results=tmp_path) == 2
    assert cli.validate_command(ROOT / "scenarios.yaml", project=ROOT) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot compile the stack for stage 'dev'" in err and "boom" in err
    assert not (tmp_path / "runs").exists()


def test_dry_with_an_unknown_backend_is_bad_input(
    built: list[FakeBackend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "loop-detection", backend="bogus", project=ROOT, results=tmp_path, dry=True
    )
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown backend 'bogus' (allowed: aws, fake, local)" in err


def test_dry_with_aws_validates_without_building_it(
    built: list[FakeBackend], tmp_path: Path
) -> None:
    out = console()
    code = cli.scenario_command(
        "loop-detection", backend="aws", project=ROOT, results=tmp_path, dry=True, console=out
    )
    assert code == 0 and "loop-detection on aws (dry run" in out.export_text()


def test_python_m_looplab_offers_the_backends_as_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["scenario", "--name", "loop-detection", "--backend", "bogus", "--dry"])
    assert code == 2
    assert "unknown backend 'bogus' (allowed: aws, local)" in capsys.readouterr().err


@pytest.mark.parametrize(("signame", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupt_that_escapes_the_engine_is_an_exit_code(
    built: list[FakeBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signame: str,
    code: int,
) -> None:
    import looplab.engine
    from looplab.engine import Interrupted

    def interrupted(*args: object, **kwargs: object) -> None:
        raise Interrupted(signame)

    monkeypatch.setattr(looplab.engine, "run_scenario", interrupted)
    assert cli.scenario_command("loop-detection", backend="fake", results=tmp_path) == code
    assert f"interrupted ({signame})" in capsys.readouterr().err
    assert built[0].closed


def test_an_unwritable_results_folder_is_exit_2(
    built: list[FakeBackend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    code = cli.scenario_command("loop-detection", backend="fake", results=blocker)
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--results: {blocker} is not a folder" in err and built == []  # checked first
    # A folder the command's check cannot foresee (runs/ is a file): the engine's refusal.
    blocker.unlink()
    blocker.mkdir()
    (blocker / "runs").write_text("not a folder")
    code = cli.scenario_command("loop-detection", backend="fake", results=blocker)
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot make the run's folder under" in err and "(nothing was run)" in err


def test_a_broken_console_still_prints_the_end_and_the_error(
    built: list[FakeBackend],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(self: object, *args: object) -> None:
        raise RuntimeError("no terminal")

    monkeypatch.setattr(cli.ConsoleListener, "step_finished", broken)
    out = console()
    code = cli.scenario_command("dlq-capture", backend="fake", results=tmp_path, console=out)
    assert code == 0
    text = out.export_text()
    assert "completed" in text and "Expectations" in text
    err = " ".join(capsys.readouterr().err.split())
    assert "the console failed during the run (step_finished: RuntimeError: no terminal)" in err


TIMEOUT = """\
version: 1
aliases: {dlq: DeadLetterQueue}
scenarios:
  never:
    description: a wait that times out
    steps:
      - wait: {until: {metric: visible, queue: dlq, at_least: 1}, timeout: 12, poll: 2}
      - expect: {metric: visible, queue: dlq, equals: 0}
"""


def test_a_timed_out_wait_is_printed_as_a_warning(built: list[FakeBackend], tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(TIMEOUT)
    out = console()
    code = cli.scenario_command("never", backend="fake", file=file, results=tmp_path, console=out)
    text = out.export_text()
    assert code == 0
    assert "warning: steps 1 (line 7): wait until" in text and "timed out after 12 s" in text


def test_a_failed_cleanup_prints_why(
    built: list[FakeBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Busy(FakeBackend):
        def set_mapping(self, function: str, source_queue: str, enabled: bool) -> None:
            if not enabled:  # connecting works; disconnecting (in finally) does not
                raise BackendError("mapping busy")
            super().set_mapping(function, source_queue, enabled)

    def factory(stack: object, seed: int, **_: object) -> FakeBackend:
        return Busy()

    monkeypatch.setitem(cli.BACKENDS, "busy", fake_kind(factory))
    out = console()
    code = cli.scenario_command("dlq-reconnect", backend="busy", results=tmp_path, console=out)
    text = " ".join(out.export_text().split())
    assert code == 1  # every expectation passed, but the DLQ is still a trigger
    assert "completed: cleanup failed: finally 1 (disconnect): BackendError: mapping busy" in text


def test_the_expectations_table_keeps_the_check_on_80_columns(
    built: list[FakeBackend], tmp_path: Path
) -> None:
    out = Console(record=True, width=80, force_terminal=False)
    assert cli.scenario_command("dlq-reconnect", backend="fake", results=tmp_path, console=out) == 0
    table = out.export_text().split("Expectations", 1)[1]
    assert "…" not in table
    joined = "".join(line.split("│")[1].strip() for line in table.splitlines() if "│" in line)
    assert "invoked_events[source=DeadLetterQueue]" in joined


def test_scenarios_lists_one_line_a_scenario_and_long_the_rest() -> None:
    """Before, each row was the whole description and parameters: 10-25 lines at 80 columns."""
    from looplab.scenarios import load_file

    sfile, _ = load_file(ROOT / "scenarios.yaml")
    assert sfile is not None
    out = Console(record=True, width=80, force_terminal=False)
    assert cli.list_command(ROOT / "scenarios.yaml", console=out) == 0
    rows = [line for line in out.export_text().splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == list(sfile.names)
    assert all(len(row) <= 80 for row in rows)
    assert "counter=5" not in out.export_text()  # parameters only with --long
    assert "The post's first run:" in rows[0]
    out = Console(record=True, width=80, force_terminal=False)
    assert cli.list_command(ROOT / "scenarios.yaml", console=out, long=True) == 0
    assert "counter=5" in out.export_text()


def test_both_surfaces_take_scenarios_long(capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scenarios", "--long"]) == 0
    assert "counter=5" in capfd.readouterr().out


def test_the_simulators_refusals_are_checked_on_any_stack_it_is_given() -> None:
    # check_simulable once skipped whatever was not a looplab.stack.Stack (so that the
    # tests' fake stacks passed): a stack of another type reached the simulator unchecked.
    stack = fake_stack()
    stack.template = {"Url": {"Type": "AWS::Lambda::Url", "Properties": {}}}
    stack.other_mappings, stack.subscriptions, stack.queue_policies = {}, {}, {}
    with pytest.raises(commands.BadInput, match="function URL"):
        commands.check_simulable(stack)
    commands.check_simulable(fake_stack())  # the fake stack is simulable: nothing refused
