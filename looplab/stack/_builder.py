"""Reading a compiled template into a :class:`Stack`: each resource's AWS identity, then
its properties, by the readers of ``_readers.READERS`` in their phases.

The reader describes any template CloudFormation would accept (DESIGN.md, "the stack
reads, the simulator refuses"): a FIFO queue, a Node.js function, a DynamoDB stream
mapping are read, not refused, so the aws backend can load every stack. What the
simulator cannot model it refuses itself (``looplab.sim.check_stack``), by name and
template path. Only what AWS itself would reject is an error here: what CloudFormation
refuses about the template as a whole (``_checks``: its shape, dangling or circular
dependencies, redrive cycles), a value outside the service's enums and ranges
(``_values``, from botocore's model), a mapping whose queue's visibility timeout is shorter
than the function's timeout.

:class:`Stack` lives here, beside what builds it, so ``Stack.from_template`` needs no
import back up (the package's modules form layers: pyproject.toml's contract).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from looplab.stack._cfn import TemplateError, resolve
from looplab.stack._checks import check_dependencies, check_shape
from looplab.stack._identity import Naming, stand_in
from looplab.stack._readers import READERS, reader_of
from looplab.stack._reading import Phase, Reading
from looplab.stack._specs import (
    DEFAULT_REGION,
    LOCAL_ACCOUNT_ID,
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

__all__ = ["Stack", "build_stack"]


@dataclass
class Stack:
    """What a compiled template holds, each kind keyed by logical ID: queues, functions, SQS
    mappings, and the rest of the wiring (topics, subscriptions, buckets, ...)."""

    name: str
    stage: str
    region: str
    account_id: str
    queues: dict[str, QueueSpec]
    functions: dict[str, FunctionSpec]
    mappings: dict[str, MappingSpec]
    outputs: dict[str, Any] = field(default_factory=dict)
    service: str = "looplab"
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Every resource of the template: logical ID -> (type, physical ID as CloudFormation
    would report it: a queue's URL, a function's name, a mapping's UUID, a role's name)."""
    other_mappings: dict[str, SourceMappingSpec] = field(default_factory=dict)
    """Event source mappings from anything but a queue of this stack, keyed by logical ID."""
    template: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    """The template's ``Resources`` as compiled (unresolved): what the simulator reads to
    refuse, by property path, what it does not model."""
    topics: dict[str, TopicSpec] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionSpec] = field(default_factory=dict)
    """SNS subscriptions, resources and topics' inline ones, keyed by their logical_id."""
    buckets: dict[str, BucketSpec] = field(default_factory=dict)
    invoke_configs: dict[str, EventInvokeSpec] = field(default_factory=dict)
    """Asynchronous invocation settings, keyed by the FUNCTION's logical ID."""
    queue_policies: dict[str, QueuePolicySpec] = field(default_factory=dict)

    def mapping_for(self, function: str, source_queue: str) -> MappingSpec:
        for mapping in self.mappings.values():
            if mapping.function == function and mapping.source_queue == source_queue:
                return mapping
        raise KeyError(f"no event source mapping from {source_queue} to {function}")

    @classmethod
    def from_template(
        cls,
        template: dict[str, Any],
        *,
        code_dir: Path,
        stage: str = "dev",
        region: str = DEFAULT_REGION,
        account_id: str = LOCAL_ACCOUNT_ID,
        name: str | None = None,
        service: str = "looplab",
    ) -> Stack:
        return build_stack(
            template,
            code_dir=code_dir,
            stage=stage,
            region=region,
            account_id=account_id,
            name=name,
            service=service,
        )


def build_stack(
    template: dict[str, Any],
    *,
    code_dir: Path,
    stage: str = "dev",
    region: str = DEFAULT_REGION,
    account_id: str = LOCAL_ACCOUNT_ID,
    name: str | None = None,
    service: str = "looplab",
) -> Stack:
    """Read a compiled template (``Resources`` and ``Outputs``) into a :class:`Stack`.

    What CloudFormation would refuse is a :class:`TemplateError` (``_checks``, and each
    property's own bounds and choices), by template path."""
    check_shape(template)
    check_dependencies(template)
    return _Builder(template, code_dir, stage, region, account_id, name, service).build()


class _Builder:
    """Gives each resource its AWS identity, then runs the readers, phase by phase."""

    def __init__(
        self,
        template: dict[str, Any],
        code_dir: Path,
        stage: str,
        region: str,
        account_id: str,
        name: str | None,
        service: str = "looplab",
    ) -> None:
        self.service = service
        self.resources: dict[str, dict[str, Any]] = template.get("Resources", {})
        self.outputs_raw: dict[str, Any] = template.get("Outputs", {})
        self.code_dir = code_dir
        self.stage = stage
        self.region = region
        self.account_id = account_id
        self.stack_name = name or f"looplab-{stage}"
        self.identity: dict[str, dict[str | None, Any]] = {}

    def build(self) -> Stack:
        naming = Naming(self.region, self.account_id, self.stack_name, self._pseudo_only)
        for logical_id, resource in self.resources.items():
            ident = reader_of(str(resource.get("Type", ""))).identity
            self.identity[logical_id] = ident(naming, logical_id, resource.get("Properties", {}))
        reading = Reading(identity=self.identity, code_dir=self.code_dir)
        props: dict[str, Any] = {}
        outputs: dict[str, Any] = {}
        for phase in Phase:
            for logical_id, resource in self.resources.items():
                if phase is Phase.NAMED:
                    # Every resource's properties, whatever its type: one that cannot
                    # resolve is refused even when no reader reads it.
                    props[logical_id] = self._props(logical_id)
                read = reader_of(str(resource.get("Type", ""))).reads.get(phase)
                if read is not None:
                    read(reading, logical_id, props[logical_id])
            for reader in READERS.values():
                check = reader.checks.get(phase)
                if check is not None:
                    check(reading)
            if phase is Phase.MAPPINGS:
                # Outputs name only identities, so any point would do; here, as before the
                # table, so a template with two errors still reports the same one first.
                outputs = self._outputs()
        return Stack(
            name=self.stack_name,
            stage=self.stage,
            region=self.region,
            account_id=self.account_id,
            queues=reading.queues,
            functions=reading.functions,
            mappings=reading.mappings,
            outputs=outputs,
            service=self.service,
            resources={
                logical_id: (str(resource.get("Type", "")), str(self.identity[logical_id][None]))
                for logical_id, resource in self.resources.items()
            },
            other_mappings=reading.other_mappings,
            template=self.resources,
            topics=reading.topics,
            subscriptions=reading.subscriptions,
            queue_policies=reading.queue_policies,
            buckets=reading.buckets,
            invoke_configs=reading.invoke_configs,
        )

    def _outputs(self) -> dict[str, Any]:
        return {
            key: resolve(out.get("Value"), self._lookup, f"Outputs.{key}")
            for key, out in self.outputs_raw.items()
            if _resolvable(out.get("Value"), self.resources)
        }

    def _props(self, logical_id: str) -> dict[str, Any]:
        raw = self.resources[logical_id].get("Properties", {})
        return resolve(raw, self._lookup, f"Resources.{logical_id}.Properties")

    def _pseudo(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
        }
        return pseudo.get(name, _MISSING)

    def _pseudo_only(self, logical_id: str, attribute: str | None, path: str) -> Any:
        value = self._pseudo(logical_id) if attribute is None else _MISSING
        if value is _MISSING:
            raise TemplateError(f"{path}: a resource name may only use pseudo parameters")
        return value

    def _lookup(self, logical_id: str, attribute: str | None, path: str) -> Any:
        if attribute is None:
            value = self._pseudo(logical_id)
            if value is not _MISSING:
                return value
        if logical_id not in self.identity:
            raise TemplateError(f"{path}: {logical_id!r} is not a resource of this template")
        ident = self.identity[logical_id]
        if attribute not in ident:
            kind = str(self.resources[logical_id].get("Type", ""))
            if reader_of(kind).modelled:
                # A resource the reader models fully: an unknown attribute is a typo that
                # CloudFormation would reject too.
                raise TemplateError(f"{path}: {kind} {logical_id} has no attribute {attribute}")
            # Any other resource: a stand-in value, so the template is still described
            # (what the simulator cannot run, it refuses by name, not here).
            return stand_in(kind, str(ident[None]), attribute, self.region, self.account_id)
        return ident[attribute]


_MISSING = object()


def _resolvable(value: Any, resources: dict[str, Any]) -> bool:
    # Outputs that name resources the simulator does not model (the deployment bucket)
    # resolve to plain names; only an Fn::ImportValue would be unresolvable.
    return "Fn::ImportValue" not in json.dumps(value)
