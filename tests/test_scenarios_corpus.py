"""Broken scenario files: every problem reported at once, with its line; exit 2; nothing run."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.fakes import FakeBackend, fake_kind, fake_stack

from looplab import cli
from looplab.cli import commands
from looplab.scenarios import ScenarioError, load_file, validate_file

DATA = Path(__file__).parent / "data" / "scenarios"

# file -> every (line, fragment) the report must hold, and nothing more.
CORPUS: dict[str, list[tuple[int, str]]] = {
    "bad_yaml.yaml": [(8, "not valid YAML: while parsing a flow mapping (opened on line 7)")],
    "unknown_step.yaml": [(8, "unknown step 'sed'; did you mean 'seed'?")],
    "missing_field.yaml": [(7, "seed needs 'body'"), (8, "drain needs 'queue'")],
    "wrong_type.yaml": [
        (7, "'count' must be an integer, got a string 'many'"),
        (8, "'seconds' must be a number"),
        (10, "'between' takes [low, high]"),
    ],
    "unknown_queue.yaml": [
        (7, "unknown queue 'dql'; did you mean 'dlq'?"),
        (8, "unknown function 'recursiv'; did you mean 'recursive'?"),
        (9, "unknown queue 'OtherQueue'"),
    ],
    "negative_wait.yaml": [
        (7, "'seconds' must be >= 0, got -5"),
        (8, "'timeout' must be > 0, got 0"),
    ],
    "duplicate_key.yaml": [(8, "duplicate key 'steps' (first on line 6)")],
    "many_errors.yaml": [
        (1, "unsupported version 2 (allowed: 1)"),
        (5, "'descripton'; did you mean 'description'?"),
        (5, "a scenario needs 'description'"),
        (9, "unknown parameter 'countr'; did you mean 'counter'?"),
        (10, "'timeout' goes with 'until'"),
        (11, "unknown recursion mode 'allow'; did you mean 'Allow'?"),
        (13, "unknown metric 'invocation'; did you mean 'invocations'?"),
        (14, "metric 'visible' needs a 'queue'"),
        (15, "exactly one of equals, at_least, at_most, between"),
        (19, "'max' must be >= 1, got 0"),
        (21, "unknown snapshot 'there'; did you mean 'here'?"),
        (23, "'wait: until' needs a 'timeout'"),
    ],
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_problem_reported_with_its_line(name: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        validate_file(DATA / name, fake_stack())
    found = [(p.line, p.message) for p in caught.value.problems]
    assert len(found) == len(CORPUS[name]), "\n".join(map(str, caught.value.problems))
    for line, fragment in CORPUS[name]:
        assert any(ln == line and fragment in msg for ln, msg in found), (
            f"{name}: no problem at line {line} with {fragment!r} in\n"
            + "\n".join(map(str, caught.value.problems))
        )
    for problem in caught.value.problems:
        assert str(problem).startswith(f"{DATA / name}:{problem.line}: ")


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CLI with a fake stack; records any attempt to build a backend."""
    built: list[str] = []

    def factory(stack: object, seed: int, **_: object) -> FakeBackend:
        built.append("built")
        return FakeBackend()

    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: fake_stack()
    )
    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(factory))
    return built


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_cli_exits_2_and_runs_nothing(
    name: str, no_run: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The file's own scenario: an unknown --name is refused on its own, before the file is
    # validated (tests/test_cli_values.py); here every problem of the file is reported.
    sfile, _ = load_file(DATA / name)
    scenario = sfile.names[0] if sfile else "anything"
    code = cli.scenario_command(
        scenario, backend="fake", file=DATA / name, results=tmp_path / "results"
    )
    assert code == 2
    assert no_run == []
    assert not (tmp_path / "results").exists()
    err = capsys.readouterr().err
    assert "nothing was run" in err
    assert f"{len(CORPUS[name])} problem" in err


def test_misspelt_scenario_name_lists_known_and_closest(
    no_run: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "dlq-reconect",
        backend="fake",
        file=Path("scenarios.yaml"),
        results=tmp_path,
        project=Path(__file__).parent.parent,
    )
    assert code == 2 and no_run == []
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown scenario 'dlq-reconect'; did you mean 'dlq-reconnect'?" in err
    for known in ("loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"):
        assert known in err


def test_the_validate_command_reports_all_problems(
    no_run: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.validate_command(DATA / "many_errors.yaml") == 2
    err = capsys.readouterr().err
    assert "12 problems" in err
    assert err.count("many_errors.yaml:") == 12
