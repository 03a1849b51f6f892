"""Lambda functions and their asynchronous invocation settings
(``AWS::Lambda::EventInvokeConfig``), within Lambda's bounds and enums (botocore's model)."""

from __future__ import annotations

from typing import Any

from looplab.stack._identity import Naming
from looplab.stack._reading import Phase, Reader, Reading
from looplab.stack._specs import EventInvokeSpec, FunctionSpec
from looplab.stack._values import api_bounded, api_enum, choice, object_prop, string_map

__all__ = ["EVENT_INVOKE_CONFIG", "FUNCTION"]


def _identity(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    function = naming.name(logical_id, props, "FunctionName", naming.default_name(logical_id))
    return {None: function, "Arn": naming.arn("lambda", f"function:{function}")}


def _read_function(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
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
    reading.functions[logical_id] = FunctionSpec(
        logical_id=logical_id,
        name=reading.identity[logical_id][None],
        arn=reading.identity[logical_id]["Arn"],
        handler=str(props.get("Handler", "")),
        runtime=runtime,
        code_dir=reading.code_dir,
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


def _read_invoke_config(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    """Keyed by the function's logical ID for ``$LATEST`` (what the simulator invokes), by
    ``<function>:<qualifier>`` for a version's or an alias's, so neither replaces the other."""
    function = reading.function_of(str(props.get("FunctionName", "")))
    if function is None:
        return  # a function of another stack: nothing here invokes it
    where = f"Resources.{logical_id}.Properties"
    qualifier = str(props.get("Qualifier", "$LATEST"))
    destinations = object_prop(props, "DestinationConfig", where)
    # Lambda's own bounds (botocore's model: MaximumRetryAttempts 0-2,
    # MaximumEventAgeInSeconds 60-21600): CloudFormation fails the deploy outside them.
    key = function if qualifier == "$LATEST" else f"{function}:{qualifier}"
    reading.invoke_configs[key] = EventInvokeSpec(
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


FUNCTION = Reader(identity=_identity, modelled=True, reads={Phase.NAMED: _read_function})
EVENT_INVOKE_CONFIG = Reader(reads={Phase.INVOKE_CONFIGS: _read_invoke_config})
