"""What the simulator refuses to run, by name and template path.

DESIGN.md, "the stack reads, the simulator refuses": :mod:`looplab.stack` describes any
template; this module decides what the simulator cannot model faithfully. Running such a
stack anyway would give a plausible, wrong answer without a word: an SNS subscription or
an S3 notification that triggers a function would simply never deliver, the run would
complete, and the loop the user built (one AWS does detect) would never happen.

So every resource or property that can deliver events to a function or carry a loop
through a service the simulator does not model is refused, as are the SQS and Lambda
features it does not model (FIFO queues, filters, batching windows, runtimes other than
Python). All refusals of a stack are reported at once, each with its template path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from looplab.sim.services.sqs.policy import unevaluable
from looplab.stack import Stack, SubscriptionSpec, TemplateError, redrive_cycles

__all__ = ["Refusal", "UnsupportedTemplate", "check_stack", "refusals"]

_UNTIL = "until the simulator models it, run this stack on AWS (--backend aws)"


@dataclass(frozen=True)
class Refusal:
    path: str  # Resources.<id> or Resources.<id>.Properties.<name>
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class UnsupportedTemplate(TemplateError):
    """The stack uses what the simulator does not model (a bad input: exit 2)."""

    def __init__(self, found: list[Refusal]) -> None:
        self.refusals = found
        lines = "\n".join(f"  {r}" for r in found)
        super().__init__(
            f"the local simulator cannot run this stack ({len(found)} refused; {_UNTIL}):\n{lines}"
        )


# Whole resources that deliver events to a function (or to a queue) through a service the
# simulator does not model. The loops AWS detects include SNS and S3 (since 2024).
_RESOURCES: dict[str, str] = {
    "AWS::Lambda::Url": "a function URL invokes the function over HTTPS: not modelled",
    "AWS::Events::Rule": "an EventBridge rule delivers events to its targets: EventBridge "
    "is not modelled",
    "AWS::Scheduler::Schedule": "an EventBridge Scheduler schedule invokes its target: "
    "not modelled",
    "AWS::Pipes::Pipe": "an EventBridge pipe moves events from a source to a target: not modelled",
    "AWS::Logs::SubscriptionFilter": "a subscription filter delivers log events to its "
    "destination: not modelled",
    "AWS::IoT::TopicRule": "an IoT topic rule delivers messages to its actions: not modelled",
    "AWS::ApiGateway::Method": "an API Gateway method invokes its integration: not modelled",
    "AWS::ApiGatewayV2::Integration": "an API Gateway integration invokes its target: not modelled",
    "AWS::AppSync::DataSource": "an AppSync data source invokes its function: not modelled",
    "AWS::StepFunctions::StateMachine": "a state machine invokes the functions and queues "
    "its states name: not modelled",
    "AWS::SES::ReceiptRule": "an SES receipt rule delivers mail to its actions: not modelled",
    "Custom::S3": "the Serverless Framework's custom resource adds S3 notifications to an "
    "existing bucket: S3 is not modelled",
}

# (type, property) -> why; the property's presence is refused.
_PROPERTIES: dict[tuple[str, str], str] = {
    ("AWS::Cognito::UserPool", "LambdaConfig"): "Cognito triggers invoke functions: not modelled",
    ("AWS::Lambda::EventSourceMapping", "FilterCriteria"): "on AWS, messages that match no "
    "filter are deleted unseen; ignoring the filter would run the function on them",
    ("AWS::Lambda::EventSourceMapping", "DestinationConfig"): "an on-failure destination "
    "receives failed batches: not modelled",
}

# ARN service -> what a mapping from it reads.
_SOURCES: dict[str, str] = {
    "dynamodb": "a DynamoDB stream",
    "kinesis": "a Kinesis stream",
    "kafka": "an Amazon MSK cluster",
    "mq": "an Amazon MQ broker",
    "rds": "a DocumentDB change stream",
    "docdb": "a DocumentDB change stream",
    "sqs": "an SQS queue of another stack",
}


def refusals(stack: Stack) -> list[Refusal]:
    """Every part of ``stack`` the simulator would run wrongly, in template order."""
    # A Stack built without the reader (its dataclasses, in tests and tools) is checked
    # too: a redrive cycle would move a message around it forever at one instant.
    found = [Refusal(path, why) for path, why in redrive_cycles(stack.queues)]
    for logical_id, resource in stack.template.items():
        kind = str(resource.get("Type", ""))
        props: dict[str, Any] = resource.get("Properties") or {}
        where = f"Resources.{logical_id}"
        if kind in _RESOURCES:
            found.append(Refusal(where, f"{kind}: {_RESOURCES[kind]}"))
        for name in props:
            why = _PROPERTIES.get((kind, name))
            if why is not None and props[name]:
                found.append(Refusal(f"{where}.Properties.{name}", why))
        found.extend(_modelled(stack, logical_id, kind, where))
        if kind == "AWS::Lambda::Permission":
            found.extend(_permission(props, where))
        if kind == "AWS::SQS::QueuePolicy":
            found.extend(_queue_policy(stack, logical_id))
    return found


def _queue_policy(stack: Stack, logical_id: str) -> list[Refusal]:
    """A queue policy is what lets SNS deliver (looplab.sim.services.sqs.policy): a part
    of it the simulator cannot evaluate would decide a loop either way without a word."""
    policy = stack.queue_policies.get(logical_id)
    if policy is None:
        return []
    out = [Refusal(path, what) for path, what in unevaluable(policy.document, policy.path)]
    for other in stack.queue_policies.values():
        shared = set(other.queues) & set(policy.queues)
        if other.logical_id != logical_id and shared and other.logical_id < logical_id:
            out.append(
                Refusal(
                    f"Resources.{logical_id}",
                    f"{other.logical_id} sets the policy of {', '.join(sorted(shared))} too: "
                    "each AWS::SQS::QueuePolicy replaces the queue's whole policy, in an order "
                    "CloudFormation does not promise",
                )
            )
    return out


# -- asynchronous invocation (issue 13) --
_INVOKING_PRINCIPALS = ("sns.amazonaws.com", "s3.amazonaws.com")
"""Principals whose AWS::Lambda::Permission lets a modelled service invoke a function
(SNS subscriptions and S3 notifications, through the async queue)."""


def _permission(props: dict[str, Any], where: str) -> list[Refusal]:
    principal = props.get("Principal")
    if principal in _INVOKING_PRINCIPALS:
        return []
    return [
        Refusal(
            f"{where}.Properties.Principal",
            f"AWS::Lambda::Permission for principal {principal!r}: a permission lets that "
            "service invoke the function, a trigger the simulator does not model (modelled: "
            f"{', '.join(_INVOKING_PRINCIPALS)})",
        )
    ]


# -- end asynchronous invocation --


def check_stack(stack: Stack) -> None:
    """Raise :class:`UnsupportedTemplate` listing every refusal, if there is one."""
    found = refusals(stack)
    if found:
        raise UnsupportedTemplate(found)


def _modelled(stack: Stack, logical_id: str, kind: str, where: str) -> list[Refusal]:
    """What the SQS and Lambda models themselves do not cover."""
    out: list[Refusal] = []
    queue = stack.queues.get(logical_id)
    if queue is not None and queue.fifo:
        out.append(Refusal(where, "FIFO queues are not modelled (standard queues only)"))
    # -- s3 (issue 13) --
    bucket = stack.buckets.get(logical_id)
    if bucket is not None:
        for note in bucket.notifications:
            if note.kind != "lambda":
                out.append(
                    Refusal(
                        note.path,
                        f"S3 {note.kind} notifications are not modelled (the simulator "
                        "delivers S3 events to functions only: LambdaConfigurations)",
                    )
                )
        out.extend(
            Refusal(
                path,
                "S3 notifications other than LambdaConfigurations (EventBridge) are not modelled",
            )
            for path in bucket.other_notifications
        )
    # -- end s3 (issue 13) --
    function = stack.functions.get(logical_id)
    if function is not None and not function.runtime.startswith("python"):
        out.append(
            Refusal(
                where,
                f"runtime {function.runtime or '(none)'} cannot run in the local simulator, "
                "which runs Python handlers",
            )
        )
    # -- sns (issue 13) --
    topic = stack.topics.get(logical_id)
    if topic is not None and topic.fifo:
        out.append(Refusal(where, "FIFO topics are not modelled (standard topics only)"))
    for sub in stack.subscriptions.values():
        if sub.path == where or sub.path.startswith(f"{where}.Properties.Subscription["):
            out.extend(_subscription(sub))
    # -- end sns (issue 13) --
    other = stack.other_mappings.get(logical_id)
    if other is not None:
        service = other.event_source.split(":")[2] if other.event_source.count(":") >= 5 else ""
        source = _SOURCES.get(service, f"the event source {other.event_source!r}")
        out.append(
            Refusal(
                f"{where}.Properties.EventSourceArn",
                f"an event source mapping from {source} ({other.event_source}) is not "
                "modelled (SQS queues of this stack only)",
            )
        )
    mapping = stack.mappings.get(logical_id)
    if mapping is not None:
        if mapping.batching_window:
            out.append(
                Refusal(
                    f"{where}.Properties.MaximumBatchingWindowInSeconds",
                    f"MaximumBatchingWindowInSeconds {mapping.batching_window} is not "
                    "modelled (0 only: a batch is whatever one receive returns)",
                )
            )
        if not 1 <= mapping.batch_size <= 10:
            # Lambda allows up to 10,000 only with a batching window, which is not modelled.
            out.append(
                Refusal(
                    f"{where}.Properties.BatchSize",
                    f"BatchSize {mapping.batch_size} needs a batching window on AWS; the local "
                    "simulator models 1..10",
                )
            )
    return out


# -- sns (issue 13) --
def _subscription(sub: SubscriptionSpec) -> list[Refusal]:
    """What an SNS subscription uses that the SNS model does not cover."""
    out: list[Refusal] = []
    where = sub.path
    if sub.protocol not in ("lambda", "sqs"):
        out.append(
            Refusal(
                where,
                f"SNS protocol {sub.protocol!r} is not modelled (lambda and sqs subscriptions "
                "only): its deliveries would silently never happen",
            )
        )
    if sub.filter_policy:
        out.append(
            Refusal(
                f"{where}.Properties.FilterPolicy",  # inline subscriptions cannot have one
                "subscription filter policies are not modelled: on AWS a message matching no "
                "filter is never delivered; ignoring the filter would deliver it",
            )
        )
    if sub.redrive_target_arn:
        out.append(
            Refusal(
                f"{where}.Properties.RedrivePolicy",
                "a subscription's dead-letter queue (RedrivePolicy) is not modelled",
            )
        )
    return out


# -- end sns (issue 13) --
