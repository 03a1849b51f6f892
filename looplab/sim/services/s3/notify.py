"""Bucket notifications to functions: which configurations an event matches, and the record
S3 sends (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from random import Random
from typing import Any
from urllib.parse import quote_plus

from looplab.sim.clock import Clock
from looplab.sim.services._errors import EXPERIMENTER_ID
from looplab.sim.services.s3.model import Bucket, StoredObject
from looplab.stack import NotificationSpec

__all__ = ["Notifier", "event_matches", "event_record", "key_matches"]

Submit = Callable[[str, dict[str, Any], "str | None", str], str]
"""``AsyncQueue.submit(function, payload, trace_header, source)``."""

_OWNER = "A3LOOPLABOWNER"  # the bucket owner's canonical-user principal, as S3 abbreviates it


def event_matches(configured: str, event: str) -> bool:
    """``configured`` (``s3:ObjectCreated:*``, ``s3:ObjectRemoved:Delete`` ...) against an
    event name as S3 reports it (``ObjectCreated:Put``): a ``*`` covers its whole family."""
    name = configured.removeprefix("s3:")
    if name.endswith(":*"):
        return event.startswith(name[:-1])
    return name == event


def key_matches(note: NotificationSpec, key: str) -> bool:
    """S3's key filter: a literal prefix and suffix (no wildcards), both on the raw key."""
    return key.startswith(note.prefix) and key.endswith(note.suffix)


def configuration_id(note: NotificationSpec) -> str:
    # CloudFormation gives a configuration without Id a generated one; stable per path here.
    return hashlib.sha1(note.path.encode(), usedforsecurity=False).hexdigest()[:32]


def event_record(
    bucket: Bucket,
    event: str,
    obj: StoredObject,
    note: NotificationSpec,
    *,
    region: str,
    when: float,
    principal: str,
    request_id: str,
) -> dict[str, Any]:
    """The event S3 sends a function for one write: one record (S3 never batches them)."""
    s3_object: dict[str, Any] = {"key": quote_plus(obj.key, safe="/")}
    if event.startswith("ObjectCreated:"):
        # eTag without the quotes the API's ETag carries.
        s3_object.update(size=obj.size, eTag=obj.etag.strip('"'))
    s3_object["sequencer"] = obj.sequencer
    stamp = (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{int(when * 1000) % 1000:03d}Z"
    )
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": stamp,
        "eventName": event,
        "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": request_id,
            "x-amz-id-2": hashlib.sha256(request_id.encode()).hexdigest(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id(note),
            "bucket": {
                "name": bucket.spec.name,
                "ownerIdentity": {"principalId": _OWNER},
                "arn": bucket.spec.arn,
            },
            "object": s3_object,
        },
    }
    return {"Records": [record]}


class Notifier:
    """``S3Model.on_event``: sends each write's matching notifications to Lambda's
    asynchronous queue after ``delay`` (a uniform range), with the trace header of the
    request that wrote: S3 carries it into the event, so Lambda's loop detection follows
    Lambda -> S3 -> Lambda (AWS, invocation-recursion, "Supported AWS services": Amazon S3,
    since October 2024)."""

    def __init__(
        self,
        clock: Clock,
        rng: Random,
        delay: tuple[float, float],
        region: str,
        submit: Submit,
        log: Callable[[str, str], None],
    ) -> None:
        self.clock, self.rng, self.delay, self.region = clock, rng, delay, region
        self.submit, self.log = submit, log
        self._requests = 0

    def __call__(
        self,
        bucket: Bucket,
        event: str,
        obj: StoredObject,
        trace_header: str | None,
        principal: str | None,
    ) -> None:
        self._requests += 1
        request_id = f"{self._requests:016X}"
        for note in bucket.spec.notifications:
            if note.kind != "lambda":
                continue  # queue and topic notifications are refused (refusals.py)
            if not (event_matches(note.event, event) and key_matches(note, obj.key)):
                continue
            if note.target is None:  # a function outside the stack: recorded, not run
                self.log("deliver-out", f"{note.target_arn} from {bucket.spec.arn}")
                continue
            payload = event_record(
                bucket,
                event,
                obj,
                note,
                region=self.region,
                when=self.clock.now,
                principal=principal or f"AWS:{EXPERIMENTER_ID}",
                request_id=request_id,
            )
            self.log("s3-notify", f"{bucket.spec.logical_id} {event} {obj.key} -> {note.target}")
            low, high = self.delay
            self.clock.after(
                self.rng.uniform(low, high),
                self.submit,
                note.target,
                payload,
                trace_header,
                bucket.spec.arn,
            )
