"""S3's state: buckets of the stack, their objects, and the events that writes raise.

Plain Python values; the request and reply shapes live in ``api.py``. Each write reports
an event name (``ObjectCreated:Put`` ...) to ``on_event`` with the trace header of the
request that caused it: S3 carries that header into the notification, which is how
Lambda's recursive loop detection follows Lambda -> S3 -> Lambda (since October 2024).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from looplab.sim.clock import Clock
from looplab.sim.services.s3.errors import no_such_bucket, no_such_key
from looplab.stack import BucketSpec

__all__ = ["Bucket", "OnEvent", "S3Model", "StoredObject"]


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    body: bytes
    etag: str  # quoted hex MD5, as S3 reports a single-part upload's ETag
    last_modified: float
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    sequencer: str = ""

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass
class Bucket:
    spec: BucketSpec
    objects: dict[str, StoredObject] = field(default_factory=dict)


OnEvent = Callable[[Bucket, str, StoredObject, "str | None", "str | None"], None]
"""``on_event(bucket, event_name, object, trace_header, principal)``."""


class S3Model:
    def __init__(self, clock: Clock, buckets: dict[str, BucketSpec]) -> None:
        self.clock = clock
        self.buckets: dict[str, Bucket] = {spec.name: Bucket(spec) for spec in buckets.values()}
        self.on_event: OnEvent | None = None
        self._sequence = 0

    def bucket(self, name: str) -> Bucket:
        found = self.buckets.get(name)
        if found is None:
            raise no_such_bucket(name)
        return found

    def get(self, bucket: str, key: str) -> StoredObject:
        found = self.bucket(bucket).objects.get(key)
        if found is None:
            raise no_such_key(key)
        return found

    def put(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        event: str = "ObjectCreated:Put",
        trace_header: str | None = None,
        principal: str | None = None,
    ) -> StoredObject:
        target = self.bucket(bucket)
        obj = StoredObject(
            key=key,
            body=body,
            etag=f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"',
            last_modified=self.clock.now,
            content_type=content_type or "binary/octet-stream",
            # x-amz-meta-* headers: S3 keeps and returns user metadata keys in lower case.
            metadata={k.lower(): v for k, v in (metadata or {}).items()},
            sequencer=self._sequencer(),
        )
        target.objects[key] = obj
        self._emit(target, event, obj, trace_header, principal)
        return obj

    def delete(
        self,
        bucket: str,
        key: str,
        *,
        trace_header: str | None = None,
        principal: str | None = None,
    ) -> bool:
        """Delete ``key``; S3 answers success for a missing key too (and sends no event)."""
        target = self.bucket(bucket)
        gone = target.objects.pop(key, None)
        if gone is None:
            return False
        marker = StoredObject(key, b"", "", self.clock.now, sequencer=self._sequencer())
        self._emit(target, "ObjectRemoved:Delete", marker, trace_header, principal)
        return True

    def list(self, bucket: str, prefix: str = "", start_after: str = "") -> list[StoredObject]:
        """Keys under ``prefix`` after ``start_after``, in UTF-8 binary order as S3 lists them."""
        objects = self.bucket(bucket).objects
        keys = sorted(
            (k for k in objects if k.startswith(prefix) and k.encode() > start_after.encode()),
            key=str.encode,
        )
        return [objects[k] for k in keys]

    def _sequencer(self) -> str:
        # S3's sequencer: hex, only comparable between events of one key; grows here.
        self._sequence += 1
        return f"{int(self.clock.now * 1000):012X}{self._sequence:06X}"

    def _emit(
        self,
        bucket: Bucket,
        event: str,
        obj: StoredObject,
        trace_header: str | None,
        principal: str | None,
    ) -> None:
        if self.on_event is not None:
            self.on_event(bucket, event, obj, trace_header, principal)
