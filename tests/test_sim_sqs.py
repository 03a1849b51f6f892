"""SQS on its own, through real boto3 clients: visibility, counts, redrive, retention, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import build_stack, queue_resource
from botocore.exceptions import ClientError

from looplab.sim import Simulator

# Every reply in this module, errors included, is checked against botocore's shapes.
pytestmark = pytest.mark.usefixtures("replies_match_botocore")


@pytest.fixture
def sim(tmp_path: Path):
    resources = {
        "Dlq": queue_resource("sqs-dlq", MessageRetentionPeriod=300),
        "Main": queue_resource(
            "sqs-main",
            MessageRetentionPeriod=120,
            VisibilityTimeout=30,
            RedrivePolicy={
                "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                "maxReceiveCount": 2,
            },
        ),
    }
    with Simulator(build_stack(resources, tmp_path), seed=0) as simulator:
        yield simulator


@pytest.fixture
def sqs(sim: Simulator):
    return sim.client("sqs")


def url(sim: Simulator, name: str) -> str:
    return sim.queues[name].spec.url


def counts(sqs, queue_url: str) -> tuple[int, int, int]:
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def test_visibility_timeout_hides_then_returns_the_message(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sent = sqs.send_message(QueueUrl=main, MessageBody="hello")
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    got = sqs.receive_message(QueueUrl=main, AttributeNames=["ApproximateReceiveCount"])
    assert got["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert counts(sqs, main) == (0, 1, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=main)
    sim.advance(29.9)
    assert counts(sqs, main) == (0, 1, 0)
    sim.advance(0.2)
    assert counts(sqs, main) == (1, 0, 0)


def test_redrive_happens_on_the_receive_after_max_receive_count(sim: Simulator, sqs) -> None:
    main, dlq = url(sim, "Main"), url(sim, "Dlq")
    sqs.send_message(QueueUrl=main, MessageBody="poison")
    for expected in (1, 2):
        msg = sqs.receive_message(QueueUrl=main, AttributeNames=["All"])["Messages"][0]
        assert msg["Attributes"]["ApproximateReceiveCount"] == str(expected)
        sim.advance(31)
    assert counts(sqs, dlq) == (0, 0, 0)  # not moved until a receive finds it
    assert "Messages" not in sqs.receive_message(QueueUrl=main)  # this receive moves it
    assert counts(sqs, main) == (0, 0, 0)
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"])["Messages"][0]
    assert moved["Body"] == "poison"
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"  # kept, and +1


def test_retention_counts_from_original_enqueue_time_even_in_the_dlq(sim: Simulator, sqs) -> None:
    main, dlq = url(sim, "Main"), url(sim, "Dlq")
    sqs.send_message(QueueUrl=main, MessageBody="old")
    sqs.receive_message(QueueUrl=main, VisibilityTimeout=0)
    sqs.receive_message(QueueUrl=main, VisibilityTimeout=0)
    sqs.receive_message(QueueUrl=main)  # moved to the DLQ at t=0
    assert counts(sqs, dlq) == (1, 0, 0)
    sim.advance(299)
    assert counts(sqs, dlq) == (1, 0, 0)
    sim.advance(2)  # the DLQ keeps 300 s from the ORIGINAL send
    assert counts(sqs, dlq) == (0, 0, 0)


def test_retention_expires_unreceived_messages(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message(QueueUrl=main, MessageBody="a")
    sim.advance(60)
    sqs.send_message(QueueUrl=main, MessageBody="b")
    sim.advance(61)
    bodies = [
        m["Body"] for m in sqs.receive_message(QueueUrl=main, MaxNumberOfMessages=10)["Messages"]
    ]
    assert bodies == ["b"]


def test_delay_seconds_counts_as_delayed(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message(QueueUrl=main, MessageBody="later", DelaySeconds=10)
    assert counts(sqs, main) == (0, 0, 1)
    sim.advance(10)
    assert counts(sqs, main) == (1, 0, 0)


def test_delete_change_visibility_and_batches(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message_batch(
        QueueUrl=main, Entries=[{"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(4)]
    )
    got = sqs.receive_message(QueueUrl=main, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 4
    first, second, *rest = got
    sqs.delete_message(QueueUrl=main, ReceiptHandle=first["ReceiptHandle"])
    sqs.change_message_visibility(
        QueueUrl=main, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0
    )
    assert counts(sqs, main) == (1, 2, 0)
    result = sqs.delete_message_batch(
        QueueUrl=main,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(rest)],
    )
    assert len(result["Successful"]) == 2 and not result["Failed"]
    result = sqs.change_message_visibility_batch(
        QueueUrl=main,
        Entries=[{"Id": "x", "ReceiptHandle": rest[0]["ReceiptHandle"], "VisibilityTimeout": 5}],
    )
    assert result["Failed"][0]["Code"] == "MessageNotInflight"
    assert counts(sqs, main) == (1, 0, 0)


def test_purge_and_its_once_a_minute_rule(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message(QueueUrl=main, MessageBody="a")
    sqs.receive_message(QueueUrl=main)
    sqs.send_message(QueueUrl=main, MessageBody="b")
    sqs.purge_queue(QueueUrl=main)
    assert counts(sqs, main) == (0, 0, 0)  # in-flight messages go too
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=main)
    sim.advance(60)
    sqs.purge_queue(QueueUrl=main)


def test_get_queue_url_and_attributes(sim: Simulator, sqs) -> None:
    assert sqs.get_queue_url(QueueName="sqs-main")["QueueUrl"] == url(sim, "Main")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as err:
        sqs.get_queue_url(QueueName="nope")
    assert err.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    attrs = sqs.get_queue_attributes(QueueUrl=url(sim, "Main"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert attrs["MessageRetentionPeriod"] == "120"
    assert '"maxReceiveCount": 2' in attrs["RedrivePolicy"]
    assert sim.queues["Dlq"].spec.arn in attrs["RedrivePolicy"]
    with pytest.raises(ClientError, match="InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url(sim, "Main"), AttributeNames=["Colour"])


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda c, u: c.send_message(QueueUrl=u, MessageBody="x" * 1_048_577),
            "InvalidParameterValue",
        ),
        (
            lambda c, u: c.send_message(QueueUrl=u, MessageBody="bad\x00char"),
            "InvalidMessageContents",
        ),
        (
            lambda c, u: c.send_message(QueueUrl=u + "-missing", MessageBody="x"),
            "AWS.SimpleQueueService.NonExistentQueue",
        ),
        (
            lambda c, u: c.send_message_batch(
                QueueUrl=u, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)]
            ),
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            lambda c, u: c.send_message_batch(
                QueueUrl=u, Entries=[{"Id": "a", "MessageBody": "x"}] * 2
            ),
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        (
            lambda c, u: c.send_message_batch(
                QueueUrl=u, Entries=[{"Id": "a b", "MessageBody": "x"}]
            ),
            "AWS.SimpleQueueService.InvalidBatchEntryId",
        ),
        (
            lambda c, u: c.receive_message(QueueUrl=u, MaxNumberOfMessages=11),
            "InvalidParameterValue",
        ),
        (
            lambda c, u: c.delete_message(QueueUrl=u, ReceiptHandle="garbage"),
            "ReceiptHandleIsInvalid",
        ),
        (
            lambda c, u: c.send_message(QueueUrl=u, MessageBody="x", DelaySeconds=901),
            "InvalidParameterValue",
        ),
    ],
)
def test_limits_and_error_codes(sim: Simulator, sqs, call, code: str) -> None:
    with pytest.raises(ClientError) as err:
        call(sqs, url(sim, "Main"))
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unsupported_operations_and_services_fail_loudly(sim: Simulator, sqs) -> None:
    with pytest.raises(ClientError) as err:
        sqs.create_queue(QueueName="new")
    assert "CreateQueue is not modelled" in str(err.value)
    assert err.value.response["Error"]["Code"] == "AWS.SimpleQueueService.UnsupportedOperation"
    with pytest.raises(ClientError) as err:
        sim.client("dynamodb").list_tables()  # (SNS is modelled since issue 13)
    assert "does not model dynamodb:ListTables" in str(err.value)


def test_message_attributes_round_trip_with_aws_md5(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sent = sqs.send_message(
        QueueUrl=main,
        MessageBody="x",
        MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "blue"},
            "n": {"DataType": "Number", "StringValue": "7"},
        },
    )
    got = sqs.receive_message(QueueUrl=main, MessageAttributeNames=["All"])["Messages"][0]
    assert got["MessageAttributes"]["colour"]["StringValue"] == "blue"
    assert got["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    # Digests from an independent implementation of SQS's algorithm (moto's Message).
    assert sent["MD5OfMessageAttributes"] == "6fda2f51cf797034f722d7e3843d5eab"
    blob = sqs.send_message(
        QueueUrl=main,
        MessageBody="y",
        MessageAttributes={"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01hello"}},
    )
    assert blob["MD5OfMessageAttributes"] == "4f7c8d9d50c5097d2f482885d38535df"


def test_attributes_count_toward_the_size_limit(sim: Simulator, sqs) -> None:
    attributes = {"a": {"DataType": "String", "StringValue": "v" * 16}}
    with pytest.raises(ClientError, match="shorter than 1048576 bytes"):
        sqs.send_message(
            QueueUrl=url(sim, "Main"), MessageBody="x" * 1_048_560, MessageAttributes=attributes
        )


def test_a_dlq_with_shorter_retention_expires_moved_messages_on_its_own_clock(
    tmp_path: Path,
) -> None:
    resources = {
        "Dlq": queue_resource("short-dlq", MessageRetentionPeriod=60),
        "Main": queue_resource(
            "long-main",
            MessageRetentionPeriod=3600,
            RedrivePolicy={
                "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                "maxReceiveCount": 1,
            },
        ),
    }
    with Simulator(build_stack(resources, tmp_path), seed=0) as sim:
        sqs = sim.client("sqs")
        sqs.send_message(QueueUrl=url(sim, "Main"), MessageBody="m")
        sqs.receive_message(QueueUrl=url(sim, "Main"), VisibilityTimeout=0)
        sqs.receive_message(QueueUrl=url(sim, "Main"))  # moves it at t=0
        assert counts(sqs, url(sim, "Dlq")) == (1, 0, 0)
        sim.advance(61)
        assert counts(sqs, url(sim, "Dlq")) == (0, 0, 0)


def test_moved_messages_name_their_source_queue(sim: Simulator, sqs) -> None:
    main, dlq = url(sim, "Main"), url(sim, "Dlq")
    sqs.send_message(QueueUrl=main, MessageBody="m")
    for _ in range(3):
        sqs.receive_message(QueueUrl=main, VisibilityTimeout=0)
    moved = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"]
    assert moved[0]["Attributes"]["DeadLetterQueueSourceArn"] == sim.queues["Main"].spec.arn


def test_received_metric_counts_messages_not_calls(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message_batch(
        QueueUrl=main, Entries=[{"Id": f"e{i}", "MessageBody": "x"} for i in range(5)]
    )
    sqs.receive_message(QueueUrl=main, MaxNumberOfMessages=10)
    total = sim.metrics.total
    assert total("AWS/SQS", "NumberOfMessagesReceived", 0, resource="sqs-main") == 5
    assert total("AWS/SQS", "NumberOfMessagesSent", 0, resource="sqs-main") == 5


def test_a_stale_receipt_handle_still_deletes_but_cannot_change_visibility(
    sim: Simulator, sqs
) -> None:
    main = url(sim, "Main")
    sqs.send_message(QueueUrl=main, MessageBody="m")
    old = sqs.receive_message(QueueUrl=main, VisibilityTimeout=0)["Messages"][0]
    sqs.receive_message(QueueUrl=main)  # a newer receive: `old` is stale now
    with pytest.raises(sqs.exceptions.MessageNotInflight):
        sqs.change_message_visibility(
            QueueUrl=main, ReceiptHandle=old["ReceiptHandle"], VisibilityTimeout=5
        )
    sqs.delete_message(QueueUrl=main, ReceiptHandle=old["ReceiptHandle"])
    assert counts(sqs, main) == (0, 0, 0)


def test_visibility_is_capped_at_12_hours_from_the_receive(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message(QueueUrl=main, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=main)["Messages"][0]["ReceiptHandle"]
    sim.advance(20)
    sqs.change_message_visibility(QueueUrl=main, ReceiptHandle=handle, VisibilityTimeout=43_180)
    with pytest.raises(ClientError, match="beyond the limit"):
        sqs.change_message_visibility(QueueUrl=main, ReceiptHandle=handle, VisibilityTimeout=43_181)


def test_other_services_fail_loudly_whatever_their_protocol(sim: Simulator) -> None:
    # s3 is modelled since issue 13; an operation it does not model still fails loudly.
    with pytest.raises(ClientError, match="does not model s3:GetBucketAcl"):
        sim.client("s3").get_bucket_acl(Bucket="b")
    # Invoke is modelled since issue 13; ListAliases (rest-json too) is not.
    with pytest.raises(ClientError, match="does not model lambda:ListAliases"):
        sim.client("lambda").list_aliases(FunctionName="f")


def test_age_of_oldest_message_is_sampled_with_the_queue_gauges(sim: Simulator, sqs) -> None:
    main = url(sim, "Main")
    sqs.send_message(QueueUrl=main, MessageBody="old")
    sim.advance(30)
    sqs.send_message(QueueUrl=main, MessageBody="young")
    sim.advance(100)  # samples at 0, 60 and 120 s; retention (120 s) removes "old" at 120
    epoch = sim.params.epoch
    ages = {
        t - epoch: value
        for ns, name, resource, t, value in sim.metrics.series(epoch, epoch + 120)
        if (name, resource) == ("ApproximateAgeOfOldestMessage", "sqs-main")
    }
    assert ages == {0: 0, 60: 60, 120: 90}


@pytest.mark.parametrize("ready", [1, 25])
def test_one_receive_moves_a_message_at_most_once_even_to_its_own_queue(ready: int) -> None:
    """A receive moves each over-count message it meets once: a redrive back into the
    queue being received (a cycle the reader refuses, built here directly) must not be met
    again in the same call, which would loop inside one receive forever."""
    from random import Random

    from looplab.sim.clock import Clock
    from looplab.sim.services.sqs import SqsModel
    from looplab.stack import QueueSpec

    clock = Clock()
    sqs = SqsModel(clock, Random(0), "eu-central-1", "123456789012")
    spec = QueueSpec(
        logical_id="A",
        name="a",
        url="https://sqs.eu-central-1.amazonaws.com/123456789012/a",
        arn="arn:aws:sqs:eu-central-1:123456789012:a",
        visibility_timeout=30,
        redrive_target="A",
        max_receive_count=1,
    )
    queue = sqs.add_queue(spec)
    moves: list[str] = []

    def count(kind: str, q: object, message: object) -> None:
        if kind == "redrive":
            moves.append(kind)
            assert len(moves) <= ready, "a message was moved twice in one receive"

    sqs.on_event = count
    for _ in range(ready):
        sqs.send(queue, "x")
    received = [sqs.receive(queue, 10) for _ in range(3)]
    assert sum(map(len, received)) == ready  # receive count 1 each: at the max
    clock.run_until(clock.now + 31)  # visible again
    assert sqs.receive(queue, 10) == []  # at the count: moved (back here), not returned
    assert len(moves) == ready
    assert queue.visible == ready  # every one is in the queue again, visible
