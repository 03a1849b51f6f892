"""The s3 shape's handler: an object loop/<N>.json was created; write loop/<N+1>.json.

The post's handler with S3 in place of SQS. The counter is the key's number, so the
function needs no GetObject (its role may only PutObject under loop/); the body written is
still the post's ``{"counter": N+1}``. Defensive as functions/recursive/main.py: a record
whose key is not loop/<integer>.json is logged and skipped, never raised (a crash would make
Lambda retry the event: another experiment). Log lines are the post's, the source being the
bucket's ARN (looplab.backends._timeline reads them).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import unquote_plus

import boto3

BUCKET_NAME = os.environ["BUCKET_NAME"]
COUNTER_CAP = int(os.environ.get("COUNTER_CAP", "1000"))
PREFIX = "loop/"
_KEY = re.compile(r"^loop/(\d+)\.json$")

_s3 = None


def _client() -> Any:
    # Lazily, so that importing the module (a cold start) needs no region until it writes.
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


def process_record(record: dict[str, Any]) -> tuple[int, str] | None:
    """The record's (counter, bucket), or None when its key is not loop/<integer>.json."""
    s3 = record.get("s3")
    try:
        bucket = s3["bucket"]["name"]
        # Keys arrive URL-encoded in S3 events (a space is "+").
        key = unquote_plus(s3["object"]["key"])
    except (KeyError, TypeError) as exc:
        print(f"Skipping record: not an S3 object event ({exc!r})")
        return None
    match = _KEY.match(key)
    if not match:
        print(f"Skipping object {key}: its key is not {PREFIX}<integer>.json")
        return None
    return int(match.group(1)), str(bucket)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Largest counter of the records; stop at the cap; else put loop/<counter + 1>.json."""
    found = [p for p in (process_record(r) for r in event.get("Records", [])) if p is not None]
    if not found:
        print("No usable counter in this event, writing nothing")
        return {"statusCode": 200, "body": "Nothing to do"}
    counter, bucket = max(found)
    print(f"Received counter {counter} from arn:aws:s3:::{bucket}")
    if counter >= COUNTER_CAP:
        print(f"Counter is {counter}, exiting")
        return {"statusCode": 200, "body": f"Counter reached {counter}"}
    counter += 1
    print(f"Sending count {counter}")
    _client().put_object(
        Bucket=BUCKET_NAME,
        Key=f"{PREFIX}{counter}.json",
        Body=json.dumps({"counter": counter}).encode(),
        ContentType="application/json",
    )
    return {"statusCode": 200, "body": f"New counter written: {counter}"}
