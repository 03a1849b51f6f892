"""The stack reader describes SNS, S3 and asynchronous-invocation wiring as osls compiles it.

tests/data/templates/shapes_osls.json is what `sls package` (osls 4.3.1) wrote for a config
with an `sns` event (topic with an inline subscription), an `sns` event on an existing
topic (an AWS::SNS::Subscription), a raw SQS subscription, an `s3` event with prefix and
suffix rules, `onError`, `destinations.onFailure`, `maximumRetryAttempts` and
`maximumEventAge` (roles, log groups, versions and code removed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from looplab.stack import Stack

TEMPLATE = Path(__file__).parent / "data" / "templates" / "shapes_osls.json"


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack.from_template(
        json.loads(TEMPLATE.read_text()), code_dir=Path("."), name="shape-dev", service="shape"
    )


def test_topics_have_their_arns(stack: Stack) -> None:
    assert {t.logical_id: t.arn for t in stack.topics.values()} == {
        "SNSTopicLooptopic": "arn:aws:sns:eu-central-1:123456789012:looptopic",
        "T2": "arn:aws:sns:eu-central-1:123456789012:t2",
    }


def test_inline_and_resource_subscriptions_name_their_targets(stack: Stack) -> None:
    subs = stack.subscriptions
    inline = subs["SNSTopicLooptopic.Subscription[0]"]
    assert (inline.topic, inline.protocol, inline.target) == (
        "SNSTopicLooptopic",
        "lambda",
        "ALambdaFunction",
    )
    assert inline.path == "Resources.SNSTopicLooptopic.Properties.Subscription[0]"
    assert (subs["BSnsSubscriptionT2"].topic, subs["BSnsSubscriptionT2"].target) == (
        "T2",
        "BLambdaFunction",
    )
    raw = subs["Sub2"]
    assert (raw.protocol, raw.target, raw.raw_message_delivery) == ("sqs", "Q", True)
    assert raw.filter_policy is None


def test_bucket_notifications_keep_their_filters(stack: Stack) -> None:
    bucket = stack.buckets["S3BucketLoopbucket"]
    assert (bucket.name, bucket.arn) == ("loopbucket", "arn:aws:s3:::loopbucket")
    (note,) = bucket.notifications
    assert (note.kind, note.target, note.event, note.prefix, note.suffix) == (
        "lambda",
        "ALambdaFunction",
        "s3:ObjectCreated:*",
        "in/",
        ".json",
    )
    assert note.path.endswith("NotificationConfiguration.LambdaConfigurations[0]")


def test_asynchronous_settings_and_dead_letter_queue(stack: Stack) -> None:
    config = stack.invoke_configs["ALambdaFunction"]
    assert (config.maximum_retry_attempts, config.maximum_event_age) == (1, 300)
    assert config.on_failure == "arn:aws:sqs:eu-central-1:123456789012:fail"
    assert config.on_success is None
    assert "BLambdaFunction" not in stack.invoke_configs
    assert stack.functions["ALambdaFunction"].dead_letter_arn == stack.queues["Q"].arn
    assert stack.functions["BLambdaFunction"].dead_letter_arn is None
