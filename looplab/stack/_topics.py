"""SNS topics and their subscriptions: ``AWS::SNS::Subscription`` resources and the
entries of a topic's inline ``Subscription`` list.

They describe, never judge: a filter policy or an HTTPS subscription is read with its
template path, and the simulator decides what it refuses (looplab.sim.refusals).
"""

from __future__ import annotations

from typing import Any

from looplab.stack._identity import Naming, named
from looplab.stack._reading import Phase, Reader, Reading
from looplab.stack._specs import SubscriptionSpec, TopicSpec
from looplab.stack._values import as_bool, choice, json_or_dict, object_list

__all__ = ["SUBSCRIPTION", "TOPIC"]

_SNS_PROTOCOLS = (
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
)
_FILTER_SCOPES = ("MessageAttributes", "MessageBody")

_NAMED = named("sns", "TopicName", "{name}", ref_is_arn=True)


def _identity(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    ident = _NAMED(naming, logical_id, props)
    ident["TopicArn"] = ident["Arn"]
    return ident


def _read_topic(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    ident = reading.identity[logical_id]
    reading.topics[logical_id] = TopicSpec(
        logical_id=logical_id,
        name=str(ident["TopicName"]),
        arn=str(ident["Arn"]),
        fifo=as_bool(props.get("FifoTopic", False), f"Resources.{logical_id}.Properties.FifoTopic"),
    )


def _read_inline_subscriptions(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    where = f"Resources.{logical_id}.Properties.Subscription"
    for i, entry in enumerate(object_list(props.get("Subscription"), where)):
        sid = f"{logical_id}.Subscription[{i}]"
        reading.subscriptions[sid] = _subscription(
            reading, sid, f"{where}[{i}]", logical_id, reading.topics[logical_id].arn, entry
        )


def _read_subscription(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    arn = str(props.get("TopicArn", ""))
    reading.subscriptions[logical_id] = _subscription(
        reading, logical_id, f"Resources.{logical_id}", reading.topic_of_arn(arn), arn, props
    )


def _subscription(
    reading: Reading,
    logical_id: str,
    path: str,
    topic_id: str | None,
    topic_arn: str,
    props: dict[str, Any],
) -> SubscriptionSpec:
    # An inline subscription's path is already its properties' (Properties.Subscription[i]).
    where = path if ".Properties." in path else f"{path}.Properties"
    # SNS's Subscribe takes these protocols (its API reference; botocore has no enum), in
    # lower case, and FilterPolicyScope these two: any other value fails the deploy.
    protocol = choice(props, "Protocol", _SNS_PROTOCOLS, "", where)
    endpoint = str(props.get("Endpoint", ""))
    target = reading.target(endpoint)
    redrive = json_or_dict(props.get("RedrivePolicy"), f"{where}.RedrivePolicy") or {}
    return SubscriptionSpec(
        logical_id=logical_id,
        path=path,
        topic=topic_id,
        topic_arn=topic_arn,
        protocol=protocol,
        endpoint=endpoint,
        target=target,
        raw_message_delivery=as_bool(
            props.get("RawMessageDelivery", False), f"{where}.RawMessageDelivery"
        ),
        filter_policy=json_or_dict(props.get("FilterPolicy"), f"{where}.FilterPolicy"),
        filter_policy_scope=choice(
            props, "FilterPolicyScope", _FILTER_SCOPES, "MessageAttributes", where
        ),
        redrive_target_arn=redrive.get("deadLetterTargetArn"),
        queue_policy=reading.policy_of(target) if protocol == "sqs" and target else None,
    )


TOPIC = Reader(
    identity=_identity,
    reads={Phase.NAMED: _read_topic, Phase.SUBSCRIPTIONS: _read_inline_subscriptions},
)
SUBSCRIPTION = Reader(reads={Phase.SUBSCRIPTIONS: _read_subscription})
