"""Review findings on the loop shapes' inputs (issue 13's code), each reproduced first:
what AWS rejects at deploy is a TemplateError naming the template path and the valid
choices; what AWS answers, the simulator answers the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import build_stack, queue_resource
from botocore.exceptions import ClientError

from looplab.sim import Simulator
from looplab.stack import Stack
from looplab.stack._cfn import TemplateError

FUNCTION = {
    "Type": "AWS::Lambda::Function",
    "Properties": {
        "FunctionName": "relay",
        "Handler": "main.handler",
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"ZipFile": "x"},
    },
}


def _stack(resources: dict[str, Any], tmp_path: Path) -> Stack:
    template = json.loads(json.dumps({"Resources": resources}))
    return Stack.from_template(template, code_dir=tmp_path, stage="test")


def _invoke_config(**props: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {"FunctionName": {"Ref": "Relay"}, "Qualifier": "$LATEST", **props},
    }


# -- EventInvokeConfig --------------------------------------------------------------------


def test_an_alias_config_does_not_replace_the_latest_one(tmp_path: Path) -> None:
    resources = {
        "Relay": FUNCTION,
        "Fail": queue_resource("fail"),
        "Latest": _invoke_config(
            MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": {"Fn::GetAtt": ["Fail", "Arn"]}}},
        ),
        "Live": _invoke_config(Qualifier="live", MaximumRetryAttempts=1),
    }
    stack = _stack(resources, tmp_path)
    latest = [c for c in stack.invoke_configs.values() if c.qualifier == "$LATEST"]
    assert len(latest) == 1 and latest[0].maximum_retry_attempts == 0
    assert latest[0].on_failure == stack.queues["Fail"].arn
    assert {c.qualifier for c in stack.invoke_configs.values()} == {"$LATEST", "live"}
    assert stack.invoke_configs["Relay"].qualifier == "$LATEST"


@pytest.mark.parametrize(
    ("prop", "value", "words"),
    [
        ("MaximumRetryAttempts", 5, "between 0 and 2"),
        ("MaximumRetryAttempts", -1, "between 0 and 2"),
        ("MaximumRetryAttempts", "two", "an integer"),
        ("MaximumEventAgeInSeconds", 5, "between 60 and 21600"),
        ("MaximumEventAgeInSeconds", 30_000, "between 60 and 21600"),
    ],
)
def test_out_of_range_async_settings_are_template_errors(
    tmp_path: Path, prop: str, value: Any, words: str
) -> None:
    resources = {"Relay": FUNCTION, "Cfg": _invoke_config(**{prop: value})}
    with pytest.raises(TemplateError) as exc:
        _stack(resources, tmp_path)
    assert f"Resources.Cfg.Properties.{prop}" in str(exc.value)
    assert words in str(exc.value)


# -- S3 notifications -----------------------------------------------------------------------


def _bucket(event: str, rule: str = "prefix") -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "BucketName": "loop-bkt",
            "NotificationConfiguration": {
                "LambdaConfigurations": [
                    {
                        "Event": event,
                        "Function": {"Fn::GetAtt": ["Relay", "Arn"]},
                        "Filter": {"S3Key": {"Rules": [{"Name": rule, "Value": "in/"}]}},
                    }
                ]
            },
        },
    }


@pytest.mark.parametrize("event", ["s3:ObjectCreated:put", "s3:ObjectCreate:*", "ObjectCreated:*"])
def test_an_event_name_s3_does_not_know_is_a_template_error(tmp_path: Path, event: str) -> None:
    with pytest.raises(TemplateError) as exc:
        _stack({"Relay": FUNCTION, "Bkt": _bucket(event)}, tmp_path)
    text = str(exc.value)
    where = "Resources.Bkt.Properties.NotificationConfiguration.LambdaConfigurations[0]"
    assert f"{where}.Event" in text
    assert "s3:ObjectCreated:Put" in text or "s3:ObjectCreated:*" in text  # the valid choice


def test_a_filter_rule_other_than_prefix_or_suffix_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as exc:
        _stack({"Relay": FUNCTION, "Bkt": _bucket("s3:ObjectCreated:*", "prefixx")}, tmp_path)
    assert "Filter.S3Key.Rules[0].Name" in str(exc.value)
    assert "prefix" in str(exc.value) and "suffix" in str(exc.value)


def test_filter_rule_names_are_case_insensitive_as_s3_takes_them(tmp_path: Path) -> None:
    stack = _stack({"Relay": FUNCTION, "Bkt": _bucket("s3:ObjectCreated:*", "Prefix")}, tmp_path)
    assert stack.buckets["Bkt"].notifications[0].prefix == "in/"


# -- policies given as text ----------------------------------------------------------------


def test_a_subscription_policy_that_is_not_json_names_its_path(tmp_path: Path) -> None:
    resources = {
        "Q": queue_resource("q"),
        "T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}},
        "S": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "T"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["Q", "Arn"]},
                "RedrivePolicy": "{deadLetterTargetArn: x}",
            },
        },
    }
    with pytest.raises(TemplateError) as exc:
        _stack(resources, tmp_path)
    assert "Resources.S.Properties.RedrivePolicy" in str(exc.value)
    assert "JSON" in str(exc.value)


# -- the services' answers -------------------------------------------------------------------


@pytest.fixture
def sim(tmp_path: Path, replies_match_botocore: list) -> Any:  # noqa: F811
    resources = {
        "Bkt": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data-bkt"}},
        "T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}},
    }
    with Simulator(build_stack(resources, tmp_path), seed=1) as simulator:
        yield simulator


def test_sns_takes_a_utf8_subject(sim: Simulator) -> None:
    sns = sim.client("sns")
    arn = sns.list_topics()["Topics"][0]["TopicArn"]
    assert sns.publish(TopicArn=arn, Message="m", Subject="Größe")["MessageId"]
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=arn, Message="m", Subject="two\nlines")
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"


def test_s3_user_metadata_keys_come_back_lowercase(sim: Simulator) -> None:
    s3 = sim.client("s3")
    s3.put_object(Bucket="data-bkt", Key="k", Body=b"x", Metadata={"MyKey": "v"})
    assert s3.head_object(Bucket="data-bkt", Key="k")["Metadata"] == {"mykey": "v"}
    assert s3.get_object(Bucket="data-bkt", Key="k")["Metadata"] == {"mykey": "v"}


def test_list_objects_with_max_keys_zero_is_an_empty_page(sim: Simulator) -> None:
    s3 = sim.client("s3")
    s3.put_object(Bucket="data-bkt", Key="a", Body=b"x")
    page = s3.list_objects_v2(Bucket="data-bkt", MaxKeys=0)
    assert (page["KeyCount"], page["IsTruncated"], page["MaxKeys"]) == (0, False, 0)
    assert "Contents" not in page and "NextContinuationToken" not in page


def test_list_objects_with_negative_max_keys_is_refused(sim: Simulator) -> None:
    s3 = sim.client("s3")
    for key in "abc":
        s3.put_object(Bucket="data-bkt", Key=key, Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="data-bkt", MaxKeys=-1)
    error = exc.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidArgument",
        400,
    )


@pytest.mark.parametrize(
    ("props", "where", "words"),
    [
        ({"VisibilityTimeout": "abc"}, "Properties.VisibilityTimeout", "not an integer"),
        ({"VisibilityTimeout": 99_999}, "Properties.VisibilityTimeout", "between 0 and 43200"),
        ({"DelaySeconds": 901}, "Properties.DelaySeconds", "between 0 and 900"),
        (
            {"RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:x", "maxReceiveCount": "x"}},
            "Properties.RedrivePolicy.maxReceiveCount",
            "not an integer",
        ),
    ],
)
def test_queue_attributes_out_of_sqs_bounds_are_template_errors(
    tmp_path: Path, props: dict[str, Any], where: str, words: str
) -> None:
    with pytest.raises(TemplateError) as exc:
        _stack({"Q": {"Type": "AWS::SQS::Queue", "Properties": props}}, tmp_path)
    assert f"Resources.Q.{where}" in str(exc.value) and words in str(exc.value)
