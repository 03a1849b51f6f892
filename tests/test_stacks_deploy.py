"""`invoke deploy/remove --shape`: the command built, bad names refused with the valid list,
the stack file's per-service path; and a real deploy + remove of the sns shape to moto's
server on 127.0.0.1 through looplab.cli.deploy itself (the config copied to the root and back)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from _support.moto import MotoServer
from _support.sls import PROJECT_DIR, REGION, isolated_aws_env, make_project

from looplab.cli.deploy import SHAPES, DeployError, deploy, remove, stack_file


class Recorder:
    def __init__(self, project: Path) -> None:
        self.project = project
        self.calls: list[tuple[str, dict[str, Any], list[str]]] = []

    def run(self, command: str, **kwargs: Any) -> None:
        # The shape's config sits at the project root only while the command runs.
        self.calls.append(
            (command, kwargs, sorted(p.name for p in self.project.glob(".looplab-*")))
        )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "node_modules" / "osls").mkdir(parents=True)
    shutil.copytree(PROJECT_DIR / "stacks", tmp_path / "stacks")
    return tmp_path


def test_a_shape_deploys_with_its_config_copied_to_the_root_for_the_command(project: Path):
    c = Recorder(project)
    deploy(c, "exp1", "eu-west-1", ["counterCap=50"], project_dir=project, shape="sns")
    ((command, kwargs, present),) = c.calls
    assert command == (
        f"cd {project} && npx --no sls deploy --config .looplab-sns.yml --stage exp1 "
        "--region eu-west-1 --param=counterCap=50"
    )
    assert present == [".looplab-sns.yml"]
    assert kwargs["env"]["LOOPLAB_SKIP_SCENARIOS_CHECK"] == "1"
    assert not list(project.glob(".looplab-*"))


def test_the_default_shape_is_the_posts_stack(project: Path):
    c = Recorder(project)
    remove(c, "exp1", "eu-west-1", project_dir=project)
    assert [call[0] for call in c.calls] == [
        f"cd {project} && npx --no sls remove --stage exp1 --region eu-west-1"
    ]


@pytest.mark.parametrize("action", [deploy, remove])
def test_an_unknown_shape_is_refused_with_the_valid_names(project: Path, action):
    c = Recorder(project)
    args = ([],) if action is deploy else ()
    with pytest.raises(DeployError) as err:
        action(c, "dev", REGION, *args, project_dir=project, shape="sqs-sns")
    assert "'sqs-sns'" in str(err.value)
    for name in SHAPES:
        assert name in str(err.value)
    assert c.calls == []


def test_stack_files_never_collide_and_the_posts_path_is_kept(tmp_path: Path):
    paths = {stack_file(tmp_path, shape, "dev") for shape in SHAPES}
    assert len(paths) == len(SHAPES)
    assert stack_file(tmp_path, "sqs", "dev") == tmp_path / ".looplab" / "stacks" / "dev.json"
    assert stack_file(tmp_path, "sns", "dev").name == "looplab-sns-dev.json"


class ShellRunner:
    """invoke.Context.run's part used by looplab.cli.deploy, against moto only."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def run(self, command: str, **kwargs: Any) -> None:
        env = {**isolated_aws_env(self.endpoint), **dict(kwargs.get("env") or {})}
        proc = subprocess.run(
            command, shell=True, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"


@pytest.mark.integration
def test_the_sns_shape_deploys_to_moto_and_is_removed(moto_server: MotoServer, tmp_path: Path):
    project = make_project(tmp_path / "sns-moto").path
    shutil.copytree(PROJECT_DIR / "stacks", project / "stacks")
    c = ShellRunner(moto_server.url)
    deploy(c, "motosns", REGION, [], project_dir=project, shape="sns")

    record_path = stack_file(project, "sns", "motosns")
    record = json.loads(record_path.read_text())
    outputs = record["outputs"]
    assert record["stackName"] == "looplab-sns-motosns"
    assert outputs["LoopTopicArn"].endswith(":looplab-sns-motosns-topic")
    assert not (project / ".looplab" / "stacks" / "motosns.json").exists()
    assert not list(project.glob(".looplab-*"))

    client = {
        name: boto3.client(
            name,
            endpoint_url=moto_server.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for name in ("sns", "lambda")
    }
    # moto's CloudFormation does not create AWS::SNS::Subscription resources (neither listed
    # under the topic nor among the stack's resources): the package tests check the
    # subscription and the DLQ (moto returns no DeadLetterConfig either); here the topic,
    # the function and its environment.
    resources = record["resources"]
    assert resources["LoopTopic"]["physicalId"] == outputs["LoopTopicArn"]
    config = client["lambda"].get_function(FunctionName=outputs["RelayFunctionName"])
    conf = config["Configuration"]
    assert conf["Environment"]["Variables"]["TOPIC_ARN"] == outputs["LoopTopicArn"]

    remove(c, "motosns", REGION, project_dir=project, shape="sns")
    assert not record_path.exists()
    assert outputs["LoopTopicArn"] not in [
        t["TopicArn"] for t in client["sns"].list_topics()["Topics"]
    ]
