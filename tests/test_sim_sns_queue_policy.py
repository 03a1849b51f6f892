"""SNS delivers to an SQS queue only when the queue's access policy lets it: SNS is a
service principal, so even in one account the queue's policy must allow
``sns.amazonaws.com`` (or ``*``) ``sqs:SendMessage`` (SNS developer guide, "Subscribing an
Amazon SQS queue to an Amazon SNS topic": "give Amazon SNS permission to send messages to
the queue"). Without it no message arrives and SNS counts a failed notification, so a
stack without the policy runs no loop, as on AWS (review finding: the simulator delivered
regardless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _support.simkit import build_stack, queue_resource, sqs_subscription

from looplab.sim import Simulator
from looplab.sim.refusals import UnsupportedTemplate

TOPIC_ARN = "arn:aws:sns:eu-central-1:123456789012:loop-topic"


def _statement(**overrides: Any) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": {"Fn::GetAtt": ["LoopQueue", "Arn"]},
        "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "LoopTopic"}}},
    }
    statement.update(overrides)
    return {k: v for k, v in statement.items() if v is not None}


def _resources(*statements: dict[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "LoopQueue": queue_resource("loop-queue"),
        "LoopTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "loop-topic"}},
        "Sub": sqs_subscription("LoopTopic", "LoopQueue"),
    }
    if statements:
        resources["LoopQueuePolicy"] = {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [{"Ref": "LoopQueue"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
            },
        }
    return resources


def _delivered(tmp_path: Path, *statements: dict[str, Any]) -> tuple[int, int, int]:
    """(messages in the queue, notifications delivered, notifications failed)."""
    with Simulator(build_stack(_resources(*statements), tmp_path), seed=1) as sim:
        sim.publish("LoopTopic", "hello")
        sim.advance(5)
        total = sim.metrics.total
        return (
            sim.queues["LoopQueue"].visible,
            int(total("AWS/SNS", "NumberOfNotificationsDelivered", 0, resource="loop-topic")),
            int(total("AWS/SNS", "NumberOfNotificationsFailed", 0, resource="loop-topic")),
        )


def test_no_queue_policy_no_delivery(tmp_path: Path) -> None:
    assert _delivered(tmp_path) == (0, 0, 1)


def test_the_shipped_pattern_delivers(tmp_path: Path) -> None:
    assert _delivered(tmp_path, _statement()) == (1, 1, 0)


@pytest.mark.parametrize(
    "statement",
    [
        _statement(Principal="*"),
        _statement(Principal={"AWS": "*"}, Action=["sqs:ReceiveMessage", "sqs:SendMessage"]),
        _statement(Action="sqs:*", Resource="*", Condition=None),
        _statement(Action="SQS:Send*", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}}),
        _statement(
            Principal={"Service": ["lambda.amazonaws.com", "sns.amazonaws.com"]},
            Condition={"StringEquals": {"aws:SourceAccount": "123456789012"}},
        ),
    ],
)
def test_policies_that_allow_sns_deliver(tmp_path: Path, statement: dict[str, Any]) -> None:
    assert _delivered(tmp_path, statement) == (1, 1, 0)


@pytest.mark.parametrize(
    "statements",
    [
        [_statement(Condition={"ArnEquals": {"aws:SourceArn": TOPIC_ARN + "-other"}})],
        [_statement(Principal={"Service": "s3.amazonaws.com"})],
        [_statement(Action="sqs:ReceiveMessage")],
        [_statement(Resource="arn:aws:sqs:eu-central-1:123456789012:another-queue")],
        [_statement(Effect="Deny")],
        [_statement(), _statement(Effect="Deny", Condition=None)],  # an explicit Deny wins
    ],
)
def test_policies_that_do_not_allow_sns_block_it(
    tmp_path: Path, statements: list[dict[str, Any]]
) -> None:
    assert _delivered(tmp_path, *statements) == (0, 0, 1)


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        (_statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), "IpAddress"),
        (_statement(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}), "PrincipalOrgID"),
        ({**_statement(), "NotPrincipal": {"AWS": "*"}}, "NotPrincipal"),
    ],
)
def test_a_policy_looplab_cannot_evaluate_is_refused_by_its_path(
    tmp_path: Path, statement: dict[str, Any], words: str
) -> None:
    with pytest.raises(UnsupportedTemplate) as exc:
        build_stack(_resources(statement), tmp_path)
    assert "Resources.LoopQueuePolicy.Properties.PolicyDocument.Statement[0]" in str(exc.value)
    assert words in str(exc.value)
