"""SQS's values: a message, a queue's state, and the rules a body and its attributes obey.

Kept apart from the model's operations (``model.py``) so that what a message IS (its
fields, its system attributes, what SQS accepts in a body) reads in one place; SNS's SQS
delivery checks a body with the same rules.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from looplab.sim.services.sqs.errors import SqsError
from looplab.stack import QueueSpec

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ENTRIES",
    "Message",
    "Queue",
    "Received",
    "attributes_size",
    "check_body",
    "system_attributes",
]

MAX_BATCH_ENTRIES = 10
_NO_ATTRIBUTES: dict[str, Any] = {}
MAX_BATCH_BYTES = 1_048_576


@dataclass(eq=False, slots=True)
class Message:
    message_id: str
    body: str
    sent: float  # original enqueue time: retention counts from here, even after a DLQ move
    sender_id: str
    trace_header: str | None
    # Most messages have none: they share one empty dict, never written to.
    message_attributes: dict[str, Any] = field(default_factory=lambda: _NO_ATTRIBUTES)
    receive_count: int = 0
    first_receive: float | None = None
    state: str = "new"  # new | visible | inflight | delayed | gone
    receipt: int = 0  # bumps on every receive: the handle's generation
    vis_gen: int = 0  # bumps on every visibility change: stale timer events compare it
    dead_letter_source: str | None = None  # the source queue's ARN once redrive moved it
    received_at: float | None = (
        None  # the latest receive: the 12-hour visibility cap counts from it
    )
    hidden_until: float = 0.0  # while in ``Queue.hidden``: when it becomes visible again

    @property
    def md5(self) -> str:
        """MD5 of the body, computed when asked (a microsecond) rather than kept: a backlog
        of 65,536 messages would hold 5 MB of digests."""
        return hashlib.md5(self.body.encode()).hexdigest()

    queue: Queue | None = None


@dataclass(frozen=True, slots=True)
class Received:
    """A message as one ReceiveMessage returned it."""

    message: Message
    receipt_handle: str


class Queue:
    def __init__(self, spec: QueueSpec, created: float) -> None:
        self.spec = spec
        self.visibility_timeout = spec.visibility_timeout
        self.created = created
        self.messages: dict[str, Message] = {}
        self.ready: deque[Message] = deque()  # visible, oldest first; stale entries skipped
        self.visible = 0
        self.inflight = 0
        self.delayed = 0
        self.last_purge: float | None = None
        # Retention bookkeeping. Messages sent to this queue expire in the order they were
        # sent (one retention period for the queue), so an insertion-ordered dict of the
        # live ones is enough; messages moved in by redrive keep their ORIGINAL enqueue
        # time, so they are out of order and go to a heap of (due, message id).
        self.by_sent: dict[str, Message] = {}
        self.moved: list[tuple[float, str]] = []
        self.expiry_at: float | None = None  # the pending retention event's time
        # Received with the queue's visibility timeout: they reappear in receive order.
        self.hidden: dict[str, Message] = {}
        self.hidden_at: float | None = None  # the pending visibility event's time

    def count(self, state: str, delta: int) -> None:
        if state == "visible":
            self.visible += delta
        elif state == "inflight":
            self.inflight += delta
        elif state == "delayed":
            self.delayed += delta


def system_attributes(m: Message) -> dict[str, str]:
    """A message's system attributes, as ReceiveMessage and Lambda's SQS records name them."""
    attributes = {
        "ApproximateReceiveCount": str(m.receive_count),
        "SentTimestamp": str(int(m.sent * 1000)),
        "SenderId": m.sender_id,
        "ApproximateFirstReceiveTimestamp": str(int((m.first_receive or m.sent) * 1000)),
    }
    if m.trace_header:
        attributes["AWSTraceHeader"] = m.trace_header
    if m.dead_letter_source:
        attributes["DeadLetterQueueSourceArn"] = m.dead_letter_source
    return attributes


def attributes_size(attributes: dict[str, Any] | None) -> int:
    # SQS counts each attribute's name, type and value toward the message size.
    return sum(
        len(name.encode()) + len(str(value.get("DataType", "")).encode()) + _value_size(value)
        for name, value in (attributes or {}).items()
    )


def _value_size(value: dict[str, Any]) -> int:
    raw = value.get("BinaryValue")
    if isinstance(raw, bytes | bytearray):
        return len(raw)  # the caller's bytes, as botocore hands them over
    return len(str(value.get("StringValue", raw if raw is not None else "")).encode())


def check_body(body: str, limit: int, extra: int = 0) -> None:
    if not body:
        raise SqsError("MissingParameter", "The request must contain the parameter MessageBody.")
    size = len(body.encode()) + extra
    if size > limit:
        raise SqsError(
            "InvalidParameterValue",
            f"One or more parameters are invalid. Reason: Message must be shorter "
            f"than {limit} bytes.",
        )
    bad = _INVALID_CHARS.search(body)
    if bad:
        o = ord(bad.group())
        raise SqsError(
            "InvalidMessageContents",
            f"Invalid binary character '#x{o:X}' was found in the message body, "
            "the set of allowed characters is available at "
            "http://www.w3.org/TR/REC-xml/#charsets",
        )


# XML 1.0's character set: what SQS accepts in a body.
_INVALID_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
