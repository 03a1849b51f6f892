"""The trace header travels the way AWS documents: botocore forwards it, SQS stores it."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.simkit import build_stack, queue_resource

from looplab.sim import Simulator
from looplab.sim.trace import TraceHeader, parse_lineage

HEADER = (
    "Root=1-64ba4b00-0123456789abcdef01234567;Parent=1111111111111111;Sampled=0;Lineage=abcdef12:3"
)


@pytest.fixture
def sim(tmp_path: Path):
    stack = build_stack({"Q": queue_resource("trace-q")}, tmp_path)
    with Simulator(stack, seed=0) as simulator:
        yield simulator


@pytest.fixture
def in_lambda(monkeypatch: pytest.MonkeyPatch):
    """The two variables the Lambda runtime sets, which botocore's handler reads."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "caller")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", HEADER)


def test_botocore_forwards_the_trace_header_and_sqs_stores_it(sim: Simulator, in_lambda) -> None:
    client = sim.client("sqs")
    url = sim.queues["Q"].spec.url
    client.send_message(QueueUrl=url, MessageBody="x")
    (message,) = sim.queues["Q"].messages.values()
    # botocore URL-quotes the value; the parsed header is the one the runtime set.
    assert TraceHeader.parse(message.trace_header) == TraceHeader.parse(HEADER)


def test_no_header_outside_lambda(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("_X_AMZN_TRACE_ID", HEADER)  # set, but not inside a function
    sim.client("sqs").send_message(QueueUrl=sim.queues["Q"].spec.url, MessageBody="x")
    (message,) = sim.queues["Q"].messages.values()
    assert message.trace_header is None


def test_message_system_attribute_overrides_the_header(sim: Simulator, in_lambda) -> None:
    explicit = "Root=1-00000000-aaaaaaaaaaaaaaaaaaaaaaaa;Sampled=0;Lineage=99999999:1"
    sim.client("sqs").send_message(
        QueueUrl=sim.queues["Q"].spec.url,
        MessageBody="x",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": explicit}},
    )
    (message,) = sim.queues["Q"].messages.values()
    assert message.trace_header == explicit


def test_batch_send_applies_the_header_to_every_entry(sim: Simulator, in_lambda) -> None:
    result = sim.client("sqs").send_message_batch(
        QueueUrl=sim.queues["Q"].spec.url,
        Entries=[{"Id": f"m{i}", "MessageBody": str(i)} for i in range(3)],
    )
    assert len(result["Successful"]) == 3
    headers = {
        TraceHeader.parse(m.trace_header).lineage["abcdef12"]
        for m in sim.queues["Q"].messages.values()
    }
    assert headers == {3}
    assert len(sim.queues["Q"].messages) == 3


def test_receive_returns_awstraceheader_only_when_asked(sim: Simulator, in_lambda) -> None:
    client = sim.client("sqs")
    url = sim.queues["Q"].spec.url
    client.send_message(QueueUrl=url, MessageBody="x")
    plain = client.receive_message(QueueUrl=url)["Messages"][0]
    assert "Attributes" not in plain
    client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=plain["ReceiptHandle"], VisibilityTimeout=0
    )
    asked = client.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])
    attributes = asked["Messages"][0]["Attributes"]
    assert set(attributes) == {"AWSTraceHeader"}
    assert TraceHeader.parse(attributes["AWSTraceHeader"]).root == TraceHeader.parse(HEADER).root
    client.change_message_visibility(
        QueueUrl=url, ReceiptHandle=asked["Messages"][0]["ReceiptHandle"], VisibilityTimeout=0
    )
    everything = client.receive_message(QueueUrl=url, AttributeNames=["All"])
    assert everything["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "3"


def test_lineage_formats() -> None:
    assert parse_lineage("a87bd80c:1|68fd508a:5") == {"a87bd80c": 1, "68fd508a": 5}
    # The late-2024 form: <loop count>:<hash>:<request count>.
    assert parse_lineage("10:a87bd80c:3") == {"a87bd80c": 10}
    assert parse_lineage("junk|a87bd80c:x|b:2") == {"b": 2}
    header = TraceHeader.parse("Root=1-a-b;Parent=c;Sampled=1;Lineage=a87bd80c:1%7Cffffffff:2")
    assert header is not None and header.lineage == {"a87bd80c": 1, "ffffffff": 2}
    assert TraceHeader.parse(header.format()) == header
    assert TraceHeader.parse("Parent=c") is None
