"""SNS's API in the simulator, through Simulator.session()'s boto3 clients.

Every reply, errors included, is checked against botocore's SNS output shape
(``replies_match_botocore``); errors use the codes botocore's SNS model names (NotFound
404 for a topic that does not exist, InvalidParameter 400 for a bad parameter, the batch
errors of PublishBatch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import build_stack, queue_resource, sns_queue_policy, sqs_subscription
from botocore.exceptions import ClientError

from looplab.sim import Simulator

ACCOUNT = "123456789012"


def _resources() -> dict[str, Any]:
    return {
        "LoopQueue": queue_resource("loop-queue"),
        "LoopQueuePolicy": sns_queue_policy("LoopQueue", "LoopTopic"),
        "LoopTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "loop-topic"}},
        "Other": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "other"}},
        "Sub": sqs_subscription("LoopTopic", "LoopQueue"),
    }


@pytest.fixture
def sim(tmp_path: Path, replies_match_botocore: list) -> Any:  # noqa: F811
    with Simulator(build_stack(_resources(), tmp_path), seed=1) as simulator:
        yield simulator


@pytest.fixture
def sns(sim: Simulator) -> Any:
    return sim.client("sns")


def _arn(sim: Simulator, topic: str = "LoopTopic") -> str:
    return sim.stack.topics[topic].arn


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_list_topics_and_attributes(sim: Simulator, sns: Any) -> None:
    topics = sns.list_topics()["Topics"]
    assert [t["TopicArn"] for t in topics] == [_arn(sim), _arn(sim, "Other")]
    attrs = sns.get_topic_attributes(TopicArn=_arn(sim))["Attributes"]
    assert attrs["TopicArn"] == _arn(sim)
    assert attrs["Owner"] == sim.stack.account_id
    assert attrs["SubscriptionsConfirmed"] == "1"
    assert json.loads(attrs["Policy"])["Statement"][0]["Resource"] == _arn(sim)
    assert (
        sns.get_topic_attributes(TopicArn=_arn(sim, "Other"))["Attributes"][
            "SubscriptionsConfirmed"
        ]
        == "0"
    )


def test_list_subscriptions_by_topic(sim: Simulator, sns: Any) -> None:
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=_arn(sim))["Subscriptions"]
    assert sub["Protocol"] == "sqs"
    assert sub["Endpoint"] == sim.stack.queues["LoopQueue"].arn
    assert sub["TopicArn"] == _arn(sim)
    assert sub["SubscriptionArn"].startswith(_arn(sim) + ":")
    assert sns.list_subscriptions_by_topic(TopicArn=_arn(sim, "Other"))["Subscriptions"] == []


def test_publish_delivers_raw_to_the_queue_with_attributes(sim: Simulator, sns: Any) -> None:
    reply = sns.publish(
        TopicArn=_arn(sim),
        Message='{"counter": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "loop"}},
    )
    assert reply["MessageId"]
    sim.advance(1)
    sqs = sim.client("sqs")
    url = sim.stack.queues["LoopQueue"].url
    (msg,) = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert msg["Body"] == '{"counter": 1}'
    assert msg["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "loop"}
    name = sim.stack.topics["LoopTopic"].name
    assert sim.metrics.total("AWS/SNS", "NumberOfMessagesPublished", 0, resource=name) == 1
    assert sim.metrics.total("AWS/SNS", "NumberOfNotificationsDelivered", 0, resource=name) == 1
    assert sim.metrics.total("AWS/SNS", "NumberOfNotificationsFailed", 0, resource=name) == 0


def test_delivery_waits_for_the_delivery_delay(tmp_path: Path) -> None:
    stack = build_stack(_resources(), tmp_path)
    with Simulator(stack, params=None) as sim:
        sim.publish("LoopTopic", "hello")
        assert sim.queues["LoopQueue"].visible == 0  # not before the delay
        sim.advance(sim.params.sns_delivery_delay)
        assert sim.queues["LoopQueue"].visible == 1


def test_publish_batch_reports_each_entry(sim: Simulator, sns: Any) -> None:
    reply = sns.publish_batch(
        TopicArn=_arn(sim),
        PublishBatchRequestEntries=[
            {"Id": "a", "Message": "one"},
            {"Id": "b", "Message": "two", "Subject": "x" * 101},
        ],
    )
    assert [s["Id"] for s in reply["Successful"]] == ["a"]
    (failed,) = reply["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == ("b", "InvalidParameter", True)
    sim.advance(1)
    assert sim.queues["LoopQueue"].visible == 1


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "EmptyBatchRequest"),
        ([{"Id": str(i), "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
        ([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}], "BatchEntryIdsNotDistinct"),
        ([{"Id": "bad id!", "Message": "m"}], "InvalidBatchEntryId"),
        ([{"Id": str(i), "Message": "x" * 200_000} for i in range(2)], "BatchRequestTooLong"),
    ],
)
def test_publish_batch_refuses_bad_batches(
    sim: Simulator, sns: Any, entries: list, code: str
) -> None:
    with pytest.raises(ClientError) as caught:
        sns.publish_batch(TopicArn=_arn(sim), PublishBatchRequestEntries=entries)
    assert _code(caught) == (code, 400)


def test_unknown_topic_is_not_found_and_a_bad_arn_an_invalid_parameter(
    sim: Simulator, sns: Any
) -> None:
    missing = f"arn:aws:sns:{sim.stack.region}:{ACCOUNT}:missing"
    for call in (
        lambda: sns.publish(TopicArn=missing, Message="m"),
        lambda: sns.get_topic_attributes(TopicArn=missing),
        lambda: sns.list_subscriptions_by_topic(TopicArn=missing),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert _code(caught) == ("NotFound", 404)
        assert "does not exist" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn="not-an-arn", Message="m")
    assert _code(caught) == ("InvalidParameter", 400)
    assert caught.value.response["Error"]["Message"] == "Invalid parameter: TopicArn"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"Message": ""}, "Invalid parameter: Empty message"),
        ({"Message": "x" * 262_145}, "Invalid parameter: Message too long"),
        ({"Message": "m", "Subject": "two\nlines"}, "Invalid parameter: Subject"),
        ({"Message": "{}", "MessageStructure": "json"}, "No default entry"),
    ],
)
def test_publish_checks_the_message(sim: Simulator, sns: Any, kwargs: dict, words: str) -> None:
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn=_arn(sim), **kwargs)
    assert _code(caught) == ("InvalidParameter", 400)
    assert words in caught.value.response["Error"]["Message"]
    assert sim.metrics.total("AWS/SNS", "NumberOfMessagesPublished", 0) == 0


def test_attribute_of_an_unknown_type_is_refused(sim: Simulator, sns: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sns.publish(
            TopicArn=_arn(sim),
            Message="m",
            MessageAttributes={"a": {"DataType": "Date", "StringValue": "x"}},
        )
    assert _code(caught) == ("ParameterValueInvalid", 400)


def test_message_structure_json_sends_the_sqs_entry(sim: Simulator, sns: Any) -> None:
    sns.publish(
        TopicArn=_arn(sim),
        Message=json.dumps({"default": "for everyone", "sqs": "for queues"}),
        MessageStructure="json",
    )
    sim.advance(1)
    ((message, _),) = sim.receive("LoopQueue")
    assert message.body == "for queues"


def test_operations_not_modelled_fail_loudly(sim: Simulator, sns: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sns.create_topic(Name="new")
    assert caught.value.response["Error"]["Code"] == "NotImplemented"
    assert "Publish" in caught.value.response["Error"]["Message"]


def test_simulator_publish_takes_a_logical_id_and_string_attributes(sim: Simulator) -> None:
    message_id = sim.publish("LoopTopic", "hi", {"kind": "seed"})
    sim.advance(1)
    ((message, _),) = sim.receive("LoopQueue")
    assert message.body == "hi"
    assert message.message_attributes == {"kind": {"DataType": "String", "StringValue": "seed"}}
    assert message.trace_header is None  # the experimenter's publish starts no trace
    assert len(message_id) == 36


def test_deliver_to_a_topic_arn_publishes(sim: Simulator) -> None:
    header = "Root=1-00000000-000000000000000000000001;Lineage=abcdef01:3"
    sim.deliver(_arn(sim), "from a destination", header, "test")
    sim.advance(1)
    ((message, _),) = sim.receive("LoopQueue")
    assert (message.body, message.trace_header) == ("from a destination", header)


def test_simulator_publish_to_an_unknown_topic_names_the_known_ones(sim: Simulator) -> None:
    with pytest.raises(KeyError, match="its topics: LoopTopic, Other"):
        sim.publish("Nope", "m")
