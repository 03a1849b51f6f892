"""The seed post's recursive handler: read a counter from SQS, send counter + 1 back.

Kept faithful to "Testing AWS Lambda Infinite Loop Protection" (July 2023) so that what
looplab measures is what the post measured. Differences, each on purpose:
- the post's ``print("Sending count {counter}")`` lacked its ``f``; fixed;
- the boto3 client is made once per execution environment (creating one costs ~4 ms);
- a body that is not a JSON object with an integer counter is logged and skipped rather
  than raising: a crash would make SQS retry it, which is a different experiment;
- the cap (1000 in the post) comes from ``COUNTER_CAP`` so a stage can change it;
- "Received counter N from ARN" names the batch's source queue (its eventSourceARN; one
  mapping's batch has one source), so each invocation's source is known from its logs
  alone (looplab.backends._timeline reads it). The post's "Sending count N" is unchanged.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

QUEUE_URL = os.environ["QUEUE_URL"]
COUNTER_CAP = int(os.environ.get("COUNTER_CAP", "1000"))

_sqs = None


def _client() -> Any:
    # Lazily, so that importing the module (a cold start) needs no region until it sends.
    global _sqs
    if _sqs is None:
        _sqs = boto3.client("sqs")
    return _sqs


def process_msg(msg: dict[str, Any]) -> int | None:
    """Return the message's counter, 0 when it has none (as the post does), None if unusable."""
    message_id = msg.get("messageId", "?")
    try:
        body = json.loads(msg["body"])
    except (KeyError, TypeError, ValueError) as exc:
        print(f"Skipping message {message_id}: body is not JSON ({exc})")
        return None
    if not isinstance(body, dict):
        print(f"Skipping message {message_id}: body is not a JSON object")
        return None
    if "counter" not in body:
        return 0
    counter = body["counter"]
    if isinstance(counter, bool) or not isinstance(counter, int):
        print(f"Skipping message {message_id}: counter {counter!r} is not an integer")
        return None
    return counter


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The post's handler: largest counter of the batch; stop at the cap; else send it + 1."""
    counters = [process_msg(msg) for msg in event.get("Records", [])]
    usable = [c for c in counters if c is not None]
    if not usable:
        print("No usable counter in this batch, sending nothing")
        return {"statusCode": 200, "body": "Nothing to do"}
    # The post starts from 0 and keeps the largest counter of the batch.
    counter = max(0, *usable)
    source = event["Records"][0].get("eventSourceARN", "unknown")
    print(f"Received counter {counter} from {source}")
    if counter >= COUNTER_CAP:
        print(f"Counter is {counter}, exiting")
        return {"statusCode": 200, "body": f"Counter reached {counter}"}
    counter += 1
    print(f"Sending count {counter}")
    _client().send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps({"counter": counter}))
    return {"statusCode": 200, "body": f"New counter sent: {counter}"}
