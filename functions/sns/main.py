"""The sns and sns-sqs shapes' handler: read a counter, publish counter + 1 to the topic.

The post's handler (functions/recursive/main.py) with SNS in place of SQS, kept as close
to it as the event allows, and as defensive:
- an SNS record carries the message in ``Sns.Message`` and its source in ``Sns.TopicArn``
  (the sns shape); an SQS record of a raw subscription carries it in ``body`` and its
  source in ``eventSourceARN`` (the sns-sqs shape); both are read;
- a message that is not a JSON object with an integer counter is logged and skipped
  rather than raising: a crash would make Lambda retry it, which is another experiment;
- the cap comes from ``COUNTER_CAP``; the client is made once per execution environment;
- the log lines are the post's ("Received counter N from ARN", "Sending count N"):
  looplab.backends._timeline reads them.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

TOPIC_ARN = os.environ["TOPIC_ARN"]
COUNTER_CAP = int(os.environ.get("COUNTER_CAP", "1000"))

_sns = None


def _client() -> Any:
    # Lazily, so that importing the module (a cold start) needs no region until it sends.
    global _sns
    if _sns is None:
        _sns = boto3.client("sns")
    return _sns


def _message_and_source(record: dict[str, Any]) -> tuple[Any, str]:
    sns = record.get("Sns")
    if isinstance(sns, dict):
        return sns.get("Message"), str(sns.get("TopicArn", "unknown"))
    return record.get("body"), str(record.get("eventSourceARN", "unknown"))


def process_record(record: dict[str, Any]) -> int | None:
    """Return the record's counter, 0 when it has none (as the post does), None if unusable."""
    sns = record.get("Sns")
    record_id = sns.get("MessageId", "?") if isinstance(sns, dict) else record.get("messageId", "?")
    message, _ = _message_and_source(record)
    try:
        body = json.loads(message)
    except (TypeError, ValueError) as exc:
        print(f"Skipping message {record_id}: body is not JSON ({exc})")
        return None
    if not isinstance(body, dict):
        print(f"Skipping message {record_id}: body is not a JSON object")
        return None
    if "counter" not in body:
        return 0
    counter = body["counter"]
    if isinstance(counter, bool) or not isinstance(counter, int):
        print(f"Skipping message {record_id}: counter {counter!r} is not an integer")
        return None
    return counter


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Largest counter of the records; stop at the cap; else publish it + 1."""
    records = [r for r in event.get("Records", []) if isinstance(r, dict)]
    usable = [c for c in (process_record(r) for r in records) if c is not None]
    if not usable:
        print("No usable counter in this event, publishing nothing")
        return {"statusCode": 200, "body": "Nothing to do"}
    counter = max(0, *usable)
    _, source = _message_and_source(records[0])
    print(f"Received counter {counter} from {source}")
    if counter >= COUNTER_CAP:
        print(f"Counter is {counter}, exiting")
        return {"statusCode": 200, "body": f"Counter reached {counter}"}
    counter += 1
    print(f"Sending count {counter}")
    _client().publish(TopicArn=TOPIC_ARN, Message=json.dumps({"counter": counter}))
    return {"statusCode": 200, "body": f"New counter published: {counter}"}
