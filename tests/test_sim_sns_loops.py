"""Loops through SNS stop as AWS stops them, through the real trace header.

AWS (lambda/invocation-recursion): Lambda detects loops between Lambda, SQS, SNS and S3
and stops one after ~16 invocations; SNS carries the Publish call's X-Ray header to a
Lambda subscriber (the async invocation's trace) and to an SQS subscriber (the message's
AWSTraceHeader). The stacks here are small osls-shaped templates: a topic with an inline
Lambda subscription (what osls compiles for an ``sns`` event), and a topic with an SQS
subscription, raw and enveloped, feeding a mapping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import (
    build_stack,
    function_resource,
    mapping_resource,
    queue_resource,
    sns_queue_policy,
    write_handler,
)

from looplab.sim import Simulator
from looplab.sim.services.lambda_.async_queue import AsyncQueue
from looplab.sim.trace import TraceHeader

RELAY = """\
import json, os
import boto3

sns = boto3.client("sns")


def _counter(record):
    if record.get("EventSource") == "aws:sns":
        return json.loads(record["Sns"]["Message"])["counter"], record["Sns"]["TopicArn"]
    body = json.loads(record["body"])
    if "TopicArn" in body and "Message" in body:  # an enveloped notification
        body = json.loads(body["Message"])
    return body["counter"], record["eventSourceARN"]


def handler(event, context):
    counter, source = _counter(event["Records"][0])
    print(f"Received counter {counter} from {source}")
    counter += 1
    print(f"Sending count {counter}")
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps({"counter": counter}))
"""


def _topic(**props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "loop-topic", **props}}


def _relay(tmp_path: Path) -> dict[str, Any]:
    handler = write_handler(tmp_path, "relay", RELAY)
    # The topic's ARN spelled out, not {"Ref": "LoopTopic"}: the topic's inline
    # subscription names the function, so a Ref back would be a circular dependency,
    # which CloudFormation (and the reader) refuses.
    arn = {"Fn::Sub": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:loop-topic"}
    return function_resource("relay", handler, {"TOPIC_ARN": arn})


def sns_stack(tmp_path: Path) -> dict[str, Any]:
    """Shape ``sns``: LoopTopic -> RelayLambdaFunction -> Publish to LoopTopic."""
    return {
        "RelayLambdaFunction": _relay(tmp_path),
        "LoopTopic": _topic(
            Subscription=[
                {"Protocol": "lambda", "Endpoint": {"Fn::GetAtt": ["RelayLambdaFunction", "Arn"]}}
            ]
        ),
    }


def sns_sqs_stack(tmp_path: Path, raw: bool) -> dict[str, Any]:
    """Shape ``sns-sqs``: LoopTopic -> LoopQueue -> mapping -> relay -> LoopTopic."""
    return {
        "RelayLambdaFunction": _relay(tmp_path),
        "LoopTopic": _topic(),
        "LoopQueue": queue_resource("loop-queue"),
        "LoopSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "LoopTopic"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["LoopQueue", "Arn"]},
                "RawMessageDelivery": raw,
            },
        },
        "LoopQueuePolicy": sns_queue_policy("LoopQueue", "LoopTopic"),
        "Mapping": mapping_resource("LoopQueue", "RelayLambdaFunction"),
    }


def _messages(sim: Simulator, prefix: str) -> list[str]:
    return [e.message for e in sim.logs.events() if e.message.startswith(prefix)]


def _totals(sim: Simulator) -> tuple[float, float]:
    name = sim.stack.functions["RelayLambdaFunction"].name
    m = sim.metrics
    return (
        m.total("AWS/Lambda", "Invocations", 0, resource=name),
        m.total("AWS/Lambda", "RecursiveInvocationsDropped", 0, resource=name),
    )


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict, str | None, str]]:
    """Every AsyncQueue.submit, recorded before it runs (the async branch's entry point)."""
    calls: list[tuple[str, dict, str | None, str]] = []
    original = AsyncQueue.submit

    def submit(self: AsyncQueue, function: str, payload: dict, trace: str | None, source: str):
        calls.append((function, payload, trace, source))
        return original(self, function, payload, trace, source)

    monkeypatch.setattr(AsyncQueue, "submit", submit)
    return calls


def test_topic_to_function_loop_stops_after_16_invocations(
    tmp_path: Path,
    submitted: list,
    replies_match_botocore: list,  # noqa: F811
) -> None:
    with Simulator(build_stack(sns_stack(tmp_path), tmp_path), seed=5) as sim:
        sim.publish("LoopTopic", json.dumps({"counter": 0}))
        sim.advance(120)
        assert _totals(sim) == (16, 1)
        topic = sim.stack.topics["LoopTopic"]
        received = _messages(sim, "Received counter")
        assert received[0] == f"Received counter 0 from {topic.arn}"
        assert len(received) == 16
        assert _messages(sim, "Sending count")[-1] == "Sending count 16"
        published = sim.metrics.total(
            "AWS/SNS", "NumberOfMessagesPublished", 0, resource=topic.name
        )
        assert published == 17  # the seed and 16 relays; the 17th delivery is the stopped one
        assert sim.metrics.total("AWS/SNS", "NumberOfNotificationsDelivered", 0) == 17
    assert ("sns", "Publish", 200) in replies_match_botocore
    # Every delivery went through Lambda's async queue, with the Publish call's header.
    assert len(submitted) == 17
    function, _, trace, source = submitted[-1]
    assert (function, source) == ("RelayLambdaFunction", topic.arn)
    tag = sim.functions["RelayLambdaFunction"].tag
    header = TraceHeader.parse(trace)
    assert header is not None and header.lineage == {tag: 16}
    assert submitted[0][2] is None  # the experimenter's seed carries no header
    assert [TraceHeader.parse(s[2]).lineage[tag] for s in submitted[1:]] == list(range(1, 17))


def test_lambda_gets_the_event_sns_sends(tmp_path: Path, submitted: list) -> None:
    with Simulator(build_stack(sns_stack(tmp_path), tmp_path), seed=2) as sim:
        sim.publish("LoopTopic", json.dumps({"counter": 0}), {"kind": "seed"})
        sim.advance(sim.params.sns_delivery_delay)
    (_, event, _, _) = submitted[0]
    (record,) = event["Records"]
    topic = sim.stack.topics["LoopTopic"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"].startswith(topic.arn + ":")
    sns = record["Sns"]
    assert sns["Type"] == "Notification"
    assert sns["TopicArn"] == topic.arn
    assert sns["Message"] == '{"counter": 0}'
    assert sns["Subject"] is None
    assert sns["MessageAttributes"] == {"kind": {"Type": "String", "Value": "seed"}}
    assert sns["Timestamp"].endswith("Z") and "T" in sns["Timestamp"]
    assert {
        "MessageId",
        "Signature",
        "SignatureVersion",
        "SigningCertUrl",
        "UnsubscribeUrl",
    } <= set(sns)


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "enveloped"])
def test_topic_queue_function_loop_stops_too(tmp_path: Path, raw: bool) -> None:
    with Simulator(build_stack(sns_sqs_stack(tmp_path, raw), tmp_path), seed=7) as sim:
        sim.publish("LoopTopic", json.dumps({"counter": 0}))
        sim.advance(300)
        invocations, dropped = _totals(sim)
        # The stopped message returns to the queue after its visibility timeout and is
        # stopped again on each receive (no redrive here): the function never runs again.
        assert invocations == 16 and dropped >= 1
        queue = sim.stack.queues["LoopQueue"]
        assert _messages(sim, "Received counter")[0] == f"Received counter 0 from {queue.arn}"
        # The stopped message's batch is not deleted: SQS keeps it until its redrive or
        # retention (the mapping side's rule), so it is still in the queue.
        assert sim.queues["LoopQueue"].messages


def test_enveloped_delivery_is_the_notification_document(tmp_path: Path) -> None:
    stack = build_stack(sns_sqs_stack(tmp_path, raw=False), tmp_path)
    stack.mappings.clear()  # read the queue by hand
    with Simulator(stack) as sim:
        message_id = sim.publish("LoopTopic", "hello", {"kind": "seed"})
        header = "Root=1-00000000-000000000000000000000002;Lineage=abcdef01:4"
        sim.deliver(stack.topics["LoopTopic"].arn, "traced", header, "test")
        sim.advance(1)
        (first, _), (second, _) = sim.receive("LoopQueue")
    doc = json.loads(first.body)
    assert doc["Type"] == "Notification"
    assert (doc["MessageId"], doc["Message"]) == (message_id, "hello")
    assert doc["TopicArn"] == stack.topics["LoopTopic"].arn
    assert doc["MessageAttributes"] == {"kind": {"Type": "String", "Value": "seed"}}
    assert "Subject" not in doc
    assert {
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    } <= set(doc)
    assert first.message_attributes == {}  # enveloped: the attributes are in the document
    assert first.trace_header is None
    assert second.trace_header == header  # SQS's AWSTraceHeader is the publish's header


def test_a_queue_that_refuses_the_body_counts_a_failed_notification(tmp_path: Path) -> None:
    resources = sns_sqs_stack(tmp_path, raw=True)
    resources["LoopQueue"] = queue_resource("loop-queue", MaximumMessageSize=1024)
    stack = build_stack(resources, tmp_path)
    stack.mappings.clear()
    with Simulator(stack) as sim:
        sim.publish("LoopTopic", "x" * 2000)
        sim.advance(1)
        name = stack.topics["LoopTopic"].name
        assert sim.metrics.total("AWS/SNS", "NumberOfNotificationsFailed", 0, resource=name) == 1
        assert sim.metrics.total("AWS/SNS", "NumberOfNotificationsDelivered", 0) == 0
        assert sim.queues["LoopQueue"].visible == 0


BATCHER = """\
import os
import boto3

sns = boto3.client("sns")


def handler(event, context):
    sns.publish_batch(
        TopicArn=os.environ["OUT_ARN"],
        PublishBatchRequestEntries=[{"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two"}],
    )
"""


def test_a_handlers_publish_batch_carries_its_trace_header_on_every_entry(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "batcher", BATCHER)
    resources = {
        "Batcher": function_resource("batcher", handler, {"OUT_ARN": {"Ref": "OutTopic"}}),
        "InTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": "in",
                "Subscription": [
                    {"Protocol": "lambda", "Endpoint": {"Fn::GetAtt": ["Batcher", "Arn"]}}
                ],
            },
        },
        "OutTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "out"}},
        "OutQueue": queue_resource("out-queue"),
        "OutQueuePolicy": sns_queue_policy("OutQueue", "OutTopic"),
        "OutSub": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "OutTopic"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["OutQueue", "Arn"]},
                "RawMessageDelivery": "true",
            },
        },
    }
    with Simulator(build_stack(resources, tmp_path), seed=4) as sim:
        sim.publish("InTopic", "go")
        sim.advance(10)
        received = sim.receive("OutQueue")
        tag = sim.functions["Batcher"].tag
    assert sorted(m.body for m, _ in received) == ["one", "two"]
    headers = [TraceHeader.parse(m.trace_header) for m, _ in received]
    assert all(h is not None and h.lineage == {tag: 1} for h in headers)
    assert len({h.root for h in headers if h}) == 1  # one invocation's trace
