"""Every command-line value is checked before anything runs: a bad one is exit 2 saying which
option, what was given and what is valid; no compile, no backend, no journal, no traceback.

Before the fix ``--set counter=[[[...]]]`` (500 deep) was a RecursionError, ``--set`` with a
5,000-digit integer a ValueError traceback, a wrong ``--set``, ``--name`` or ``--stage`` was
found only after the stack was compiled (or by sls itself), a seed of -1 or 10**4000 was
taken, ``--endpoint-url ftp://x`` and ``--results <a file>`` reached the backend, and
``collect-results --out <a file>`` read every journal before failing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _support.nothing_ran import ROOT, Witness, watch

from looplab import cli

DEEP = "[" * 500 + "]" * 500
DIGITS = "9" * 5000


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Witness:
    (tmp_path / "a-file").write_text("not a folder\n")
    return watch(monkeypatch, tmp_path)


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())  # the console wraps long lines


def _resolve(value: Any, tmp_path: Path) -> Any:
    """``{tmp}`` in a value is the test's folder (a table cannot name it)."""
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp_path))
    if isinstance(value, list):
        return [_resolve(v, tmp_path) for v in value]
    return value


# (options of scenario_command, words the error must hold)
SCENARIO = [
    ({"name": "nope"}, ["unknown scenario 'nope'", "loop-detection"]),
    ({"name": "../../etc/passwd"}, ["--name", "unknown scenario '../../etc/passwd'"]),
    ({"name": "x" * 5000}, ["--name", "5,000 characters"]),
    ({"name": "a\x1b[2Jb"}, ["--name"]),
    ({"backend": "gcp"}, ["unknown backend 'gcp'", "local"]),
    ({"stage": ""}, ["--stage", "letters, digits and hyphens"]),
    ({"stage": "../x"}, ["--stage", "'../x'", "letters, digits and hyphens"]),
    ({"stage": "dev prod"}, ["--stage", "letters, digits and hyphens"]),
    ({"stage": "s" * 200}, ["--stage", "at most"]),
    ({"seed": "x"}, ["--seed", "an integer"]),
    ({"seed": "-1"}, ["--seed", "from 0 to"]),
    ({"seed": "1e3"}, ["--seed", "an integer"]),
    ({"seed": DIGITS}, ["--seed", "5,000 characters"]),
    ({"sets": [f"counter={DEEP}"]}, ["--set", "'counter' expects an integer", "deeper than"]),
    ({"sets": [f"counter={DIGITS}"]}, ["--set", "'counter'", "5,000 characters"]),
    ({"sets": ["counter=x"]}, ["--set", "'counter' expects an integer like 5, got 'x'"]),
    ({"sets": ["counter=[1, 2]"]}, ["--set", "'counter' expects an integer like 5"]),
    ({"sets": ["counter"]}, ["--set", "key=value"]),
    ({"sets": ["nope=1"]}, ["--set", "unknown parameter 'nope'", "counter"]),
    (
        {"name": "protection-off", "sets": ["cap=50"]},
        ["--set", "'cap' is read from the stack", "--param counterCap=50"],
    ),
    ({"params": [f"maxReceiveCount={DIGITS}"]}, ["--param maxReceiveCount", "5,000 characters"]),
    ({"params": [f"maxReceiveCount={DEEP}"]}, ["--param maxReceiveCount", "an integer"]),
    ({"params": ["maxReceiveCount=-2"]}, ["--param maxReceiveCount", "at least 0"]),
    ({"params": ["nope=1"]}, ["--param", "unknown stack parameter 'nope'"]),
    ({"sim": ["handler_time_scale=0"]}, ["--sim handler_time_scale", "got '0'"]),
    ({"sim": ["x" * 5000 + "=1"]}, ["--sim", "5,000 characters"]),
    ({"sim": [f"recursion_threshold={DIGITS}"]}, ["--sim recursion_threshold", "5,000"]),
    ({"results": "{tmp}/a-file"}, ["--results", "a-file", "not a folder"]),
    ({"results": "{tmp}/a-file/below"}, ["--results", "a-file", "not a folder"]),
    ({"endpoint_url": "ftp://x"}, ["--endpoint-url", "'ftp://x'", "http"]),
    ({"endpoint_url": "http://"}, ["--endpoint-url", "http"]),
    ({"endpoint_url": "http://127.0.0.1:5000"}, ["--endpoint-url", "--backend aws"]),
    ({"file": "missing.yaml"}, ["missing.yaml", "cannot read"]),
    ({"junit_xml": "{tmp}"}, ["--junit-xml", "{tmp} is a folder", "a file's path"]),
    ({"junit_xml": "{tmp}/a-file/junit.xml"}, ["--junit-xml", "a-file is not a folder"]),
    ({"junit_xml": "x" * 5000}, ["--junit-xml", "5,000 characters"]),
]


@pytest.mark.parametrize(("options", "words"), SCENARIO)
def test_a_bad_scenario_option_is_exit_2_before_anything_runs(
    options: dict[str, Any],
    words: list[str],
    seen: Witness,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = {"name": "loop-detection", "results": seen.results, **options}
    given = {k: _resolve(v, tmp_path) for k, v in given.items()}
    code = cli.scenario_command(given.pop("name"), project=ROOT, **given)
    err = _err(capsys)
    assert code == 2, err
    for word in words:
        assert _resolve(word, tmp_path) in err, err
    assert "Traceback" not in err and "\x1b" not in err
    assert len(err) < 3_000, "a long value is shortened in the message"
    assert seen.nothing_ran(), seen.started


@pytest.mark.parametrize("backend", ["aws", "local"])
def test_a_bad_option_on_either_backend_stops_before_the_compile(
    backend: str, seen: Witness, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "loop-detection", backend=backend, stage="../x", project=ROOT, results=seen.results
    )
    assert code == 2 and "--stage" in _err(capsys)
    assert seen.nothing_ran(), seen.started


def test_the_witness_sees_a_good_command_run(seen: Witness) -> None:
    """The control: without a bad value the same command compiles, builds and journals."""
    code = cli.scenario_command(
        "loop-detection", backend="fake", project=ROOT, results=seen.results, seed="3"
    )
    assert code in (0, 1)
    assert seen.started == ["compile dev", "backend fake"]
    assert (seen.results / "runs").is_dir()


COLLECT = [
    ({"scenario": "../x"}, ["--scenario", "letters, digits"]),
    ({"scenario": "x" * 5000}, ["--scenario", "5,000 characters"]),
    ({"backend": "gcp"}, ["--backend", "unknown backend 'gcp'"]),
    ({"since": "yesterday"}, ["yesterday"]),
    ({"out": "{tmp}/a-file"}, ["--out", "a-file", "not a folder"]),
    ({"results": "{tmp}/a-file"}, ["a-file", "not a folder"]),
]


@pytest.mark.parametrize(("options", "words"), COLLECT)
def test_a_bad_collect_results_option_is_exit_2_before_any_journal_is_read(
    options: dict[str, Any],
    words: list[str],
    seen: Witness,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = {"results": str(tmp_path), **options}
    given = {k: _resolve(v, tmp_path) for k, v in given.items()}
    code = cli.collect_command(given.pop("results"), **given)
    err = _err(capsys)
    assert code == 2, err
    for word in words:
        assert _resolve(word, tmp_path) in err, err
    assert seen.nothing_ran(), seen.started


@pytest.mark.parametrize("stage", ["", "../x", "a b", "s" * 200])
@pytest.mark.parametrize("command", ["kill_switch_command", "operator_policy_command"])
def test_the_aws_commands_check_the_stage_before_reading_the_record(
    command: str, stage: str, seen: Witness, capsys: pytest.CaptureFixture[str]
) -> None:
    code = getattr(cli, command)(stage=stage, project=ROOT)
    assert code == 2 and "--stage" in _err(capsys)
    assert seen.nothing_ran(), seen.started


def test_validate_checks_the_stage_before_compiling(
    seen: Witness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.validate_command(stage="../x", project=ROOT) == 2
    assert "--stage" in _err(capsys) and seen.nothing_ran(), seen.started


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"stage": "../x"}, ["--stage"]),
        ({"region": "mars-1"}, ["--region", "'mars-1'", "eu-central-1"]),
        ({"region": "x" * 5000}, ["--region", "5,000 characters"]),
    ],
)
@pytest.mark.parametrize("task", ["deploy", "remove"])
def test_deploy_and_remove_check_stage_and_region_first(
    task: str,
    options: dict[str, str],
    words: list[str],
    seen: Witness,
) -> None:
    import invoke

    from looplab.cli import tasks

    with pytest.raises(invoke.Exit) as info:
        getattr(tasks, task)(invoke.Context(), **options)
    assert info.value.code == 2
    for word in words:
        assert word in str(info.value.message)
    assert seen.nothing_ran(), seen.started


def test_python_m_looplab_cli_reads_the_seed_as_the_tasks_do(
    seen: Witness, capsys: pytest.CaptureFixture[str]
) -> None:
    """The argparse entry point's own int() echoed all 5,000 digits and named no range;
    ``python -m looplab`` now runs the tasks themselves."""
    code = cli.main(["scenario", "--name", "loop-detection", "--seed", DIGITS])
    err = _err(capsys)
    assert code == 2 and "--seed" in err and "5,000 characters" in err and len(err) < 500
    assert seen.nothing_ran(), seen.started
