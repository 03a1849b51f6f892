"""How SNS joins the simulator: the stack's topics and subscriptions, answered as ``sns``;
the targets of deliveries to a topic's ARN; what of a template it refuses.

SNS joins after SQS and Lambda: a Lambda subscription is an asynchronous invoke (Lambda's
internal queue), an SQS one a send to the stack's queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.sim.services._descriptor import Kernel, Part, Refusal, Service
from looplab.sim.services.cloudwatch import CloudWatchPart
from looplab.sim.services.lambda_ import LambdaPart
from looplab.sim.services.sns.api import SnsApi
from looplab.sim.services.sns.model import SnsModel
from looplab.sim.services.sqs import SqsPart
from looplab.stack import Stack, SubscriptionSpec, TopicSpec

__all__ = ["SERVICE", "SnsPart"]


class SnsPart(Part):
    """The stack's topics: ``model`` (``sim.sns``)."""

    def __init__(self, kernel: Kernel) -> None:
        stack = kernel.stack
        sqs = kernel.part(SqsPart)
        queues, send = sqs.queues, sqs.model.send
        self.model = SnsModel(
            kernel.clock,
            kernel.rng,
            kernel.part(CloudWatchPart).metrics,
            kernel.params.sns_delivery_delay,
            stack.region,
            stack.account_id,
            invoke=kernel.part(LambdaPart).async_invoke.submit,
            enqueue=lambda queue, body, attributes, trace, sender: send(
                queues[queue],
                body,
                trace_header=trace,
                message_attributes=attributes,
                sender_id=sender,
            ),
        )
        self.model.add_stack(stack.topics.values(), stack.subscriptions.values())
        if kernel.event_sink is not None:
            self.model.on_event = kernel.event_sink
        self.api = SnsApi(self.model)

    def handles(self) -> Mapping[str, Any]:
        return {"sns": self.model}

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None,
    ) -> bool:
        topic = self.model.topics.get(arn)
        if topic is None:
            return False
        self.model.publish(topic, body, trace_header=trace_header)
        return True

    # -- the experimenter's calls ----------------------------------------------------------

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        shaped = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in (attributes or {}).items()
        }
        return self.model.publish(self.model.named(topic), message, attributes=shaped)


# -- what the simulator refuses ------------------------------------------------------------


def _refuse(stack: Stack, logical_id: str, kind: str, props: Mapping[str, Any]) -> list[Refusal]:
    """FIFO topics, and what a subscription (its own resource, or inline in its topic)
    uses that the SNS model does not cover."""
    where = f"Resources.{logical_id}"
    out: list[Refusal] = []
    topic = stack.topics.get(logical_id)
    if topic is not None and topic.fifo:
        out.append(Refusal(where, "FIFO topics are not modelled (standard topics only)"))
    for sub in stack.subscriptions.values():
        if sub.path == where or sub.path.startswith(f"{where}.Properties.Subscription["):
            out.extend(_subscription(sub))
    return out


def _subscription(sub: SubscriptionSpec) -> list[Refusal]:
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


def _name(spec: TopicSpec) -> str:
    return f"topic {spec.logical_id}"


SERVICE = Service(
    name="sns",
    join=SnsPart,
    calls=("publish",),
    params=("sns_delivery_delay",),
    refuse=_refuse,
    principal="sns.amazonaws.com",
    names={TopicSpec: _name},
)
