"""Issue 11, item 1: nothing in the template is silently ignored.

The stack reader describes any template (the aws backend must load every stack AWS
accepts); the SIMULATOR refuses what it does not model, by name and template path, and the
command line reports it as bad input: exit 2, the message, no traceback. Before the fix an
SNS subscription or an S3 notification was dropped without a word and a DynamoDB stream
mapping failed on an unrelated attribute.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import function_resource, mapping_resource, queue_resource
from rich.console import Console

from looplab import cli
from looplab.cli import commands
from looplab.sim import Simulator, UnsupportedTemplate, refusals
from looplab.stack import Stack

ROOT = Path(__file__).parent.parent


def _fn(name: str = "f") -> dict[str, Any]:
    return function_resource(name, "fns/x.handler", {"QUEUE_URL": {"Ref": "Q"}})


def template_with(extra: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": {"Q": queue_resource("q"), "F": _fn(), **extra}}


def read(tmp_path: Path, extra: dict[str, Any]) -> Stack:
    doc = json.loads(json.dumps(template_with(extra)))
    return Stack.from_template(doc, code_dir=tmp_path, stage="test")


TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {"TableName": "t", "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}},
}
ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "RoleName": "r",
        "Policies": [
            {
                "PolicyName": "p",
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:GetRecords"],
                            "Resource": [{"Fn::GetAtt": ["Table", "StreamArn"]}],
                        }
                    ]
                },
            }
        ],
    },
}
LOOPS: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (resources, the refused path, words of the reason)
    "sns-subscription": (
        {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}},
            "Sub": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "lambda",
                    "Endpoint": {"Fn::GetAtt": ["F", "Arn"]},
                    "FilterPolicy": {"kind": ["loop"]},
                },
            },
        },
        "Resources.Sub.Properties.FilterPolicy",
        "filter policies are not modelled",
    ),
    "topic-subscription-property": (
        {
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "Subscription": [{"Protocol": "https", "Endpoint": "https://example.com/"}]
                },
            }
        },
        "Resources.Topic.Properties.Subscription[0]",
        "SNS protocol 'https' is not modelled",
    ),
    "fifo-topic": (
        {
            "FifoTopic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"TopicName": "t.fifo", "FifoTopic": True},
            }
        },
        "Resources.FifoTopic",
        "FIFO topics are not modelled",
    ),
    "subscription-redrive": (
        {
            "RTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "rt"}},
            "RedriveSub": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "RTopic"},
                    "Protocol": "sqs",
                    "Endpoint": {"Fn::GetAtt": ["Q", "Arn"]},
                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Q", "Arn"]}},
                },
            },
        },
        "Resources.RedriveSub.Properties.RedrivePolicy",
        "RedrivePolicy",
    ),
    # S3: notifications to Lambda are modelled; to a queue or EventBridge they are not.
    "s3-queue-notification": (
        {
            "QBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "NotificationConfiguration": {
                        "QueueConfigurations": [
                            {"Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": ["Q", "Arn"]}}
                        ]
                    }
                },
            }
        },
        "Resources.QBucket.Properties.NotificationConfiguration.QueueConfigurations[0]",
        "S3 queue notifications are not modelled",
    ),
    "s3-eventbridge-notification": (
        {
            "EBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "NotificationConfiguration": {
                        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
                    }
                },
            }
        },
        "Resources.EBucket.Properties.NotificationConfiguration.EventBridgeConfiguration",
        "(EventBridge)",
    ),
    "events-permission": (
        {
            "Allow": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Ref": "F"},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "events.amazonaws.com",
                },
            }
        },
        "Resources.Allow.Properties.Principal",
        "events.amazonaws.com",
    ),
    "eventbridge-target": (
        {
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["x"]},
                    "Targets": [{"Id": "t", "Arn": {"Fn::GetAtt": ["F", "Arn"]}}],
                },
            }
        },
        "Resources.Rule",
        "EventBridge rule",
    ),
    "function-url": (
        {"Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": {"Ref": "F"}}}},
        "Resources.Url",
        "function URL",
    ),
    "dynamodb-stream": (
        {
            "Table": TABLE,
            "Role": ROLE,
            "Stream": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                    "FunctionName": {"Ref": "F"},
                    "StartingPosition": "LATEST",
                },
            },
        },
        "Resources.Stream.Properties.EventSourceArn",
        "from a DynamoDB stream",
    ),
}


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_the_stack_reads_it_and_the_simulator_refuses_it_by_path(tmp_path: Path, name: str) -> None:
    resources, path, words = LOOPS[name]
    stack = read(tmp_path, resources)  # the reader describes it: no error
    for logical_id, resource in resources.items():
        assert stack.resources[logical_id][0] == resource["Type"]
    found = [str(r) for r in refusals(stack)]
    assert any(r.startswith(f"{path}: ") and words in r for r in found), found
    with pytest.raises(UnsupportedTemplate) as caught:
        Simulator(stack)
    assert path in str(caught.value)


def test_a_stream_mapping_is_described_as_what_it_is(tmp_path: Path) -> None:
    stack = read(tmp_path, LOOPS["dynamodb-stream"][0])
    other = stack.other_mappings["Stream"]
    assert other.function == "F"
    assert other.event_source.startswith("arn:aws:dynamodb:eu-central-1:123456789012:table/t/")
    assert "Stream" not in stack.mappings


def test_every_refusal_is_reported_at_once(tmp_path: Path) -> None:
    everything: dict[str, Any] = {}
    for resources, _, _ in LOOPS.values():
        everything.update(resources)
    everything["Fifo"] = queue_resource("f.fifo", FifoQueue=True)
    everything["Node"] = function_resource("n", "index.handler", {}, Runtime="nodejs20.x")
    everything["M"] = mapping_resource("Q", "F", MaximumBatchingWindowInSeconds=5)
    stack = read(tmp_path, everything)
    paths = {r.path for r in refusals(stack)}
    assert {path for _, path, _ in LOOPS.values()} <= paths
    assert {"Resources.Fifo", "Resources.Node"} <= paths
    assert "Resources.M.Properties.MaximumBatchingWindowInSeconds" in paths


def test_the_shipped_stack_is_not_refused() -> None:
    from _support.simkit import repo_stack

    assert refusals(repo_stack()) == []


@pytest.fixture
def refused_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stack:
    stack = read(tmp_path, LOOPS["sns-subscription"][0])
    monkeypatch.setattr(commands, "load_stack_for", lambda project, stage, params=None: stack)
    return stack


def _stderr(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


@pytest.mark.parametrize("dry", [True, False])
def test_scenario_and_dry_refuse_with_exit_2_and_no_traceback(
    refused_stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path, dry: bool
) -> None:
    code = cli.scenario_command(
        "loop-detection",
        dry=dry,
        project=ROOT,
        results=tmp_path,
        console=Console(file=open("/dev/null", "w")),  # noqa: SIM115
    )
    err = _stderr(capsys)
    assert code == cli.EXIT_BAD_INPUT
    assert "Resources.Sub.Properties.FilterPolicy: subscription filter policies" in err
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_validate_refuses_with_exit_2(
    refused_stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.validate_command(project=ROOT) == cli.EXIT_BAD_INPUT
    err = _stderr(capsys)
    assert "Resources.Sub" in err and "Traceback" not in err


def test_the_aws_backend_is_not_refused_what_only_the_simulator_lacks(
    refused_stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "s.yaml").write_text(
        "version: 1\nscenarios:\n  one:\n    description: d\n    steps:\n"
        "      - seed: {queue: Q, body: {counter: 1}}\n"
    )
    code = cli.scenario_command(
        "one",
        backend="aws",
        dry=True,
        project=tmp_path,
        file="s.yaml",
        console=Console(file=open("/dev/null", "w")),  # noqa: SIM115
    )
    assert code == cli.EXIT_OK, _stderr(capsys)


def test_a_template_the_reader_cannot_resolve_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import looplab.stack as stack_module

    def broken(project: Path, stage: str, params: dict[str, str] | None = None) -> Stack:
        return Stack.from_template(
            {"Resources": {"Q": queue_resource({"Fn::ImportValue": "x"})}}, code_dir=tmp_path
        )

    monkeypatch.setattr(stack_module, "load_stack", broken)
    assert cli.validate_command(project=ROOT) == cli.EXIT_BAD_INPUT
    err = _stderr(capsys)
    assert "Fn::ImportValue is not supported" in err and "Traceback" not in err
