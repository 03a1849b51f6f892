"""Helpers for the simulator's tests: the repo's compiled stack, and stacks built in tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from looplab.stack import Stack, load_stack

ROOT = Path(__file__).resolve().parents[2]  # the project: tests/_support/ is two floors down

_repo_stacks: dict[tuple[tuple[str, str], ...], Stack] = {}


def repo_stack(**params: str) -> Stack:
    """The stack compiled from the repo's own serverless.yml (sls package, cached)."""
    key = tuple(sorted(params.items()))
    if key not in _repo_stacks:
        _repo_stacks[key] = load_stack(ROOT, stage="simtest", params=dict(params) or None)
    return _repo_stacks[key]


def queue_resource(name: str, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **props}}


def sqs_subscription(topic: str, queue: str, raw: bool = True) -> dict[str, Any]:
    """An AWS::SNS::Subscription of ``queue`` to ``topic`` (logical IDs)."""
    return {
        "Type": "AWS::SNS::Subscription",
        "Properties": {
            "TopicArn": {"Ref": topic},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": [queue, "Arn"]},
            "RawMessageDelivery": "true" if raw else "false",
        },
    }


def sns_queue_policy(queue: str, topic: str) -> dict[str, Any]:
    """The AWS::SQS::QueuePolicy that lets ``topic`` send to ``queue`` (logical IDs), as
    stacks/sns-sqs.yml has it: without one SNS delivers nothing to the queue."""
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": queue}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sns.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": {"Fn::GetAtt": [queue, "Arn"]},
                        "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": topic}}},
                    }
                ],
            },
        },
    }


def function_resource(name: str, handler: str, env: dict[str, Any], **props: Any) -> dict:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": name,
            "Handler": handler,
            "Runtime": "python3.12",
            "Timeout": 6,
            "Environment": {"Variables": env},
            **props,
        },
    }


def mapping_resource(queue: str, function: str, batch_size: int = 1, **props: Any) -> dict:
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "FunctionName": {"Ref": function},
            "BatchSize": batch_size,
            **props,
        },
    }


def write_handler(code_dir: Path, name: str, source: str) -> str:
    """Write a handler module under ``code_dir/fns`` and return its Handler string."""
    (code_dir / "fns").mkdir(exist_ok=True)
    (code_dir / "fns" / f"{name}.py").write_text(source)
    return f"fns/{name}.handler"


def build_stack(resources: dict[str, Any], code_dir: Path) -> Stack:
    """A stack for the simulator: what it refuses raises here (``looplab.sim.check_stack``)."""
    from looplab.sim.refusals import check_stack

    template = json.loads(json.dumps({"Resources": resources}))
    stack = Stack.from_template(template, code_dir=code_dir, stage="test")
    check_stack(stack)
    return stack


FORWARDER = """\
import json, os
import boto3

TARGET = os.environ["TARGET_URL"]
CAP = int(os.environ.get("CAP", "1000"))
sqs = boto3.client("sqs")  # at import, as many handlers do


def handler(event, context):
    for record in event["Records"]:
        n = json.loads(record["body"])["n"]
        print(f"{os.environ['AWS_LAMBDA_FUNCTION_NAME']} got {n}")
        if n < CAP:
            sqs.send_message(QueueUrl=TARGET, MessageBody=json.dumps({"n": n + 1}))
"""


def one_function_stack(
    code_dir: Path,
    handler: str,
    name: str,
    *,
    queue: dict[str, Any] | None = None,
    function: dict[str, Any] | None = None,
    mapping: dict[str, Any] | None = None,
) -> Stack:
    """Queue ``Q`` ("<name>-q") -> mapping ``M`` -> function ``F`` ("<name>-fn")."""
    return build_stack(
        {
            "Q": queue_resource(f"{name}-q", **(queue or {})),
            "F": function_resource(f"{name}-fn", handler, {}, **(function or {})),
            "M": mapping_resource("Q", "F", **(mapping or {})),
        },
        code_dir,
    )
