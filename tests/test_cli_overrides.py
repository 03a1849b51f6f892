"""--param (stack parameters, as sls --param) and --sim (SimParams fields) from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import FakeBackend, fake_kind, fake_stack
from rich.console import Console

from looplab import cli
from looplab.cli import commands
from looplab.cli.overrides import OverrideError, parse_sim, parse_stack_params, stack_params
from looplab.sim import SimParams

ROOT = Path(__file__).parent.parent


def console() -> Console:
    return Console(record=True, width=200, force_terminal=False)


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(capsys.readouterr().err.split())  # the console wraps long lines


# -- --sim --------------------------------------------------------------------------------


def test_sim_fields_are_parsed_by_their_type() -> None:
    got = parse_sim(
        [
            "recursion_threshold=20",
            "poll_latency=0.1,0.2",
            "environment_idle_lifetime=none",
            "lineage_per_function=false",
            "metric_period=60",
            "mapping_transition=2.5",
            "mapping_stopped_event_counts=polled-only",
        ]
    )
    assert got == {
        "recursion_threshold": 20,
        "poll_latency": (0.1, 0.2),
        "environment_idle_lifetime": None,
        "lineage_per_function": False,
        "metric_period": 60,
        "mapping_transition": 2.5,
        "mapping_stopped_event_counts": "polled-only",
    }
    assert SimParams().with_overrides(**got).recursion_threshold == 20


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("recursion_treshold=20", ["unknown simulator parameter", "'recursion_threshold'"]),
        ("recursion_threshold=abc", ["recursion_threshold", "an integer", "'abc'"]),
        ("recursion_threshold=2.5", ["an integer"]),
        ("recursion_threshold=none", ["an integer"]),  # not Optional
        ("recursion_threshold=-1", ["an integer from 1 to 10,000", "'-1'"]),
        ("mapping_transition=inf", ["a number from 0 to 3,600 seconds", "'inf'"]),
        ("lineage_per_function=maybe", ["true or false"]),
        ("poll_latency=0.1", ["two numbers"]),
        ("poll_latency=0.3,0.1", ["low <= high"]),
        ("mapping_stopped_event_counts=fail", ["'failed'", "invoked-and-failed"]),
        ("recursion_threshold", ["key=value"]),
    ],
)
def test_bad_sim_overrides_say_what_and_which(item: str, words: list[str]) -> None:
    with pytest.raises(OverrideError) as info:
        parse_sim([item])
    for word in words:
        assert word in str(info.value), str(info.value)


# -- --param ------------------------------------------------------------------------------


def test_the_declared_stack_parameters_come_from_serverless_yml() -> None:
    declared = stack_params(ROOT)
    assert declared["maxReceiveCount"].default == 1
    assert declared["dlqTrigger"].default is False
    assert declared["recursiveLoop"].choices == ("Allow", "Terminate")


def test_stack_params_are_checked_and_kept_as_text() -> None:
    declared = stack_params(ROOT)
    got = parse_stack_params(["maxReceiveCount=3", "dlqTrigger=true"], declared)
    assert got == {"maxReceiveCount": "3", "dlqTrigger": "true"}


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("maxRecieveCount=3", ["unknown stack parameter", "'maxReceiveCount'", "serverless.yml"]),
        ("maxReceiveCount=three", ["maxReceiveCount", "an integer", "'three'"]),
        ("maxReceiveCount=-2", ["at least 0"]),
        ("dlqTrigger=maybe", ["true or false"]),
        ("recursiveLoop=Alow", ["'Allow'", "Terminate"]),
        ("=3", ["key=value"]),
    ],
)
def test_bad_stack_params_say_what_and_which(item: str, words: list[str]) -> None:
    with pytest.raises(OverrideError) as info:
        parse_stack_params([item], stack_params(ROOT))
    for word in words:
        assert word in str(info.value), str(info.value)


# -- the command --------------------------------------------------------------------------


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def load(project: Path, stage: str, params: dict[str, str] | None = None) -> Any:
        seen["params"] = params
        return fake_stack()

    def factory(stack: object, seed: int, **options: Any) -> FakeBackend:
        seen["sim"] = options.get("sim_params")
        return FakeBackend()

    monkeypatch.setattr(commands, "load_stack_for", load)
    monkeypatch.setitem(cli.BACKENDS, "fake", fake_kind(factory))
    return seen


def test_param_reaches_the_stack_and_sim_the_backend_and_both_the_journal(
    seen: dict[str, Any], tmp_path: Path
) -> None:
    code = cli.scenario_command(
        "dlq-capture",
        backend="fake",
        project=ROOT,
        results=tmp_path,
        console=console(),
        params=["maxReceiveCount=3"],
        sim=["recursion_threshold=20"],
    )
    assert code == 0
    assert seen["params"] == {"maxReceiveCount": "3"}
    assert seen["sim"] == {"recursion_threshold": 20}
    [journal] = (tmp_path / "runs").glob("*/journal.json")
    definition = json.loads(journal.read_text())["definition"]
    assert definition["overrides"] == {
        "stack_params": {"maxReceiveCount": "3"},
        "simulator": {"recursion_threshold": 20},
    }


def test_bad_overrides_are_exit_2_before_anything_runs(
    seen: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "dlq-capture", backend="fake", project=ROOT, results=tmp_path, sim=["recursion=3"]
    )
    assert code == 2
    assert "did you mean 'recursion_threshold'" in _err(capsys)
    assert "params" not in seen and not (tmp_path / "runs").exists()


def test_param_on_aws_is_refused_with_how_to_redeploy(
    seen: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "dlq-capture", backend="aws", project=ROOT, results=tmp_path, params=["batchSize=2"]
    )
    err = _err(capsys)
    assert code == 2
    assert "fixed at deploy" in err and "invoke deploy --param batchSize=2" in err


def test_sim_on_aws_is_refused(
    seen: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "dlq-capture", backend="aws", project=ROOT, results=tmp_path, sim=["metric_period=60"]
    )
    assert code == 2
    assert "--sim" in _err(capsys)


def test_the_cap_is_read_from_the_stack_and_set_cannot_contradict_it(
    seen: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.scenario_command(
        "protection-off", backend="fake", project=ROOT, results=tmp_path, sets=["cap=50"]
    )
    err = _err(capsys)
    assert code == 2
    assert "read from the stack" in err and "--param counterCap" in err


def test_a_stack_reference_follows_the_compiled_stack() -> None:
    from looplab.scenarios import build_scenario, validate_file

    stack = fake_stack()
    stack.functions["RecursiveLambdaFunction"].environment["COUNTER_CAP"] = "50"
    scenario = build_scenario(
        validate_file(ROOT / "scenarios.yaml", stack), "protection-off", [], stack
    )
    assert scenario.parameters["cap"] == 50
    [_, _, _, wait, expect] = scenario.steps
    assert wait.until[0].value == 50 and expect.checks[0].value == 50


def test_a_bad_stack_reference_is_one_problem_with_its_line(tmp_path: Path) -> None:
    from looplab.scenarios import ScenarioError, validate_file

    text = (ROOT / "scenarios.yaml").read_text()
    bad = tmp_path / "scenarios.yaml"
    bad.write_text(
        text.replace("recursive.environment.COUNTER_CAP", "recursive.environment.COUNTER_CAPS")
    )
    with pytest.raises(ScenarioError) as info:
        validate_file(bad, fake_stack())
    [problem] = info.value.problems
    assert (
        "unknown environment variable of RecursiveLambdaFunction 'COUNTER_CAPS'" in problem.message
    )
    assert "did you mean 'COUNTER_CAP'" in problem.message
    assert (
        problem.line
        == text.splitlines().index("        from_stack: recursive.environment.COUNTER_CAP") + 1
    )


# -- for real: the compiled stack and the simulator ---------------------------------------


def test_invoke_param_and_sim_reach_the_stack_the_simulator_and_the_journal(
    tmp_path: Path,
) -> None:
    import os
    import shutil
    import subprocess
    import sys

    invoke = shutil.which("invoke", path=str(Path(sys.executable).parent)) or shutil.which("invoke")
    assert invoke, "invoke is a dev dependency: install it"
    env = {**os.environ, "INVOKE_LOOPLAB_RESULTS": str(tmp_path)}
    args = ["scenario", "--name", "protection-off", "--param", "counterCap=50"]
    run = subprocess.run(
        [invoke, *args, "--sim", "mapping_transition=1.5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [journal] = tmp_path.glob("runs/*-protection-off-local/journal.json")
    doc = json.loads(journal.read_text())
    definition = doc["definition"]
    assert definition["overrides"] == {
        "stack_params": {"counterCap": "50"},
        "simulator": {"mapping_transition": 1.5},
    }
    env_of = definition["stack"]["functions"]["RecursiveLambdaFunction"]["environment"]
    assert env_of["COUNTER_CAP"] == "50"  # compiled with the parameter
    assert definition["backend"]["simulator"]["mapping_transition"] == 1.5
    assert doc["parameters"]["cap"] == 50  # read from that stack, not a second copy
    assert doc["observations"]["max_counter_sent"] == 50


def test_sim_recursion_threshold_changes_where_the_chain_stops(tmp_path: Path) -> None:
    code = cli.scenario_command(
        "loop-detection",
        project=ROOT,
        results=tmp_path,
        console=console(),
        sim=["recursion_threshold=20"],
    )
    assert code in (0, 1)  # the expectations' ranges were written for AWS's ~16
    [journal] = (tmp_path / "runs").glob("*/journal.json")
    doc = json.loads(journal.read_text())
    assert doc["definition"]["backend"]["simulator"]["recursion_threshold"] == 20
    assert doc["observations"]["invocations"] == 20


# -- a hostile serverless.yml: read with the scenario loader's bounds ----------------------


def _project(tmp_path: Path, serverless: str) -> Path:
    (tmp_path / "tasks.py").write_text("")
    (tmp_path / "scenarios.yaml").write_text((ROOT / "scenarios.yaml").read_text())
    (tmp_path / "serverless.yml").write_text(serverless)
    return tmp_path


HEAD = "service: x\nparams:\n  default:\n    foo: 1\n"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("custom: " + "[" * 3000 + "]" * 3000 + "\n", ["serverless.yml:5", "deeper than"]),
        (
            "custom:\n" + "".join(f"{' ' * (i + 2)}k{i}:\n" for i in range(200)),
            ["serverless.yml", "deeper than"],
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"a{i}: &a{i} [{', '.join(['*a' if i == 0 else f'*a{i - 1}'] * 10)}]\n"
                for i in range(8)
            ),
            ["serverless.yml", "aliases expand"],
        ),
        ("custom: " + "9" * 5000 + "\n", ["serverless.yml:5", "digits"]),
    ],
)
def test_a_hostile_serverless_yml_with_param_is_exit_2_naming_the_file(
    tmp_path: Path, body: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path, HEAD + body)
    with pytest.raises(OverrideError) as info:
        stack_params(project)
    for word in words:
        assert word in str(info.value), str(info.value)
    code = cli.scenario_command(
        "loop-detection", project=project, params=["foo=2"], results=tmp_path / "r", dry=True
    )
    err = _err(capsys)
    assert code == 2 and "--param" in err and "serverless.yml" in err, err
    assert "Traceback" not in err and not (tmp_path / "r").exists()


def test_cloudformation_tags_in_serverless_yml_are_still_read(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        HEAD
        + "resources:\n  Resources:\n    Q:\n      Properties:\n"
        + "        A: !GetAtt Q.Arn\n        B: !Sub [x, {y: !Ref Q}]\n"
        + "        C: !Join ['', [a, !Ref Q]]\n        RecursiveLoop: ${param:loop}\n",
    )
    declared = stack_params(project)
    assert declared["foo"].default == 1
    assert declared["loop"].choices == ("Allow", "Terminate")
