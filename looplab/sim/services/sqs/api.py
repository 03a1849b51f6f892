"""SQS's API: the caller's parameters in, botocore's parsed reply out.

This is the only place that knows SQS's request and response shapes; the model behind it
(``model.py``) deals in Python values. Parameters arrive as botocore validated them, before
serialisation: a binary message attribute is ``bytes``, as it is in the parsed reply.
Operations the simulator does not model fail with an ``UnsupportedOperation`` error naming
the operation: a handler that relies on one must not see a silent success.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from collections.abc import Callable
from typing import Any

from looplab.sim.services._errors import EXPERIMENTER_ID, Call
from looplab.sim.services.sqs.model import (
    MAX_BATCH_BYTES,
    MAX_BATCH_ENTRIES,
    Message,
    Queue,
    Received,
    SqsError,
    SqsModel,
    system_attributes,
)

__all__ = [
    "EXPERIMENTER_ID",
    "SqsApi",
    "md5_of_attributes",
    "queue_attributes",
    "system_attributes",
]

_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_SYSTEM_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SentTimestamp",
    "SenderId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
_QUEUE_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)


class SqsApi:
    """``sender_of(call)`` is the caller's identity as SQS's SenderId reports it."""

    def __init__(self, model: SqsModel, sender_of: Callable[[Call], str] | None = None) -> None:
        self.model = model
        self.sender_of = sender_of or (lambda call: EXPERIMENTER_ID)
        self._sender = EXPERIMENTER_ID
        self._ops: dict[str, Callable[[dict[str, Any], str | None], dict[str, Any]]] = {
            "SendMessage": self.send_message,
            "SendMessageBatch": self.send_message_batch,
            "ReceiveMessage": self.receive_message,
            "DeleteMessage": self.delete_message,
            "DeleteMessageBatch": self.delete_message_batch,
            "ChangeMessageVisibility": self.change_message_visibility,
            "ChangeMessageVisibilityBatch": self.change_message_visibility_batch,
            "PurgeQueue": self.purge_queue,
            "GetQueueUrl": self.get_queue_url,
            "GetQueueAttributes": self.get_queue_attributes,
        }

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """Run one request (raises SqsError); the reply has no ResponseMetadata."""
        self._sender = self.sender_of(call)
        op = self._ops.get(operation)
        if op is None:
            raise SqsError(
                "UnsupportedOperation",
                f"SQS {operation} is not modelled by the looplab simulator (modelled: "
                f"{', '.join(sorted(self._ops))})",
                "AWS.SimpleQueueService.UnsupportedOperation",
            )
        return op(params, call.trace_header)

    # -- operations ----------------------------------------------------------------------

    def send_message(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        queue = self._queue(p)
        message = self._send(queue, p, header)
        return _sent_reply(message)

    def send_message_batch(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        queue = self._queue(p)
        entries = self._entries(p)
        total = sum(len(str(e.get("MessageBody", "")).encode()) for e in entries)
        if total > MAX_BATCH_BYTES:
            raise SqsError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. "
                f"You have sent {total} bytes.",
                "AWS.SimpleQueueService.BatchRequestTooLong",
            )
        ok, failed = [], []
        for entry in entries:
            try:
                # The HTTP header is one per request, so it applies to every entry.
                message = self._send(queue, entry, header)
            except SqsError as exc:
                failed.append(_failure(entry["Id"], exc))
            else:
                ok.append({"Id": entry["Id"], **_sent_reply(message)})
        return {"Successful": ok, "Failed": failed}

    def receive_message(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        queue = self._queue(p)
        max_messages = _int(p, "MaxNumberOfMessages", 1, 1, 10)
        visibility = p.get("VisibilityTimeout")
        if visibility is not None:
            visibility = _int(p, "VisibilityTimeout", 0, 0, 43_200)
        # Long polling returns at once: a handler's call cannot span virtual time.
        _int(p, "WaitTimeSeconds", 0, 0, 20)
        names = set(p.get("MessageSystemAttributeNames") or []) | set(p.get("AttributeNames") or [])
        wanted = (
            _SYSTEM_ATTRIBUTES
            if "All" in names
            else tuple(n for n in _SYSTEM_ATTRIBUTES if n in names)
        )
        attr_names = p.get("MessageAttributeNames") or []
        received = self.model.receive(queue, max_messages, visibility)
        if not received:
            return {}
        return {"Messages": [self._message_reply(r, wanted, attr_names) for r in received]}

    def delete_message(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        self.model.delete(self._queue(p), _required(p, "ReceiptHandle"))
        return {}

    def delete_message_batch(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        queue = self._queue(p)
        ok, failed = [], []
        for entry in self._entries(p):
            try:
                self.model.delete(queue, _required(entry, "ReceiptHandle"))
            except SqsError as exc:
                failed.append(_failure(entry["Id"], exc))
            else:
                ok.append({"Id": entry["Id"]})
        return {"Successful": ok, "Failed": failed}

    def change_message_visibility(self, p: dict[str, Any], header: str | None) -> dict:
        timeout = _int(p, "VisibilityTimeout", None, 0, 43_200)
        self.model.change_visibility(self._queue(p), _required(p, "ReceiptHandle"), timeout)
        return {}

    def change_message_visibility_batch(self, p: dict[str, Any], header: str | None) -> dict:
        queue = self._queue(p)
        ok, failed = [], []
        for entry in self._entries(p):
            try:
                timeout = _int(entry, "VisibilityTimeout", None, 0, 43_200)
                self.model.change_visibility(queue, _required(entry, "ReceiptHandle"), timeout)
            except SqsError as exc:
                failed.append(_failure(entry["Id"], exc))
            else:
                ok.append({"Id": entry["Id"]})
        return {"Successful": ok, "Failed": failed}

    def purge_queue(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        self.model.purge(self._queue(p))
        return {}

    def get_queue_url(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        name = _required(p, "QueueName")
        owner = p.get("QueueOwnerAWSAccountId")
        queue = self.model.by_name.get(name)
        if queue is None or (owner and owner != self.model.account_id):
            raise SqsError(
                "QueueDoesNotExist",
                "The specified queue does not exist.",
                "AWS.SimpleQueueService.NonExistentQueue",
            )
        return {"QueueUrl": queue.spec.url}

    def get_queue_attributes(self, p: dict[str, Any], header: str | None) -> dict[str, Any]:
        queue = self._queue(p)
        names = p.get("AttributeNames") or []
        unknown = [n for n in names if n != "All" and n not in _QUEUE_ATTRIBUTES]
        if unknown:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {unknown[0]}.")
        wanted = _QUEUE_ATTRIBUTES if "All" in names else names
        values = queue_attributes(queue, self.model.clock.now)
        return {"Attributes": {n: values[n] for n in wanted if n in values}}

    # -- helpers -------------------------------------------------------------------------

    def _queue(self, p: dict[str, Any]) -> Queue:
        return self.model.queue(_required(p, "QueueUrl"))

    def _send(self, queue: Queue, p: dict[str, Any], header: str | None) -> Message:
        body = p.get("MessageBody")
        if body is None:
            raise SqsError(
                "MissingParameter", "The request must contain the parameter MessageBody."
            )
        system = p.get("MessageSystemAttributes") or {}
        trace = header
        if "AWSTraceHeader" in system:
            # The explicit attribute wins over the HTTP header (SQS developer guide).
            trace = system["AWSTraceHeader"].get("StringValue")
        delay = p.get("DelaySeconds")
        return self.model.send(
            queue,
            str(body),
            delay=None if delay is None else int(delay),
            trace_header=trace,
            message_attributes=p.get("MessageAttributes") or {},
            sender_id=self._sender,
        )

    def _entries(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        entries = p.get("Entries") or []
        if not entries:
            raise SqsError(
                "EmptyBatchRequest",
                "There should be at least one entry in the request.",
                "AWS.SimpleQueueService.EmptyBatchRequest",
            )
        if len(entries) > MAX_BATCH_ENTRIES:
            raise SqsError(
                "TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. "
                f"You have sent {len(entries)}.",
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            )
        ids = [e.get("Id", "") for e in entries]
        for entry_id in ids:
            if not _BATCH_ID.match(entry_id):
                raise SqsError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, "
                    "hyphens and underscores. It can be at most 80 letters long.",
                    "AWS.SimpleQueueService.InvalidBatchEntryId",
                )
        if len(set(ids)) != len(ids):
            raise SqsError(
                "BatchEntryIdsNotDistinct",
                "Two or more batch entries have the same Id.",
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            )
        return entries

    def _message_reply(
        self, received: Received, wanted: tuple[str, ...] | list[str], attr_names: list[str]
    ) -> dict[str, Any]:
        m = received.message
        reply: dict[str, Any] = {
            "MessageId": m.message_id,
            "ReceiptHandle": received.receipt_handle,
            "MD5OfBody": m.md5,
            "Body": m.body,
        }
        if wanted:
            attributes = system_attributes(m)
            reply["Attributes"] = {k: attributes[k] for k in wanted if k in attributes}
        if attr_names and m.message_attributes:
            chosen = {
                k: v
                for k, v in m.message_attributes.items()
                if "All" in attr_names or ".*" in attr_names or k in attr_names
            }
            if chosen:
                reply["MessageAttributes"] = chosen
                reply["MD5OfMessageAttributes"] = md5_of_attributes(chosen)
        return reply


def queue_attributes(queue: Queue, now: float) -> dict[str, str]:
    spec = queue.spec
    values = {
        "ApproximateNumberOfMessages": str(queue.visible),
        "ApproximateNumberOfMessagesNotVisible": str(queue.inflight),
        "ApproximateNumberOfMessagesDelayed": str(queue.delayed),
        "CreatedTimestamp": str(int(queue.created)),
        "LastModifiedTimestamp": str(int(queue.created)),
        "DelaySeconds": str(spec.delay_seconds),
        "MaximumMessageSize": str(spec.maximum_message_size),
        "MessageRetentionPeriod": str(spec.retention_seconds),
        "QueueArn": spec.arn,
        "ReceiveMessageWaitTimeSeconds": str(spec.receive_wait_seconds),
        "VisibilityTimeout": str(queue.visibility_timeout),
    }
    if spec.redrive_target is not None:
        # The model keeps the DLQ's logical ID; AWS reports its ARN.
        target = spec.redrive_target_arn or spec.redrive_target
        values["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": target, "maxReceiveCount": spec.max_receive_count}
        )
    if spec.redrive_allow_policy is not None:
        values["RedriveAllowPolicy"] = json.dumps(spec.redrive_allow_policy)
    return values


def md5_of_attributes(attributes: dict[str, Any]) -> str:
    """SQS's MD5OfMessageAttributes: length-prefixed name, type, transport byte, value."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value.get("DataType", "String")
        for text in (name, data_type):
            raw = text.encode()
            digest.update(struct.pack(">I", len(raw)) + raw)
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            # botocore hands a blob over as bytes; base64 text is accepted as well (the
            # form a Lambda SQS record carries). The digest is over the bytes.
            raw = raw if isinstance(raw, bytes) else base64.b64decode(raw)
            digest.update(b"\x02" + struct.pack(">I", len(raw)) + raw)
        else:
            raw = str(value.get("StringValue", "")).encode()
            digest.update(b"\x01" + struct.pack(">I", len(raw)) + raw)
    return digest.hexdigest()


def _sent_reply(message: Message) -> dict[str, Any]:
    reply = {"MD5OfMessageBody": message.md5, "MessageId": message.message_id}
    if message.message_attributes:
        reply["MD5OfMessageAttributes"] = md5_of_attributes(message.message_attributes)
    return reply


def _failure(entry_id: str, exc: SqsError) -> dict[str, Any]:
    return {"Id": entry_id, "SenderFault": exc.sender, "Code": exc.shape, "Message": exc.message}


def _required(p: dict[str, Any], name: str) -> Any:
    if p.get(name) in (None, ""):
        raise SqsError("MissingParameter", f"The request must contain the parameter {name}.")
    return p[name]


def _int(p: dict[str, Any], name: str, default: int | None, lo: int, hi: int) -> int:
    value = p.get(name, default)
    if value is None:
        raise SqsError("MissingParameter", f"The request must contain the parameter {name}.")
    value = int(value)
    if not lo <= value <= hi:
        raise SqsError(
            "InvalidParameterValue",
            f"Value {value} for parameter {name} is invalid. "
            f"Reason: Must be between {lo} and {hi}, if provided.",
        )
    return value
