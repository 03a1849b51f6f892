"""The command line answers wrong arguments with exit 2 and the expected type, not a traceback.

Before the fix ``invoke scenario --seed x`` printed invoke's 20-line traceback, ``invoke
scenario --help`` said "unknown scenario '--help'", and a run from a subdirectory looked for
node_modules there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from looplab import cli
from looplab.cli import commands

ROOT = Path(__file__).parents[2]


def invoke(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("invoke", path=str(Path(sys.executable).parent)) or shutil.which("invoke")
    assert exe, "invoke is a dependency: install it"
    return subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )


@pytest.mark.parametrize("seed", ["x", "1.5", ""])
def test_a_seed_that_is_not_an_integer_is_exit_2_with_the_type(seed: str) -> None:
    proc = invoke("scenario", "--name", "loop-detection", "--seed", seed, "--dry")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--seed" in proc.stderr and "an integer" in proc.stderr


def test_scenario_help_prints_the_task_help() -> None:
    proc = invoke("scenario", "--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Usage: inv[oke] [--core-opts] scenario" in proc.stdout and "--seed" in proc.stdout


def test_a_missing_name_is_exit_2_with_the_choices() -> None:
    proc = invoke("scenario")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--name" in proc.stderr and "loop-detection" in proc.stderr


def test_a_param_that_is_not_key_value_is_exit_2_not_a_traceback() -> None:
    proc = invoke("deploy", "--param", "dlqTrigger")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "key=value" in proc.stderr


def test_readme_tells_the_truth_about_invokes_own_errors() -> None:
    unknown = invoke("scenario", "--name", "loop-detection", "--bogus")
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert unknown.returncode == 1 and "No idea what '--bogus' is!" in unknown.stderr
    assert "invoke's own errors" in readme and "exit 1" in readme.split("invoke's own errors")[1]


def test_seed_parsing_in_the_library() -> None:
    assert cli.parse_int_option("--seed", "7") == 7
    with pytest.raises(cli.BadInput, match=r"--seed expects an integer from 0 to .*, got 'x'"):
        cli.parse_int_option("--seed", "x")
    with pytest.raises(cli.BadInput, match=r"--seed expects an integer from 0 to .*, got '-1'"):
        cli.parse_int_option("--seed", -1)


def test_a_run_from_a_subdirectory_uses_the_project_root(tmp_path: Path) -> None:
    proc = invoke("scenario", "--name", "loop-detection", "--dry", cwd=ROOT / "docs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dry run" in proc.stdout


def test_project_root_walks_up_to_tasks_py(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert cli.project_root(deep) == tmp_path
    assert cli.project_root(ROOT / "looplab" / "sim") == ROOT


@pytest.mark.parametrize(
    ("value", "expected"),
    [("counter=x", "expects an integer like 5, got 'x'"), ("counter", "is not key=value")],
)
def test_a_set_of_the_wrong_type_is_exit_2_with_the_type(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str, expected: str
) -> None:
    from _support.fakes import fake_stack

    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )
    code = cli.scenario_command("loop-detection", sets=[value], dry=True, project=ROOT)
    assert code == 2
    assert expected in " ".join(capsys.readouterr().err.split())
