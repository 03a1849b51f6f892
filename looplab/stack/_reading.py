"""What a resource reader is given and what it fills: the shape every entry of the
readers' table (``_readers.READERS``) has.

A :class:`Reader` is what the stack reader knows of one resource type: its identity
(``Ref`` and ``Fn::GetAtt``), whether those attributes are complete, and the functions
that read one resource of the type in a :class:`Phase`. A read function gets the
:class:`Reading` (every resource's identity, and what earlier phases have read), the
resource's logical ID and its properties with every intrinsic resolved, and adds its specs
to the Reading. Readers describe; they refuse only what AWS would (``_values``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from looplab.stack._identity import Identity, generated
from looplab.stack._specs import (
    BucketSpec,
    EventInvokeSpec,
    FunctionSpec,
    MappingSpec,
    QueuePolicySpec,
    QueueSpec,
    SourceMappingSpec,
    SubscriptionSpec,
    TopicSpec,
)

__all__ = ["Check", "Phase", "Read", "Reader", "Reading"]


class Phase(IntEnum):
    """The order readers run in, every resource of the template in template order within
    each: a phase reads what the later ones name. The order of the last four is also the
    order in which a template's first error among them is reported."""

    NAMED = 0  # what wiring names: queues, functions, topics
    MAPPINGS = 1  # event source mappings: a queue and a function
    POLICIES = 2  # queue policies: what a queue lets SNS send
    SUBSCRIPTIONS = 3  # SNS subscriptions: a topic, a queue or function, the queue's policy
    NOTIFICATIONS = 4  # buckets and their notifications: a queue, function or topic
    INVOKE_CONFIGS = 5  # functions' asynchronous invocation settings


@dataclass
class Reading:
    """Every resource's identity, and the specs read so far, by kind, keyed as the
    :class:`~looplab.stack.Stack` keys them."""

    identity: dict[str, dict[str | None, Any]]
    code_dir: Path
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    mappings: dict[str, MappingSpec] = field(default_factory=dict)
    other_mappings: dict[str, SourceMappingSpec] = field(default_factory=dict)
    topics: dict[str, TopicSpec] = field(default_factory=dict)
    queue_policies: dict[str, QueuePolicySpec] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionSpec] = field(default_factory=dict)
    buckets: dict[str, BucketSpec] = field(default_factory=dict)
    invoke_configs: dict[str, EventInvokeSpec] = field(default_factory=dict)

    def logical_id_of_arn(self, arn: Any) -> str | None:
        """The resource of this template whose ``Arn`` is ``arn`` (any type)."""
        for logical_id, ident in self.identity.items():
            if ident.get("Arn") == arn:
                return logical_id
        return None

    def queue_of_arn(self, arn: Any) -> str | None:
        return next((q.logical_id for q in self.queues.values() if q.arn == arn), None)

    def topic_of_arn(self, arn: str) -> str | None:
        # Of two topics with one ARN, the last (as the readers always took it).
        return {t.arn: t.logical_id for t in self.topics.values()}.get(arn)

    def function_of(self, ref: str) -> str | None:
        """The function a name or an ARN names (a qualified ARN, ``:$LATEST`` or an
        alias's, still names the function)."""
        return next(
            (
                f.logical_id
                for f in self.functions.values()
                if ref in (f.name, f.arn) or ref.startswith(f"{f.arn}:")
            ),
            None,
        )

    def target(self, ref: str) -> str | None:
        """The queue (by ARN) or the function (by name or ARN) ``ref`` names."""
        queue = self.queue_of_arn(ref)
        return queue if queue is not None else self.function_of(ref)

    def policy_of(self, queue: str) -> dict[str, Any] | None:
        """The access policy ``queue`` ends up with: the last QueuePolicy naming it (two
        that name the same queue are refused by looplab.sim.refusals: CloudFormation
        promises no order)."""
        found = None
        for policy in self.queue_policies.values():
            if queue in policy.queues:
                found = policy.document
        return found


Read = Callable[[Reading, str, dict[str, Any]], None]
"""``(reading, logical ID, resolved properties)``: adds the resource's specs to the reading."""

Check = Callable[[Reading], None]
"""What CloudFormation refuses across the resources a phase read (a redrive cycle, a
mapping's visibility timeout): a TemplateError."""


@dataclass(frozen=True)
class Reader:
    """What the stack reader knows of one resource type (an entry of ``READERS``)."""

    identity: Identity = generated
    modelled: bool = False
    """Its attributes are complete: a ``Fn::GetAtt`` of another is a typo CloudFormation
    would refuse too (others get a stand-in, ``_identity.stand_in``)."""
    reads: Mapping[Phase, Read] = field(default_factory=dict)
    checks: Mapping[Phase, Check] = field(default_factory=dict)
    """Run once after their phase, whether or not the template holds the type."""
