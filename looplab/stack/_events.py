"""Readers of what a template wires to functions besides SQS mappings: SNS topics and
their subscriptions, S3 buckets' notifications, and functions' asynchronous invocation
settings (``AWS::Lambda::EventInvokeConfig``).

They describe, never judge: a filter policy, an HTTPS subscription or an EventBridge
notification is read with its template path, and the simulator decides what it refuses
(looplab.sim.refusals).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from looplab._cfn import TemplateError
from looplab.stack._specs import (
    BucketSpec,
    EventInvokeSpec,
    FunctionSpec,
    NotificationSpec,
    QueuePolicySpec,
    QueueSpec,
    SubscriptionSpec,
    TopicSpec,
)
from looplab.stack._values import (
    api_bounded,
    api_enum,
    as_bool,
    choice,
    json_or_dict,
    object_prop,
)

if TYPE_CHECKING:
    from looplab.stack._builder import _Builder

__all__ = [
    "buckets",
    "invoke_configs",
    "queue_policies",
    "subscriptions",
    "topic",
]

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

# NotificationConfiguration key -> (kind, the entry's target property)
_NOTIFICATION_KINDS = {
    "LambdaConfigurations": ("lambda", "Function"),
    "QueueConfigurations": ("queue", "Queue"),
    "TopicConfigurations": ("topic", "Topic"),
}


def topic(identity: dict[str | None, Any], logical_id: str, props: dict[str, Any]) -> TopicSpec:
    return TopicSpec(
        logical_id=logical_id,
        name=str(identity["TopicName"]),
        arn=str(identity["Arn"]),
        fifo=as_bool(props.get("FifoTopic", False), f"Resources.{logical_id}.Properties.FifoTopic"),
    )


def queue_policies(b: _Builder, queues: dict[str, QueueSpec]) -> dict[str, QueuePolicySpec]:
    """Every ``AWS::SQS::QueuePolicy``, with the queues of this stack it names (by URL, as
    ``!Ref`` gives them)."""
    by_url = {q.url: q.logical_id for q in queues.values()}
    found: dict[str, QueuePolicySpec] = {}
    for logical_id, resource in b.resources.items():
        if resource.get("Type") != "AWS::SQS::QueuePolicy":
            continue
        props = b.props(logical_id)
        path = f"Resources.{logical_id}.Properties.PolicyDocument"
        named = props.get("Queues") or []
        found[logical_id] = QueuePolicySpec(
            logical_id=logical_id,
            path=path,
            queues=tuple(by_url[str(u)] for u in named if str(u) in by_url),
            document=json_or_dict(props.get("PolicyDocument"), path) or {},
        )
    return found


def subscriptions(
    b: _Builder,
    topics: dict[str, TopicSpec],
    queues: dict[str, QueueSpec],
    functions: dict[str, FunctionSpec],
    policies: dict[str, QueuePolicySpec],
) -> dict[str, SubscriptionSpec]:
    """Every SNS subscription: ``AWS::SNS::Subscription`` resources and topics' inline ones."""
    found: dict[str, SubscriptionSpec] = {}
    # The policy a queue ends up with: the last QueuePolicy naming it (two that name the
    # same queue are refused by looplab.sim.refusals: CloudFormation promises no order).
    policy_of = {q: p.document for p in policies.values() for q in p.queues}
    by_arn = {t.arn: t.logical_id for t in topics.values()}
    for logical_id, resource in b.resources.items():
        kind = resource.get("Type")
        if kind == "AWS::SNS::Topic":
            props = b.props(logical_id)
            inline = _objects(
                props.get("Subscription"), f"Resources.{logical_id}.Properties.Subscription"
            )
            for i, entry in enumerate(inline):
                sid = f"{logical_id}.Subscription[{i}]"
                found[sid] = _subscription(
                    sid,
                    f"Resources.{logical_id}.Properties.Subscription[{i}]",
                    logical_id,
                    topics[logical_id].arn,
                    entry,
                    queues,
                    functions,
                    policy_of,
                )
        elif kind == "AWS::SNS::Subscription":
            props = b.props(logical_id)
            arn = str(props.get("TopicArn", ""))
            found[logical_id] = _subscription(
                logical_id,
                f"Resources.{logical_id}",
                by_arn.get(arn),
                arn,
                props,
                queues,
                functions,
                policy_of,
            )
    return found


def _subscription(
    logical_id: str,
    path: str,
    topic_id: str | None,
    topic_arn: str,
    props: dict[str, Any],
    queues: dict[str, QueueSpec],
    functions: dict[str, FunctionSpec],
    policy_of: dict[str, dict[str, Any]],
) -> SubscriptionSpec:
    # An inline subscription's path is already its properties' (Properties.Subscription[i]).
    where = path if ".Properties." in path else f"{path}.Properties"
    # SNS's Subscribe takes these protocols (its API reference; botocore has no enum), in
    # lower case, and FilterPolicyScope these two: any other value fails the deploy.
    protocol = choice(props, "Protocol", _SNS_PROTOCOLS, "", where)
    endpoint = str(props.get("Endpoint", ""))
    target = _target(endpoint, queues, functions)
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
        queue_policy=policy_of.get(target) if protocol == "sqs" and target else None,
    )


def buckets(
    b: _Builder,
    queues: dict[str, QueueSpec],
    functions: dict[str, FunctionSpec],
    topics: dict[str, TopicSpec],
) -> dict[str, BucketSpec]:
    found: dict[str, BucketSpec] = {}
    topic_ids = {t.arn: t.logical_id for t in topics.values()}
    for logical_id, resource in b.resources.items():
        if resource.get("Type") != "AWS::S3::Bucket":
            continue
        props = b.props(logical_id)
        where = f"Resources.{logical_id}.Properties.NotificationConfiguration"
        config = object_prop(props, "NotificationConfiguration", where.rsplit(".", 1)[0])
        notes: list[NotificationSpec] = []
        others: list[str] = []
        for key, value in config.items():
            if key not in _NOTIFICATION_KINDS:
                if value:  # EventBridgeConfiguration, or anything S3 adds later
                    others.append(f"{where}.{key}")
                continue
            kind, target_prop = _NOTIFICATION_KINDS[key]
            for i, entry in enumerate(_objects(value, f"{where}.{key}")):
                arn = str(entry.get(target_prop, ""))
                at = f"{where}.{key}[{i}]"
                prefix, suffix = _key_filter(entry.get("Filter"), f"{at}.Filter")
                notes.append(
                    NotificationSpec(
                        path=at,
                        kind=kind,
                        target_arn=arn,
                        target=topic_ids.get(arn) or _target(arn, queues, functions),
                        event=_s3_event(entry.get("Event"), f"{at}.Event"),
                        prefix=prefix,
                        suffix=suffix,
                    )
                )
        ident = b.identity[logical_id]
        found[logical_id] = BucketSpec(
            logical_id=logical_id,
            name=str(ident[None]),
            arn=str(ident["Arn"]),
            notifications=tuple(notes),
            other_notifications=tuple(others),
        )
    return found


def invoke_configs(b: _Builder, functions: dict[str, FunctionSpec]) -> dict[str, EventInvokeSpec]:
    """Keyed by the function's logical ID for ``$LATEST`` (what the simulator invokes), by
    ``<function>:<qualifier>`` for a version's or an alias's, so neither replaces the other."""
    found: dict[str, EventInvokeSpec] = {}
    for logical_id, resource in b.resources.items():
        if resource.get("Type") != "AWS::Lambda::EventInvokeConfig":
            continue
        props = b.props(logical_id)
        function = _target(str(props.get("FunctionName", "")), {}, functions)
        if function is None:
            continue  # a function of another stack: nothing here invokes it
        where = f"Resources.{logical_id}.Properties"
        qualifier = str(props.get("Qualifier", "$LATEST"))
        destinations = object_prop(props, "DestinationConfig", where)
        # Lambda's own bounds (botocore's model: MaximumRetryAttempts 0-2,
        # MaximumEventAgeInSeconds 60-21600): CloudFormation fails the deploy outside them.
        found[function if qualifier == "$LATEST" else f"{function}:{qualifier}"] = EventInvokeSpec(
            logical_id=logical_id,
            function=function,
            qualifier=qualifier,
            maximum_retry_attempts=api_bounded(props, "MaximumRetryAttempts", 2, where),
            maximum_event_age=api_bounded(props, "MaximumEventAgeInSeconds", 21_600, where),
            on_success=object_prop(destinations, "OnSuccess", f"{where}.DestinationConfig").get(
                "Destination"
            ),
            on_failure=object_prop(destinations, "OnFailure", f"{where}.DestinationConfig").get(
                "Destination"
            ),
        )
    return found


def _target(
    ref: str, queues: dict[str, QueueSpec], functions: dict[str, FunctionSpec]
) -> str | None:
    """The logical ID of the queue or function an ARN (or a function name) names."""
    for q in queues.values():
        if ref == q.arn:
            return q.logical_id
    for f in functions.values():
        # A qualified ARN (":$LATEST", an alias) still names the function.
        if ref in (f.name, f.arn) or ref.startswith(f"{f.arn}:"):
            return f.logical_id
    return None


def _objects(raw: Any, where: str) -> list[dict[str, Any]]:
    """A list of objects (absent: empty): a notification or subscription list."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise TemplateError(f"{where}: a list of objects is expected, got {raw!r}")
    return raw


def _key_filter(raw: Any, where: str) -> tuple[str, str]:
    if raw is None:
        return "", ""
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: an object is expected, got {raw!r}")
    rules = _objects(object_prop(raw, "S3Key", where).get("Rules"), f"{where}.S3Key.Rules")
    values: dict[str, str] = {}
    for i, rule in enumerate(rules):
        name = str(rule.get("Name", "")).lower()  # S3 takes "Prefix" as "prefix"
        if name not in ("prefix", "suffix"):
            # S3 refuses the configuration (InvalidArgument, "filter rule name must be
            # either prefix or suffix"): the deploy fails.
            raise TemplateError(
                f"{where}.S3Key.Rules[{i}].Name: {rule.get('Name')!r} is not a filter rule "
                "name (allowed: prefix, suffix)"
            )
        values[name] = str(rule.get("Value", ""))
    return values.get("prefix", ""), values.get("suffix", "")


def _s3_event(raw: Any, where: str) -> str:
    """An event type S3 accepts; any other fails the deploy ("The event is not supported
    for notifications"), so it is an error here rather than a loop that never starts."""
    event = str(raw if raw is not None else "")
    known = api_enum("s3", "Event")  # botocore's model: the installed SDK's list
    if event not in known:
        near = difflib.get_close_matches(event, known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise TemplateError(
            f"{where}: {event!r} is not an S3 event type{hint} (allowed: {', '.join(known)})"
        )
    return event
