"""looplab.cli.deploy builds the `npx sls` command tasks.py runs, and refuses without osls."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.cli.deploy import DeployError, deploy, remove, sls_command


class Recorder:
    def __init__(self) -> None:
        self.commands: list[str] = []

    def run(self, command: str, **kwargs: object) -> None:
        self.commands.append(command)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "node_modules" / "osls").mkdir(parents=True)
    return tmp_path


def test_deploy_passes_stage_region_and_every_param(project: Path):
    c = Recorder()
    deploy(c, "exp1", "eu-west-1", ["dlqTrigger=true", "recursiveLoop=Allow"], project_dir=project)
    assert c.commands == [
        f"cd {project} && npx --no sls deploy --stage exp1 --region eu-west-1 "
        "--param=dlqTrigger=true --param=recursiveLoop=Allow"
    ]


def test_remove_runs_sls_remove(project: Path):
    c = Recorder()
    remove(c, "exp1", "eu-west-1", project_dir=project)
    assert c.commands == [f"cd {project} && npx --no sls remove --stage exp1 --region eu-west-1"]


def test_without_node_modules_it_says_to_run_npm_ci(tmp_path: Path):
    c = Recorder()
    with pytest.raises(DeployError, match="run `npm ci`"):
        deploy(c, "dev", "eu-central-1", [], project_dir=tmp_path)
    with pytest.raises(DeployError, match="run `npm ci`"):
        remove(c, "dev", "eu-central-1", project_dir=tmp_path)
    assert c.commands == []


def test_a_param_that_is_not_key_value_is_refused():
    with pytest.raises(DeployError, match="key=value"):
        sls_command("deploy", "dev", "eu-central-1", ["dlqTrigger"])


def test_npx_never_downloads_a_package_called_sls():
    # Without --no, a missing local osls makes npx fetch the unrelated registry package "sls".
    assert sls_command("remove", "dev", "eu-central-1")[:3] == ["npx", "--no", "sls"]


class EnvRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.envs: list[dict[str, str]] = []

    def run(self, command: str, **kwargs: object) -> None:
        super().run(command)
        env = kwargs.get("env") or {}
        assert isinstance(env, dict)
        self.envs.append(env)


@pytest.mark.parametrize("shape", ["sqs", "sns"])
def test_the_sdk_node_warning_is_said_once_in_one_line_not_nine_per_command(
    project: Path, shape: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The AWS SDK for JavaScript v3 inside osls prints a nine-line NodeVersionSupportWarning
    on every deploy under Node < 22 (its emitWarningIfUnsupportedVersion); its own switch
    silences it, and looplab says what it was in one line instead."""
    (project / "stacks").mkdir()
    (project / "stacks" / "sns.yml").write_text("service: x\n")
    c = EnvRecorder()
    deploy(c, "exp1", "eu-west-1", [], project_dir=project, shape=shape)
    remove(c, "exp1", "eu-west-1", project_dir=project, shape=shape)
    assert [env.get("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED") for env in c.envs] == [
        "true",
        "true",
    ]
    err = capsys.readouterr().err
    assert err.count("AWS SDK for JavaScript") <= 2  # one line a command, only on Node < 22
    for line in err.splitlines():
        assert len(line) <= 200
