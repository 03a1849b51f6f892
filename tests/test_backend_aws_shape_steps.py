"""The aws backend's loop-shape steps, checked against botocore's own models (Stubber):
SNS Publish on the topic's ARN, S3 PutObject on the bucket's name, Lambda Invoke."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from _support.fakes import ACCOUNT, FUNCTION, REGION, fake_record
from botocore.response import StreamingBody
from botocore.stub import Stubber

from looplab.backends.aws import _shape_steps
from looplab.backends.aws._calls import Calls
from looplab.backends.aws._record import StackRecord
from looplab.backends.base import BackendError

TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:looplab-unit-loop"


def _setup(service: str) -> tuple[StackRecord, Calls, Stubber]:
    doc = fake_record()
    doc["resources"]["LoopTopic"] = {"type": "AWS::SNS::Topic", "physicalId": TOPIC_ARN}
    doc["resources"]["LoopBucket"] = {"type": "AWS::S3::Bucket", "physicalId": "loop-bucket"}
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    client = session.client(service, region_name=REGION)
    return (
        StackRecord.from_dict(doc),
        Calls(session, region=REGION, clients={service: client}),
        Stubber(client),
    )


def test_publish_sends_string_attributes_to_the_topics_arn() -> None:
    record, calls, stub = _setup("sns")
    stub.add_response(
        "publish",
        {"MessageId": "m-1"},
        {
            "TopicArn": TOPIC_ARN,
            "Message": '{"counter": 0}',
            "MessageAttributes": {"origin": {"DataType": "String", "StringValue": "test"}},
        },
    )
    with stub:
        assert (
            _shape_steps.publish(record, calls, "LoopTopic", '{"counter": 0}', {"origin": "test"})
            == "m-1"
        )
    stub.assert_no_pending_responses()


def test_put_object_uses_the_buckets_name() -> None:
    record, calls, stub = _setup("s3")
    stub.add_response(
        "put_object", {}, {"Bucket": "loop-bucket", "Key": "loop/0.json", "Body": b"{}"}
    )
    with stub:
        _shape_steps.put_object(record, calls, "LoopBucket", "loop/0.json", "{}")
    stub.assert_no_pending_responses()


def test_invoke_request_response_decodes_the_payload_and_the_function_error() -> None:
    record, calls, stub = _setup("lambda")
    body = json.dumps({"errorMessage": "boom"}).encode()
    stub.add_response(
        "invoke",
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
        },
        {
            "FunctionName": "looplab-unit-recursive",
            "InvocationType": "RequestResponse",
            "Payload": b'{"counter": 1}',
        },
    )
    with stub:
        reply = _shape_steps.invoke(record, calls, FUNCTION, {"counter": 1}, "RequestResponse")
    assert reply == {
        "StatusCode": 200,
        "Payload": {"errorMessage": "boom"},
        "FunctionError": "Unhandled",
    }


def test_a_recursive_invocation_exception_is_a_named_backend_error() -> None:
    record, calls, stub = _setup("lambda")
    stub.add_client_error("invoke", "RecursiveInvocationException", "loop detected", 400)
    with stub, pytest.raises(BackendError) as info:
        _shape_steps.invoke(record, calls, FUNCTION, {"counter": 1}, "RequestResponse")
    assert "lambda:Invoke on looplab-unit-recursive: RecursiveInvocationException" in str(
        info.value
    )


def test_sns_access_denied_names_the_operator_policy() -> None:
    # SNS says "AuthorizationError" (botocore's sns model, HTTP 403), not AccessDenied.
    record, calls, stub = _setup("sns")
    stub.add_client_error("publish", "AuthorizationError", "not authorized", 403)
    with stub, pytest.raises(BackendError) as info:
        _shape_steps.publish(record, calls, "LoopTopic", "{}", None)
    assert "access denied: attach the operator policy" in str(info.value)
