"""How SQS joins the simulator: the stack's queues, answered as ``sqs``, the targets of
deliveries to a queue's ARN, its AWS/SQS metrics, and what of a template it refuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from looplab.sim.services._descriptor import Kernel, Part, Refusal, Service
from looplab.sim.services._errors import EXPERIMENTER_ID, caller_ids
from looplab.sim.services.cloudwatch import CloudWatchPart
from looplab.sim.services.sqs.api import SqsApi
from looplab.sim.services.sqs.metrics import count_sqs_event, sample_queues
from looplab.sim.services.sqs.model import Message, Queue, SqsModel
from looplab.sim.services.sqs.policy import unevaluable
from looplab.stack import QueueSpec, Stack, redrive_cycles

__all__ = ["SERVICE", "QueueCounts", "SqsPart"]


class QueueCounts(NamedTuple):
    """A queue's messages by state (``Simulator.queue_counts``)."""

    visible: int
    in_flight: int
    delayed: int


class SqsPart(Part):
    """The stack's queues: ``model`` (``sim.sqs``) and ``queues`` by logical ID
    (``sim.queues``). Other services send to them through these (SNS, Lambda's pollers);
    ``model.on_visible`` is the one hook for whoever polls them (Lambda's mappings)."""

    def __init__(self, kernel: Kernel) -> None:
        stack = kernel.stack
        self.clock = kernel.clock
        self.metrics = kernel.part(CloudWatchPart).metrics
        self.model = SqsModel(kernel.clock, kernel.rng, stack.region, stack.account_id)
        self.queues: dict[str, Queue] = {
            lid: self.model.add_queue(spec) for lid, spec in stack.queues.items()
        }
        self._event_sink = kernel.event_sink
        self.model.on_event = self._on_event
        self.sender_of = caller_ids(stack.functions)
        self.api = SqsApi(self.model, self.sender_of)

    def handles(self) -> Mapping[str, Any]:
        return {"sqs": self.model, "queues": self.queues}

    def _on_event(self, kind: str, queue: Queue, message: Message) -> None:
        count_sqs_event(self.metrics, self.clock.now, kind, queue)
        if self._event_sink is not None:
            self._event_sink(
                kind,
                f"{queue.spec.logical_id} {message.message_id} "
                f"rc={message.receive_count} {message.body}",
            )

    def sample(self, now: float) -> None:
        # Queue depths are sampled once a period, as CloudWatch's SQS metrics are.
        sample_queues(self.metrics, now, self.queues.values())

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None,
    ) -> bool:
        queue = self.model.by_arn.get(arn)
        if queue is None:
            return False
        shaped = {
            k: {"DataType": "String", "StringValue": v} for k, v in (attributes or {}).items()
        }
        self.model.send(
            queue,
            body,
            trace_header=trace_header,
            sender_id=source,
            message_attributes=shaped or None,
        )
        return True

    # -- the experimenter's calls ----------------------------------------------------------

    def send(
        self, queue: str, body: str, count: int = 1, trace_header: str | None = None
    ) -> list[str]:
        target = self.queues[queue]
        return [
            self.model.send(
                target, body, trace_header=trace_header, sender_id=EXPERIMENTER_ID
            ).message_id
            for _ in range(count)
        ]

    def receive(self, queue: str, max_messages: int = 10) -> list[tuple[Message, str]]:
        return [
            (r.message, r.receipt_handle)
            for r in self.model.receive(self.queues[queue], max_messages)
        ]

    def delete(self, queue: str, receipt_handle: str) -> None:
        self.model.delete(self.queues[queue], receipt_handle)

    def purge(self, queue: str) -> None:
        self.model.purge(self.queues[queue])

    def purge_available_at(self, queue: str) -> float:
        return self.model.next_purge_at(self.queues[queue])

    def queue_counts(self, queue: str) -> QueueCounts:
        target = self.queues[queue]
        return QueueCounts(target.visible, target.inflight, target.delayed)


# -- what the simulator refuses ------------------------------------------------------------


def _refuse_stack(stack: Stack) -> Iterable[Refusal]:
    # A Stack built without the reader (its dataclasses, in tests and tools) is checked
    # too: a redrive cycle would move a message around it forever at one instant.
    return [Refusal(path, why) for path, why in redrive_cycles(stack.queues)]


def _refuse(stack: Stack, logical_id: str, kind: str, props: Mapping[str, Any]) -> list[Refusal]:
    out: list[Refusal] = []
    queue = stack.queues.get(logical_id)
    if queue is not None and queue.fifo:
        out.append(
            Refusal(
                f"Resources.{logical_id}", "FIFO queues are not modelled (standard queues only)"
            )
        )
    if kind == "AWS::SQS::QueuePolicy":
        out.extend(_queue_policy(stack, logical_id))
    return out


def _queue_policy(stack: Stack, logical_id: str) -> list[Refusal]:
    """A queue policy is what lets SNS deliver (.policy): a part of it the simulator cannot
    evaluate would decide a loop either way without a word."""
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


def _name(spec: QueueSpec) -> str:
    return f"queue {spec.logical_id}"


SERVICE = Service(
    name="sqs",
    join=SqsPart,
    calls=("send", "receive", "delete", "purge", "purge_available_at", "queue_counts"),
    refuse=_refuse,
    refuse_stack=_refuse_stack,
    names={QueueSpec: _name},
)
