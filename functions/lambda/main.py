"""The lambda shape's handler: invoke itself asynchronously with counter + 1.

The post's handler with Lambda's Invoke(InvocationType=Event) in place of SQS. The event is
the payload itself, ``{"counter": N}``. Defensive as functions/recursive/main.py: a payload
that is not an object with an integer counter is logged and skipped, never raised (a crash
would make Lambda retry it). The source in "Received counter N from ARN" is the function's
own ARN: the only caller of a self-invoking loop (looplab.backends._timeline reads it).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

TARGET_FUNCTION = os.environ["TARGET_FUNCTION"]
COUNTER_CAP = int(os.environ.get("COUNTER_CAP", "1000"))

_lambda = None


def _client() -> Any:
    # Lazily, so that importing the module (a cold start) needs no region until it invokes.
    global _lambda
    if _lambda is None:
        _lambda = boto3.client("lambda")
    return _lambda


def read_counter(event: Any) -> int | None:
    """The payload's counter, 0 when it has none (as the post does), None if unusable."""
    if not isinstance(event, dict):
        print("Skipping event: payload is not a JSON object")
        return None
    if "counter" not in event:
        return 0
    counter = event["counter"]
    if isinstance(counter, bool) or not isinstance(counter, int):
        print(f"Skipping event: counter {counter!r} is not an integer")
        return None
    return counter


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Stop at the cap; else invoke the target (itself) with counter + 1."""
    counter = read_counter(event)
    if counter is None:
        return {"statusCode": 200, "body": "Nothing to do"}
    source = getattr(context, "invoked_function_arn", None) or "unknown"
    print(f"Received counter {counter} from {source}")
    if counter >= COUNTER_CAP:
        print(f"Counter is {counter}, exiting")
        return {"statusCode": 200, "body": f"Counter reached {counter}"}
    counter += 1
    print(f"Sending count {counter}")
    _client().invoke(
        FunctionName=TARGET_FUNCTION,
        InvocationType="Event",
        Payload=json.dumps({"counter": counter}).encode(),
    )
    return {"statusCode": 200, "body": f"New counter invoked: {counter}"}
