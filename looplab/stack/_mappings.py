"""Lambda event source mappings: from a queue of this stack (a :class:`MappingSpec`, what
the simulator polls), or from anything else (a :class:`SourceMappingSpec`: a stream, Kafka,
MQ, a queue of another stack), described either way."""

from __future__ import annotations

import uuid
from typing import Any

from looplab.stack._cfn import TemplateError
from looplab.stack._identity import Naming
from looplab.stack._reading import Phase, Reader, Reading
from looplab.stack._specs import MappingSpec, SourceMappingSpec
from looplab.stack._values import api_bounded, api_enum, as_bool, choice_list, object_prop

__all__ = ["EVENT_SOURCE_MAPPING"]


def _identity(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    mapping_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{naming.stack_name}/{logical_id}"))
    return {None: mapping_uuid, "Id": mapping_uuid}


def _read(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    target = str(props.get("FunctionName", ""))
    function = reading.function_of(target)
    arn = props.get("EventSourceArn")
    source = reading.queue_of_arn(arn)
    mapping_uuid = reading.identity[logical_id][None]
    if source is None:
        reading.other_mappings[logical_id] = SourceMappingSpec(
            logical_id=logical_id,
            uuid=mapping_uuid,
            function=function,
            event_source=str(arn) if arn is not None else "SelfManagedEventSource",
        )
        return
    if function is None:
        raise TemplateError(
            f"Resources.{logical_id}: FunctionName {target!r} is not a function of this stack"
        )
    where = f"Resources.{logical_id}.Properties"
    scaling = object_prop(props, "ScalingConfig", where)
    metrics = object_prop(props, "MetricsConfig", where)
    reading.mappings[logical_id] = MappingSpec(
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


def _refuse_short_visibility(reading: Reading) -> None:
    for mapping in reading.mappings.values():
        queue = reading.queues[mapping.source_queue]
        function = reading.functions[mapping.function]
        if queue.visibility_timeout < function.timeout:
            # Lambda's CreateEventSourceMapping refuses this, so a deploy would fail.
            raise TemplateError(
                f"{mapping.logical_id}: queue {queue.logical_id} has VisibilityTimeout "
                f"{queue.visibility_timeout} s, less than {function.logical_id}'s Timeout "
                f"{function.timeout} s; Lambda rejects such a mapping"
            )


EVENT_SOURCE_MAPPING = Reader(
    identity=_identity,
    modelled=True,
    reads={Phase.MAPPINGS: _read},
    checks={Phase.MAPPINGS: _refuse_short_visibility},
)
