"""How Lambda joins the simulator: the stack's functions (execution environments, loop
detection), its SQS event source mappings (pollers), its internal queue for asynchronous
invocation, answered as ``lambda``; the targets of deliveries to a function's ARN; what of
a template it refuses; and the experimenter's calls on functions and mappings.

Lambda joins after CloudWatch and Logs (it records metrics and writes log groups) and
after SQS (its pollers watch the queues: the one ``on_visible`` hook of SQS's model).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from looplab.sim.services._descriptor import Kernel, Part, Refusal, Service
from looplab.sim.services.cloudwatch import CloudWatchPart
from looplab.sim.services.lambda_.api import LambdaApi
from looplab.sim.services.lambda_.async_queue import AsyncQueue
from looplab.sim.services.lambda_.execution import Function, LambdaService
from looplab.sim.services.lambda_.invoke import InvokeApi
from looplab.sim.services.lambda_.model import LambdaControl
from looplab.sim.services.lambda_.pollers import Poller
from looplab.sim.services.logs import LogsPart
from looplab.sim.services.sqs import Queue, SqsPart
from looplab.stack import FunctionSpec, MappingSpec, Stack

__all__ = ["SERVICE", "LambdaPart"]


class LambdaPart(Part):
    """``lambdas`` (the data plane), ``functions`` and ``pollers`` by logical ID, and
    ``async_invoke`` (the internal queue SNS, S3 and Invoke(Event) reach functions by)."""

    def __init__(self, kernel: Kernel) -> None:
        stack, params = kernel.stack, kernel.params
        self.kernel = kernel
        logs = kernel.part(LogsPart).logs
        sqs = kernel.part(SqsPart)
        # osls compiles a /aws/lambda/<name> log group for every function: they exist
        # from the deploy, before any invocation.
        logs.groups.update(f"/aws/lambda/{spec.name}" for spec in stack.functions.values())
        self.lambdas = LambdaService(
            kernel.clock,
            kernel.rng,
            params,
            kernel.part(CloudWatchPart).metrics,
            logs,
            stack.region,
            kernel.event_sink,
        )
        self.lambdas.router = kernel  # the handlers' SDK calls come back to dispatch()
        self.functions: dict[str, Function] = {
            lid: self.lambdas.add_function(spec) for lid, spec in stack.functions.items()
        }
        self.pollers: dict[str, Poller] = {}
        self._pollers_by_queue: dict[int, list[Poller]] = {}
        for lid, spec in stack.mappings.items():
            poller = Poller(
                spec,
                sqs.queues[spec.source_queue],
                self.functions[spec.function],
                sqs.model,
                self.lambdas,
                params.pollers_per_mapping,
            )
            self.pollers[lid] = poller
            self._pollers_by_queue.setdefault(id(poller.queue), []).append(poller)
        self.async_invoke = AsyncQueue(
            kernel.clock, self.lambdas, self.functions, params, kernel.deliver, kernel.event_sink
        )
        # Only $LATEST runs here (no versions are published): a config of an alias or a
        # version applies to invocations the simulator never makes.
        self.async_invoke.configs.update(
            (lid, spec) for lid, spec in stack.invoke_configs.items() if spec.qualifier == "$LATEST"
        )
        sqs.model.on_visible = self._on_visible
        control = LambdaControl(
            self.lambdas.functions,
            self.pollers,
            stack.region,
            stack.account_id,
            self.set_recursion,
            self.set_reserved_concurrency,
        )
        invocations = InvokeApi(control, self.lambdas, self.async_invoke, kernel.clock)
        self.api = LambdaApi(control, kernel.clock.now, invocations)

    def handles(self) -> Mapping[str, Any]:
        return {
            "lambdas": self.lambdas,
            "functions": self.functions,
            "pollers": self.pollers,
            "async_invoke": self.async_invoke,
        }

    def _on_visible(self, queue: Queue) -> None:
        for poller in self._pollers_by_queue.get(id(queue), ()):
            poller.wake()

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None,
    ) -> bool:
        for logical_id, function in self.functions.items():
            if arn == function.spec.arn or arn.startswith(f"{function.spec.arn}:"):
                self.async_invoke.submit(logical_id, json.loads(body), trace_header, source)
                return True
        return False

    def caller(self) -> str | None:
        current = self.lambdas.current  # the function whose code is running now
        return None if current is None else current.spec.logical_id

    def close(self) -> None:
        self.lambdas.close()  # every environment's process ends here

    # -- the experimenter's calls ----------------------------------------------------------

    def set_mapping(self, mapping: str, enabled: bool) -> None:
        self.pollers[mapping].set_enabled(enabled)
        self.kernel.event("mapping", f"{mapping} enabled={int(enabled)}")

    def set_recursion(self, function: str, mode: str) -> None:
        if mode not in ("Allow", "Terminate"):
            raise ValueError(f"RecursiveLoop must be Allow or Terminate, not {mode!r}")
        self.functions[function].recursive_loop = mode
        self.kernel.event("recursion", f"{function} {mode}")

    def set_reserved_concurrency(self, function: str, value: int | None) -> None:
        target = self.functions[function]
        target.reserved_concurrency = value
        for wake in target.on_free:
            wake()

    def invoke(
        self, function: str, payload: dict[str, Any], invocation_type: str = "Event"
    ) -> dict[str, Any]:
        target = self.functions[function]
        if invocation_type == "Event":
            self.async_invoke.submit(function, payload, None, "invoke")
            return {"StatusCode": 202}
        if invocation_type != "RequestResponse":
            raise ValueError(
                f"invocation_type must be Event or RequestResponse, not {invocation_type!r}"
            )
        with self.kernel.running():
            outcome, value = self.lambdas.invoke_sync(target, payload, None, "invoke")
        reply: dict[str, Any] = {"StatusCode": 200, "Payload": value}
        if outcome == "error":
            reply["FunctionError"] = "Unhandled"
        elif outcome != "success":
            raise RuntimeError(f"{function} was not invoked: {outcome}")
        return reply


# -- what the simulator refuses ------------------------------------------------------------

# EventSourceMapping properties refused by their presence -> why.
_MAPPING_PROPERTIES: dict[str, str] = {
    "FilterCriteria": "on AWS, messages that match no filter are deleted unseen; ignoring "
    "the filter would run the function on them",
    "DestinationConfig": "an on-failure destination receives failed batches: not modelled",
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


def _refuse(stack: Stack, logical_id: str, kind: str, props: Mapping[str, Any]) -> list[Refusal]:
    """What the Lambda model does not cover: runtimes other than Python, mappings from
    other sources, mapping features (filters, destinations, batching windows)."""
    where = f"Resources.{logical_id}"
    out: list[Refusal] = []
    if kind == "AWS::Lambda::EventSourceMapping":
        for name in props:
            why = _MAPPING_PROPERTIES.get(name)
            if why is not None and props[name]:
                out.append(Refusal(f"{where}.Properties.{name}", why))
    function = stack.functions.get(logical_id)
    if function is not None and not function.runtime.startswith("python"):
        out.append(
            Refusal(
                where,
                f"runtime {function.runtime or '(none)'} cannot run in the local simulator, "
                "which runs Python handlers",
            )
        )
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


def _mapping_name(spec: MappingSpec) -> str:
    return f"mapping {spec.logical_id} ({spec.source_queue} -> {spec.function})"


def _function_name(spec: FunctionSpec) -> str:
    return f"function {spec.logical_id}"


SERVICE = Service(
    name="lambda",
    join=LambdaPart,
    calls=("set_mapping", "set_recursion", "set_reserved_concurrency", "invoke"),
    params=(
        "recursion_threshold",
        "lineage_per_function",
        "init_duration",
        "call_offset",
        "tail_duration",
        "environment_idle_lifetime",
        "handler_time_scale",
        "handler_time_quantum",
        "handler_wall_limit",
        # its SQS event source mappings (pollers.py)
        "poll_latency",
        "pollers_per_mapping",
        "throttle_retry_interval",
        "mapping_transition",
        "mapping_disable_grace",
        "mapping_stopped_event_counts",
        "mapping_max_concurrency",
        "mapping_scale_up_per_minute",
        "mapping_scale_interval",
        "mapping_scale_down_idle",
        "mapping_scale_hold_outcomes",
        "batch_trace_rule",
        # its internal queue for asynchronous invocation (async_queue.py)
        "async_queue_delay",
        "async_retry_waits",
        "async_throttle_max_wait",
        "async_stopped_condition",
    ),
    refuse=_refuse,
    names={MappingSpec: _mapping_name, FunctionSpec: _function_name},
)
