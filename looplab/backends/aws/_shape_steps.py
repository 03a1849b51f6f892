"""The loop shapes' first events on AWS: SNS Publish, S3 PutObject, Lambda Invoke.

Names are the stack record's physical IDs, as CloudFormation reports them: a topic's is its
ARN, a bucket's its name, a function's its name. Kept apart from _backend.py so the backend
class stays the protocol's translation table.
"""

from __future__ import annotations

import json
from typing import Any

from looplab._files import loads_json
from looplab.backends.aws._calls import Calls
from looplab.backends.aws._record import StackRecord

__all__ = ["invoke", "publish", "put_object"]

_TOPIC, _BUCKET = "AWS::SNS::Topic", "AWS::S3::Bucket"


def publish(
    record: StackRecord, calls: Calls, topic: str, message: str, attributes: dict[str, str] | None
) -> str:
    arn = record.physical_id(topic, _TOPIC)
    attrs = {k: {"DataType": "String", "StringValue": v} for k, v in (attributes or {}).items()}
    reply = calls("sns", "Publish", arn, TopicArn=arn, Message=message, MessageAttributes=attrs)
    return str(reply["MessageId"])


def put_object(record: StackRecord, calls: Calls, bucket: str, key: str, body: str | bytes) -> None:
    name = record.physical_id(bucket, _BUCKET)
    data = body.encode() if isinstance(body, str) else body
    calls("s3", "PutObject", f"s3://{name}/{key}", Bucket=name, Key=key, Body=data)


def invoke(
    record: StackRecord, calls: Calls, function: str, payload: Any, invocation_type: str
) -> dict[str, Any]:
    """Lambda's reply in the Simulator.invoke contract's shape (Payload decoded from JSON)."""
    name = record.function_name(function)
    reply = calls(
        "lambda",
        "Invoke",
        name,
        FunctionName=name,
        InvocationType=invocation_type,
        Payload=json.dumps(payload).encode(),
    )
    out: dict[str, Any] = {"StatusCode": reply["StatusCode"]}
    if invocation_type == "RequestResponse":
        raw = reply["Payload"].read()
        # Nesting bounded (looplab._files): a reply nested thousands deep is a ValueError
        # naming it, like one that is not JSON, not a RecursionError.
        out["Payload"] = loads_json(raw) if raw else None
        if reply.get("FunctionError"):
            out["FunctionError"] = reply["FunctionError"]
    return out
