"""The SNS model (standard topics): publishing, and delivery to Lambda and SQS subscribers.

Operations take plain Python values; ``api`` reads the caller's parameters (moto's split).
What AWS documents is followed as written:
- a Lambda subscription invokes the function asynchronously with the event AWS documents
  (``Records[].EventSource`` ``aws:sns``, ``Sns.Type`` ``Notification``, ...);
- an SQS subscription sends the JSON notification document, or with
  ``RawMessageDelivery`` the message itself, its attributes as SQS message attributes;
- the X-Ray trace header of the Publish call travels with the notification: Lambda gets
  it as the invocation's trace header, SQS as the message's ``AWSTraceHeader``, so a loop
  through a topic carries its Lineage as on AWS (Lambda's recursive loop detection covers
  SNS, lambda/invocation-recursion);
- each subscription is delivered independently, after ``SimParams.sns_delivery_delay``
  (AWS documents no latency).
"""

from __future__ import annotations

import base64
import json
import time
import uuid as _uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from looplab.sim.clock import Clock
from looplab.sim.ids import uuid
from looplab.sim.services.cloudwatch import Metrics
from looplab.sim.services.sns.errors import SnsError, invalid_parameter, not_found
from looplab.sim.services.sqs import SqsError, sns_may_send
from looplab.stack import SubscriptionSpec, TopicSpec

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Notification",
    "SnsModel",
    "Subscription",
    "Topic",
    "lambda_event",
    "sqs_envelope",
]

MAX_MESSAGE_BYTES = 262_144
"""256 KiB, message and attributes together (SNS quotas: "Message size 256 KB")."""

SNS_SENDER_ID = "AIDASNSLOOPLABSERVICE"
"""SQS's SenderId of a message SNS delivered (an SNS service principal's unique ID on AWS;
the value is the simulator's own)."""

_SIGNATURE = "TE9PUExBQi1TSU1VTEFURUQtTk9ULUEtUkVBTC1TSUdOQVRVUkU="
# base64 of "LOOPLAB-SIMULATED-NOT-A-REAL-SIGNATURE": the field's shape, never verifiable.

Invoke = Callable[[str, dict[str, Any], "str | None", str], None]
"""``invoke(function logical ID, event, trace header, source ARN)``: Lambda's async entry."""
Enqueue = Callable[[str, str, "dict[str, Any] | None", "str | None", str], None]
"""``enqueue(queue logical ID, body, message attributes, trace header, sender ID)``."""


@dataclass(frozen=True, slots=True)
class Subscription:
    spec: SubscriptionSpec
    arn: str
    # sqs: whether the queue's policy lets SNS send to it, decided once (the policy, topic
    # and queue are the template's for the stack's life)
    allowed: bool = True


@dataclass(slots=True)
class Topic:
    spec: TopicSpec
    subscriptions: list[Subscription] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Notification:
    """One published message, as every subscriber is sent it."""

    message_id: str
    topic_arn: str
    message: str
    per_protocol: dict[str, str] | None  # MessageStructure=json: {"default": ..., "sqs": ...}
    subject: str | None
    attributes: dict[str, Any]  # botocore's shape: {name: {DataType, StringValue|BinaryValue}}
    timestamp: float
    trace_header: str | None

    def body_for(self, protocol: str) -> str:
        if self.per_protocol is None:
            return self.message
        return self.per_protocol.get(protocol, self.per_protocol["default"])


class SnsModel:
    """All topics of a simulated account, delivering through ``invoke`` and ``enqueue``."""

    def __init__(
        self,
        clock: Clock,
        rng: Random,
        metrics: Metrics,
        delivery_delay: float,
        region: str,
        account_id: str,
        invoke: Invoke,
        enqueue: Enqueue,
    ) -> None:
        self.clock = clock
        self.rng = rng
        self.metrics = metrics
        self.delivery_delay = delivery_delay
        self.region = region
        self.account_id = account_id
        self.invoke = invoke
        self.enqueue = enqueue
        self.topics: dict[str, Topic] = {}  # by ARN, in template order
        self.by_logical_id: dict[str, Topic] = {}
        self.on_event: Callable[[str, str], None] = lambda kind, detail: None

    def add_stack(
        self, topics: Iterable[TopicSpec], subscriptions: Iterable[SubscriptionSpec]
    ) -> None:
        for spec in topics:
            self.add_topic(spec)
        for sub in subscriptions:
            self.add_subscription(sub)

    def add_topic(self, spec: TopicSpec) -> Topic:
        topic = Topic(spec)
        self.topics[spec.arn] = topic
        self.by_logical_id[spec.logical_id] = topic
        return topic

    def add_subscription(self, spec: SubscriptionSpec) -> Subscription | None:
        """Subscribe ``spec`` to its topic when the topic is in this stack (None if not)."""
        topic = self.topics.get(spec.topic_arn)
        if topic is None:
            return None
        # AWS gives a subscription a random UUID; one derived from the logical ID keeps
        # ARNs the same from run to run without drawing on the seeded stream.
        sub_id = _uuid.uuid5(_uuid.NAMESPACE_URL, f"{spec.topic_arn}/{spec.logical_id}")
        allowed = spec.protocol != "sqs" or sns_may_send(
            spec.queue_policy, spec.endpoint, spec.topic_arn, self.account_id
        )
        subscription = Subscription(spec, f"{spec.topic_arn}:{sub_id}", allowed)
        topic.subscriptions.append(subscription)
        return subscription

    def named(self, logical_id: str) -> Topic:
        """The topic of the stack with this logical ID (a scenario step names it)."""
        topic = self.by_logical_id.get(logical_id)
        if topic is None:
            known = ", ".join(self.by_logical_id) or "none"
            raise KeyError(f"no SNS topic {logical_id!r} in the stack (its topics: {known})")
        return topic

    def topic(self, arn: str | None) -> Topic:
        if not arn:
            raise invalid_parameter("TopicArn or TargetArn Reason: no value for required parameter")
        parts = arn.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"] or not parts[5]:
            raise invalid_parameter("TopicArn")
        topic = self.topics.get(arn)
        if topic is None:
            raise not_found("Topic")
        return topic

    def publish(
        self,
        topic: Topic,
        message: str,
        *,
        subject: str | None = None,
        attributes: dict[str, Any] | None = None,
        structure: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        """Accept one message (raises SnsError) and schedule its deliveries; its MessageId."""
        per_protocol = check_message(message, subject, attributes, structure)
        if topic.spec.fifo:
            raise invalid_parameter("FIFO topics are not modelled by the looplab simulator")
        notification = Notification(
            message_id=uuid(self.rng),
            topic_arn=topic.spec.arn,
            message=message,
            per_protocol=per_protocol,
            subject=subject,
            attributes=dict(attributes or {}),
            timestamp=self.clock.now,
            trace_header=trace_header,
        )
        now = self.clock.now
        self.metrics.add(now, "AWS/SNS", "NumberOfMessagesPublished", topic.spec.name)
        self.metrics.add(
            now, "AWS/SNS", "PublishSize", topic.spec.name, float(len(message.encode()))
        )
        self.on_event("publish", f"{topic.spec.logical_id} {notification.message_id} {message}")
        for subscription in topic.subscriptions:
            self.clock.after(self.delivery_delay, self._deliver, topic, subscription, notification)
        return notification.message_id

    def _deliver(self, topic: Topic, subscription: Subscription, n: Notification) -> None:
        spec = subscription.spec
        name = topic.spec.name
        try:
            if spec.target is None:
                # An endpoint outside the stack: SNS delivers it outside the simulated account.
                self.on_event("deliver-out", f"{spec.endpoint} from {n.topic_arn}")
            elif spec.protocol == "lambda":
                event = lambda_event(n, subscription.arn, n.body_for("lambda"))
                self.invoke(spec.target, event, n.trace_header, n.topic_arn)
            elif spec.protocol == "sqs":
                if not subscription.allowed:
                    # SNS's SendMessage is refused by the queue's policy: nothing arrives.
                    self.metrics.add(self.clock.now, "AWS/SNS", "NumberOfNotificationsFailed", name)
                    self.on_event(
                        "sns-denied",
                        f"{subscription.arn}: the queue's policy does not let SNS send to it",
                    )
                    return
                if spec.raw_message_delivery:
                    body, attributes = n.body_for("sqs"), n.attributes or None
                else:
                    body, attributes = sqs_envelope(n, subscription.arn, self.region), None
                self.enqueue(spec.target, body, attributes, n.trace_header, SNS_SENDER_ID)
            else:  # refused before a run starts (looplab.sim.refusals)
                raise AssertionError(f"protocol {spec.protocol!r} is not modelled")
        except (SqsError, SnsError) as exc:
            # The queue refused the body (too large for its MaximumMessageSize, ...).
            self.metrics.add(self.clock.now, "AWS/SNS", "NumberOfNotificationsFailed", name)
            self.on_event("sns-failed", f"{subscription.arn} {exc}")
            return
        self.metrics.add(self.clock.now, "AWS/SNS", "NumberOfNotificationsDelivered", name)


def check_message(
    message: str,
    subject: str | None,
    attributes: dict[str, Any] | None,
    structure: str | None,
) -> dict[str, str] | None:
    """SNS's checks of a Publish, in AWS's wording; the per-protocol messages of a
    ``MessageStructure=json`` publish."""
    if not message:
        raise invalid_parameter("Empty message")
    # "UTF-8 text with no line breaks or control characters, and less than 100
    # characters long" (Publish's API reference): any printable Unicode is allowed.
    if subject is not None and (not subject or len(subject) > 100 or not subject.isprintable()):
        raise invalid_parameter("Subject")
    for name, value in (attributes or {}).items():
        kind = str(value.get("DataType", ""))
        if kind.split(".", 1)[0] not in ("String", "Number", "Binary"):
            raise SnsError(
                "ParameterValueInvalid",
                f"The message attribute '{name}' has an invalid message attribute type, "
                "the set of supported type prefixes is Binary, Number, and String.",
            )
        if value.get("StringValue") in (None, "") and not value.get("BinaryValue"):
            raise SnsError(
                "ParameterValueInvalid",
                f"The message attribute '{name}' must contain non-empty message attribute "
                f"value for message attribute type '{kind}'.",
            )
    size = len(message.encode()) + sum(
        len(n.encode()) + len(str(v.get("DataType", "")).encode()) + _value_size(v)
        for n, v in (attributes or {}).items()
    )
    if size > MAX_MESSAGE_BYTES:
        raise invalid_parameter("Message too long")
    if structure is None:
        return None
    if structure != "json":
        raise invalid_parameter("MessageStructure")
    try:
        parsed = json.loads(message)
    except ValueError:
        raise invalid_parameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("default"), str):
        raise invalid_parameter("Message Structure - No default entry in JSON message body")
    return {k: v for k, v in parsed.items() if isinstance(v, str)}


def _value_size(value: dict[str, Any]) -> int:
    raw = value.get("BinaryValue")
    if isinstance(raw, bytes | bytearray):
        return len(raw)
    return len(str(value.get("StringValue", "")).encode())


def _timestamp(t: float) -> str:
    # SNS's ISO 8601 with milliseconds: "2019-01-02T12:45:07.000Z".
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _notification_attributes(n: Notification) -> dict[str, dict[str, str]]:
    """Attributes as the notification document and Lambda's event carry them: ``Type``
    and ``Value``, a binary value base64-encoded."""
    out: dict[str, dict[str, str]] = {}
    for name, value in n.attributes.items():
        raw = value.get("BinaryValue")
        text = (
            base64.b64encode(raw).decode()
            if isinstance(raw, bytes | bytearray)
            else str(value.get("StringValue", ""))
        )
        out[name] = {"Type": str(value.get("DataType", "String")), "Value": text}
    return out


def _urls(region: str, subscription_arn: str) -> tuple[str, str]:
    host = f"https://sns.{region}.amazonaws.com"
    return (
        f"{host}/SimpleNotificationService-looplab.pem",
        f"{host}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
    )


def lambda_event(n: Notification, subscription_arn: str, message: str) -> dict[str, Any]:
    """The event SNS invokes a function with (Lambda developer guide, with-sns)."""
    region = n.topic_arn.split(":")[3]
    cert, unsubscribe = _urls(region, subscription_arn)
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": _timestamp(n.timestamp),
                    "Signature": _SIGNATURE,
                    "SigningCertUrl": cert,
                    "MessageId": n.message_id,
                    "Message": message,
                    "MessageAttributes": _notification_attributes(n),
                    "Type": "Notification",
                    "UnsubscribeUrl": unsubscribe,
                    "TopicArn": n.topic_arn,
                    "Subject": n.subject,  # null when the publish had none, as on AWS
                },
            }
        ]
    }


def sqs_envelope(n: Notification, subscription_arn: str, region: str) -> str:
    """The JSON notification document an SQS subscriber without raw delivery receives
    (SNS developer guide, sns-message-and-json-formats)."""
    cert, unsubscribe = _urls(region, subscription_arn)
    document: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": n.message_id,
        "TopicArn": n.topic_arn,
    }
    if n.subject is not None:  # the document omits Subject when there is none
        document["Subject"] = n.subject
    document.update(
        {
            "Message": n.body_for("sqs"),
            "Timestamp": _timestamp(n.timestamp),
            "SignatureVersion": "1",
            "Signature": _SIGNATURE,
            "SigningCertURL": cert,
            "UnsubscribeURL": unsubscribe,
        }
    )
    if n.attributes:
        document["MessageAttributes"] = _notification_attributes(n)
    return json.dumps(document, indent=2)
