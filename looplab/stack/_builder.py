"""Reading a compiled template: each resource's AWS identity, then its properties.

The reader describes any template CloudFormation would accept (DESIGN.md, "the stack
reads, the simulator refuses"): a FIFO queue, a Node.js function, a DynamoDB stream
mapping are read, not refused, so the aws backend can load every stack. What the
simulator cannot model it refuses itself (``looplab.sim.check_stack``), by name and
template path. Only what AWS itself would reject is an error here: what CloudFormation
refuses about the template as a whole (``_checks``: its shape, dangling or circular
dependencies, redrive cycles), a value outside the service's enums and ranges
(``_values``, from botocore's model), a mapping whose queue's visibility timeout is shorter
than the function's timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from looplab._cfn import TemplateError, resolve
from looplab.stack import _events
from looplab.stack._checks import check_dependencies, check_shape, redrive_cycles
from looplab.stack._identity import MODELLED, identity, stand_in
from looplab.stack._specs import (
    DEFAULT_REGION,
    LOCAL_ACCOUNT_ID,
    FunctionSpec,
    MappingSpec,
    QueueSpec,
    SourceMappingSpec,
    Stack,
    TopicSpec,
)
from looplab.stack._values import (
    api_bounded,
    api_enum,
    as_bool,
    bounded,
    choice,
    choice_list,
    json_or_dict,
    object_prop,
    string_map,
)

__all__ = ["build_stack"]


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
    """Gives each resource its AWS identity, then resolves properties against them."""

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
        for logical_id, resource in self.resources.items():
            self.identity[logical_id] = self._identity(logical_id, resource)
        queues: dict[str, QueueSpec] = {}
        functions: dict[str, FunctionSpec] = {}
        mappings: dict[str, MappingSpec] = {}
        others: dict[str, SourceMappingSpec] = {}
        topics: dict[str, TopicSpec] = {}
        for logical_id, resource in self.resources.items():
            kind = resource.get("Type")
            props = self._props(logical_id)
            if kind == "AWS::SQS::Queue":
                queues[logical_id] = self._queue(logical_id, props)
            elif kind == "AWS::Lambda::Function":
                functions[logical_id] = self._function(logical_id, props)
            elif kind == "AWS::SNS::Topic":
                topics[logical_id] = _events.topic(self.identity[logical_id], logical_id, props)
        cycles = redrive_cycles(queues)
        if cycles:
            raise TemplateError("\n".join(f"{path}: {why}" for path, why in cycles))
        for logical_id, resource in self.resources.items():
            if resource.get("Type") == "AWS::Lambda::EventSourceMapping":
                props = self._props(logical_id)
                spec = self._mapping(logical_id, props, queues, functions)
                if isinstance(spec, MappingSpec):
                    mappings[logical_id] = spec
                else:
                    others[logical_id] = spec
        for mapping in mappings.values():
            queue, function = queues[mapping.source_queue], functions[mapping.function]
            if queue.visibility_timeout < function.timeout:
                # Lambda's CreateEventSourceMapping refuses this, so a deploy would fail.
                raise TemplateError(
                    f"{mapping.logical_id}: queue {queue.logical_id} has VisibilityTimeout "
                    f"{queue.visibility_timeout} s, less than {function.logical_id}'s Timeout "
                    f"{function.timeout} s; Lambda rejects such a mapping"
                )
        outputs = {
            key: resolve(out.get("Value"), self._lookup, f"Outputs.{key}")
            for key, out in self.outputs_raw.items()
            if _resolvable(out.get("Value"), self.resources)
        }
        policies = _events.queue_policies(self, queues)
        return Stack(
            name=self.stack_name,
            stage=self.stage,
            region=self.region,
            account_id=self.account_id,
            queues=queues,
            functions=functions,
            mappings=mappings,
            outputs=outputs,
            service=self.service,
            resources={
                logical_id: (str(resource.get("Type", "")), str(self.identity[logical_id][None]))
                for logical_id, resource in self.resources.items()
            },
            other_mappings=others,
            template=self.resources,
            topics=topics,
            subscriptions=_events.subscriptions(self, topics, queues, functions, policies),
            queue_policies=policies,
            buckets=_events.buckets(self, queues, functions, topics),
            invoke_configs=_events.invoke_configs(self, functions),
        )

    def _props(self, logical_id: str) -> dict[str, Any]:
        raw = self.resources[logical_id].get("Properties", {})
        return resolve(raw, self._lookup, f"Resources.{logical_id}.Properties")

    def _identity(self, logical_id: str, resource: dict[str, Any]) -> dict[str | None, Any]:
        return identity(
            logical_id,
            resource,
            region=self.region,
            account_id=self.account_id,
            stack_name=self.stack_name,
            pseudo_only=self._pseudo_only,
        )

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
            if kind in MODELLED:
                # A resource the reader models fully: an unknown attribute is a typo that
                # CloudFormation would reject too.
                raise TemplateError(f"{path}: {kind} {logical_id} has no attribute {attribute}")
            # Any other resource: a stand-in value, so the template is still described
            # (what the simulator cannot run, it refuses by name, not here).
            return stand_in(kind, str(ident[None]), attribute, self.region, self.account_id)
        return ident[attribute]

    def _queue(self, logical_id: str, props: dict[str, Any]) -> QueueSpec:
        ident = self.identity[logical_id]
        where = f"Resources.{logical_id}.Properties"
        redrive = json_or_dict(props.get("RedrivePolicy"), f"{where}.RedrivePolicy")
        target = None
        max_receive = None
        if redrive:
            arn = redrive.get("deadLetterTargetArn")
            if not isinstance(arn, str) or not arn:
                # SQS: "Redrive policy does not contain deadLetterTargetArn".
                raise TemplateError(
                    f"{where}.RedrivePolicy.deadLetterTargetArn: the dead-letter queue's ARN "
                    f"is required, got {arn!r}"
                )
            # A DLQ of another stack is allowed: redrive then leaves the simulated account.
            target = self._logical_id_of_arn(arn)
            max_receive = bounded(redrive, "maxReceiveCount", 10, 1, 1000, f"{where}.RedrivePolicy")
        # SQS's bounds for each attribute (CreateQueue's documented ranges): outside them
        # CloudFormation fails the deploy, so the template is refused here, by its path.
        return QueueSpec(
            logical_id=logical_id,
            name=ident["QueueName"],
            url=ident["QueueUrl"],
            arn=ident["Arn"],
            retention_seconds=bounded(
                props, "MessageRetentionPeriod", 345_600, 60, 1_209_600, where
            ),
            visibility_timeout=bounded(props, "VisibilityTimeout", 30, 0, 43_200, where),
            delay_seconds=bounded(props, "DelaySeconds", 0, 0, 900, where),
            maximum_message_size=bounded(
                props, "MaximumMessageSize", 1_048_576, 1_024, 1_048_576, where
            ),
            receive_wait_seconds=bounded(props, "ReceiveMessageWaitTimeSeconds", 0, 0, 20, where),
            redrive_target=target,
            redrive_target_arn=redrive.get("deadLetterTargetArn") if redrive else None,
            max_receive_count=max_receive,
            redrive_allow_policy=json_or_dict(
                props.get("RedriveAllowPolicy"), f"{where}.RedriveAllowPolicy"
            ),
            fifo=as_bool(props.get("FifoQueue", False), f"{where}.FifoQueue"),
        )

    def _function(self, logical_id: str, props: dict[str, Any]) -> FunctionSpec:
        where = f"Resources.{logical_id}.Properties"
        # Lambda's CreateFunction bounds and enums (botocore's model): outside them the
        # deploy fails, so they are refused here rather than run as something else.
        runtime = ""
        if "Runtime" in props:  # an image function has none (refused by the simulator)
            runtime = choice(props, "Runtime", api_enum("lambda", "Runtime"), "", where)
        environment = object_prop(props, "Environment", where)
        variables = string_map(environment.get("Variables"), f"{where}.Environment.Variables")
        reserved = props.get("ReservedConcurrentExecutions")
        dead_letter = object_prop(props, "DeadLetterConfig", where).get("TargetArn")
        return FunctionSpec(
            logical_id=logical_id,
            name=self.identity[logical_id][None],
            arn=self.identity[logical_id]["Arn"],
            handler=str(props.get("Handler", "")),
            runtime=runtime,
            code_dir=self.code_dir,
            timeout=api_bounded(props, "Timeout", 3, where),
            memory_size=api_bounded(props, "MemorySize", 128, where),
            environment=variables,
            recursive_loop=choice(
                props, "RecursiveLoop", api_enum("lambda", "RecursiveLoop"), "Terminate", where
            ),
            reserved_concurrency=None
            if reserved is None
            else api_bounded(props, "ReservedConcurrentExecutions", 0, where),
            role=str(props.get("Role", "")),
            description=str(props.get("Description", "")),
            dead_letter_arn=str(dead_letter) if dead_letter else None,
        )

    def _mapping(
        self,
        logical_id: str,
        props: dict[str, Any],
        queues: dict[str, QueueSpec],
        functions: dict[str, FunctionSpec],
    ) -> MappingSpec | SourceMappingSpec:
        target = str(props.get("FunctionName", ""))
        function = next(
            (
                f.logical_id
                for f in functions.values()
                if target in (f.name, f.arn) or target.startswith(f"{f.arn}:")
            ),
            None,
        )
        arn = props.get("EventSourceArn")
        source = next(
            (q.logical_id for q in queues.values() if arn is not None and q.arn == arn), None
        )
        mapping_uuid = self.identity[logical_id][None]
        if source is None:
            return SourceMappingSpec(
                logical_id=logical_id,
                uuid=mapping_uuid,
                function=function,
                event_source=str(arn) if arn is not None else "SelfManagedEventSource",
            )
        if function is None:
            raise TemplateError(
                f"Resources.{logical_id}: FunctionName {target!r} is not a function of this stack"
            )
        where = f"Resources.{logical_id}.Properties"
        scaling = object_prop(props, "ScalingConfig", where)
        metrics = object_prop(props, "MetricsConfig", where)
        return MappingSpec(
            logical_id=logical_id,
            uuid=mapping_uuid,
            function=function,
            source_queue=source,
            # CreateEventSourceMapping's bounds and enums (botocore's model).
            batch_size=api_bounded(props, "BatchSize", 10, where),
            enabled=as_bool(props.get("Enabled", True), f"{where}.Enabled"),
            batching_window=api_bounded(props, "MaximumBatchingWindowInSeconds", 0, where),
            maximum_concurrency=(
                api_bounded(scaling, "MaximumConcurrency", 0, f"{where}.ScalingConfig")
                if "MaximumConcurrency" in scaling
                else None
            ),
            report_batch_item_failures="ReportBatchItemFailures"
            in choice_list(
                props, "FunctionResponseTypes", api_enum("lambda", "FunctionResponseType"), where
            ),
            metrics=choice_list(
                metrics,
                "Metrics",
                api_enum("lambda", "EventSourceMappingMetric"),
                f"{where}.MetricsConfig",
            ),
            filter_criteria=props.get("FilterCriteria") or None,
        )

    def props(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every intrinsic resolved (for readers)."""
        return self._props(logical_id)

    def logical_id_of_arn(self, arn: Any) -> str | None:
        return self._logical_id_of_arn(arn)

    def _logical_id_of_arn(self, arn: Any) -> str | None:
        for logical_id, ident in self.identity.items():
            if ident.get("Arn") == arn:
                return logical_id
        return None


_MISSING = object()


def _resolvable(value: Any, resources: dict[str, Any]) -> bool:
    # Outputs that name resources the simulator does not model (the deployment bucket)
    # resolve to plain names; only an Fn::ImportValue would be unresolvable.
    return "Fn::ImportValue" not in json.dumps(value)
