"""A stack record is a file a user or a tool can edit: every field of it that reaches an AWS
call or the operator policy is checked when it is read, against AWS's documented naming rules
(a function name, a queue URL of the record's account, a mapping UUID, ...), and a bad one is
refused naming the file and the field, never used: a record whose function is ``*`` made
``invoke operator-policy`` print ``function:*``, and a ``resources`` entry that is not an
object crashed with a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _support.fakes import ACCOUNT, DLQ, FUNCTION, QUEUE, REGION, STAGE, fake_record

from looplab import cli
from looplab.backends.aws import StackRecord, StackRecordError

MAIN_MAPPING = "RecursiveEventSourceMappingSQSQueue"
QUEUE_BASE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:looplab-unit-topic"


def _physical(lid: str, value: Any, kind: str | None = None) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        entry = doc["resources"].setdefault(lid, {"type": kind})
        entry["physicalId"] = value

    return change


def _set(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.update(fields)


def _resource(lid: str, entry: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["resources"].__setitem__(lid, entry)


FN, Q = f"resources.{FUNCTION}.physicalId", f"resources.{QUEUE}.physicalId"
# (what is tampered, the change, the field the refusal must name)
TAMPERED: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("function *", _physical(FUNCTION, "*"), FN),
    ("function name too long", _physical(FUNCTION, "f" * 65), FN),
    ("function ARN with a wildcard", _physical(FUNCTION, "arn:aws:lambda:*:*:function:*"), FN),
    ("function not a string", _physical(FUNCTION, 7), FN),
    ("queue name *", _physical(QUEUE, f"{QUEUE_BASE}/*"), Q),
    ("queue of another account", _physical(QUEUE, "https://sqs.x/999999999999/looplab-q"), Q),
    ("queue name alone", _physical(QUEUE, "looplab-unit-queue"), Q),
    ("queue URL with a query", _physical(QUEUE, f"{QUEUE_BASE}/q?Action=PurgeQueue"), Q),
    ("queue name too long", _physical(QUEUE, f"{QUEUE_BASE}/{'q' * 81}"), Q),
    ("mapping *", _physical(MAIN_MAPPING, "*"), f"resources.{MAIN_MAPPING}.physicalId"),
    (
        "topic *",
        _physical("LoopTopic", f"arn:aws:sns:{REGION}:{ACCOUNT}:*", "AWS::SNS::Topic"),
        "resources.LoopTopic.physicalId",
    ),
    (
        "topic of another account",
        _physical("LoopTopic", TOPIC_ARN.replace(ACCOUNT, "999999999999"), "AWS::SNS::Topic"),
        "resources.LoopTopic.physicalId",
    ),
    (
        "bucket *",
        _physical("LoopBucket", "*", "AWS::S3::Bucket"),
        "resources.LoopBucket.physicalId",
    ),
    (
        "bucket name with capitals",
        _physical("LoopBucket", "Loop-Bucket", "AWS::S3::Bucket"),
        "resources.LoopBucket.physicalId",
    ),
    ("account *", _set(account="*"), "account"),
    ("region *", _set(region="*"), "region"),
    ("stack name *", _set(stackName="*"), "stackName"),
    ("stack status with an escape", _set(stackStatus="CREATE_COMPLETE\x1b]0;x\x07"), "stackStatus"),
    (
        "stack ID of another account",
        _set(stackId=f"arn:aws:cloudformation:{REGION}:999999999999:stack/looplab-{STAGE}/x"),
        "stackId",
    ),
    (
        "stack ID of another stack",
        _set(stackId=f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/other/x"),
        "stackId",
    ),
    (
        "stack ID with a wildcard partition",
        _set(stackId=f"arn:*:cloudformation:{REGION}:{ACCOUNT}:stack/looplab-{STAGE}/x"),
        "stackId",
    ),
    ("a resource that is not an object", _resource(DLQ, 5), f"resources.{DLQ}"),
    ("a resource type that is not a string", _resource(DLQ, {"type": 5}), f"resources.{DLQ}.type"),
    (
        "a logical ID with a terminal escape",
        _resource("Bad\x1b[2J", {"type": "AWS::IAM::Role", "physicalId": "r"}),
        "resources",
    ),
    ("outputs that are not an object", _set(outputs=[1]), "outputs"),
    ("an output that is not a string", _set(outputs={"QueueUrl": {"x": 1}}), "outputs.QueueUrl"),
]


@pytest.mark.parametrize(
    ("change", "field"), [(c, f) for _, c, f in TAMPERED], ids=[t for t, _, _ in TAMPERED]
)
def test_a_tampered_field_is_refused_naming_the_file_and_the_field(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    doc = fake_record()
    change(doc)
    with pytest.raises(StackRecordError) as caught:
        StackRecord.from_dict(doc, ".looplab/stacks/unit.json")
    message = str(caught.value)
    assert message.startswith(".looplab/stacks/unit.json: "), message
    assert f" {field} " in message, message
    assert "\x1b" not in message  # what the file says is shown escaped, never raw
    assert "npx sls looplab-outputs --stage unit" in message  # the way to rewrite it


def test_the_record_the_tests_use_and_a_topic_and_a_bucket_are_accepted() -> None:
    doc = fake_record()
    _physical("LoopTopic", TOPIC_ARN, "AWS::SNS::Topic")(doc)
    _physical("LoopBucket", "looplab-unit-eu-central-1-loop", "AWS::S3::Bucket")(doc)
    _physical("Fifo", f"{QUEUE_BASE}/{'q' * 75}.fifo", "AWS::SQS::Queue")(doc)
    record = StackRecord.from_dict(doc, "unit.json")
    assert record.queue_name("Fifo") == f"{'q' * 75}.fifo"


ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "scenario", ["smoke", "sns-loop", "sns-sqs-loop", "s3-loop", "lambda-loop", "chain-loop"]
)
def test_the_record_of_every_shipped_shape_is_accepted(scenario: str) -> None:
    from looplab.sim import Simulator

    _, stack, _ = cli.scenario_stacks(ROOT, ROOT / "scenarios.yaml", scenario, "dev", None)
    with Simulator(stack) as sim:
        doc = sim.stack_record()  # physical IDs as CloudFormation reports them
    record = StackRecord.from_dict(json.loads(json.dumps(doc)), "dev.json")
    assert record.functions  # every shape has at least one function
