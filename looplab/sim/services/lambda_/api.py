"""Lambda's control-plane API (rest-json): the caller's parameters in, the parsed reply out.

Modelled: Get/Update/ListEventSourceMappings, Get/PutFunctionRecursionConfig,
Put/Get/DeleteFunctionConcurrency, GetFunction, GetFunctionConfiguration; Invoke and
Get/Put/DeleteFunctionEventInvokeConfig through ``invoke.InvokeApi``. Anything else fails
with NotImplemented naming the operation.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from botocore.utils import parse_timestamp

from looplab._files import CODE, sha256_file
from looplab.sim.services._errors import Call
from looplab.sim.services._render import not_modelled
from looplab.sim.services.lambda_ import errors
from looplab.sim.services.lambda_.execution import Function
from looplab.sim.services.lambda_.invoke import InvokeApi
from looplab.sim.services.lambda_.model import LambdaControl
from looplab.sim.services.lambda_.pollers import Poller

__all__ = ["LambdaApi"]

Params = dict[str, Any]

# UpdateEventSourceMapping parameters the simulator applies; the others are refused by name
# rather than ignored (a caller relying on one must not see a silent success).
_UPDATABLE = frozenset(
    {"UUID", "FunctionName", "Enabled", "BatchSize", "ScalingConfig",
     "MaximumBatchingWindowInSeconds"}
)  # fmt: skip


class LambdaApi:
    def __init__(
        self, control: LambdaControl, created: float, invocations: InvokeApi | None = None
    ) -> None:
        self.control = control
        self.invocations = invocations  # Invoke and event invoke configs (invoke.py)
        self.created = created  # the stack's deploy time: every LastModified before changes
        self._code: dict[str, tuple[int, str]] = {}
        self._ops: dict[str, Callable[[Params], dict[str, Any]]] = {
            "GetEventSourceMapping": self.get_event_source_mapping,
            "UpdateEventSourceMapping": self.update_event_source_mapping,
            "ListEventSourceMappings": self.list_event_source_mappings,
            "GetFunctionRecursionConfig": self.get_function_recursion_config,
            "PutFunctionRecursionConfig": self.put_function_recursion_config,
            "PutFunctionConcurrency": self.put_function_concurrency,
            "GetFunctionConcurrency": self.get_function_concurrency,
            "DeleteFunctionConcurrency": self.delete_function_concurrency,
            "GetFunction": self.get_function,
            "GetFunctionConfiguration": self.get_function_configuration,
        }

    def handle(self, operation: str, params: Params, call: Call) -> dict[str, Any]:
        if self.invocations is not None and operation in self.invocations.ops:
            return self.invocations.ops[operation](params, call)
        op = self._ops.get(operation)
        if op is None:
            extra = sorted(self.invocations.ops) if self.invocations is not None else []
            raise not_modelled("lambda", operation, sorted([*self._ops, *extra]))
        return op(params)

    # -- event source mappings -----------------------------------------------------------

    def get_event_source_mapping(self, p: Params) -> dict[str, Any]:
        return self._mapping_reply(self.control.mapping(p["UUID"]))

    def update_event_source_mapping(self, p: Params) -> dict[str, Any]:
        poller = self.control.mapping(p["UUID"])
        unmodelled = sorted(set(p) - _UPDATABLE)
        if unmodelled:
            raise errors.not_modelled_parameter("UpdateEventSourceMapping", unmodelled[0])
        if "FunctionName" in p and self.control.function(p["FunctionName"]) is not poller.function:
            raise errors.not_modelled_parameter("UpdateEventSourceMapping", "a new FunctionName")
        if p.get("MaximumBatchingWindowInSeconds"):
            raise errors.not_modelled_parameter(
                "UpdateEventSourceMapping", "MaximumBatchingWindowInSeconds > 0"
            )
        scaling = p.get("ScalingConfig")
        self.control.update_mapping(
            poller,
            enabled=p.get("Enabled"),
            batch_size=p.get("BatchSize"),
            maximum_concurrency=(
                None if scaling is None else int(scaling.get("MaximumConcurrency") or 0)
            ),
        )
        return self._mapping_reply(poller)

    def list_event_source_mappings(self, p: Params) -> dict[str, Any]:
        found = self.control.mappings(p.get("FunctionName"), p.get("EventSourceArn"))
        start = _marker(p.get("Marker"))
        size = int(p.get("MaxItems") or 100)
        if not 1 <= size <= 10_000:
            raise errors.invalid(f"MaxItems {size} must be between 1 and 10000.")
        page = found[start : start + size]
        reply: dict[str, Any] = {"EventSourceMappings": [self._mapping_reply(m) for m in page]}
        if start + size < len(found):
            reply["NextMarker"] = _encode_marker(start + size)
        return reply

    def _mapping_reply(self, poller: Poller) -> dict[str, Any]:
        spec = poller.spec
        control = self.control
        reply: dict[str, Any] = {
            "UUID": spec.uuid,
            "BatchSize": poller.batch_size,
            "MaximumBatchingWindowInSeconds": spec.batching_window,
            "EventSourceArn": poller.queue.spec.arn,
            "FunctionArn": poller.function.spec.arn,
            "LastModified": parse_timestamp(poller.last_modified),
            "State": poller.state,
            "StateTransitionReason": "USER_INITIATED",
            "EventSourceMappingArn": (
                f"arn:aws:lambda:{control.region}:{control.account}:event-source-mapping:"
                f"{spec.uuid}"
            ),
        }
        if spec.report_batch_item_failures:
            reply["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if poller.maximum_concurrency:
            reply["ScalingConfig"] = {"MaximumConcurrency": poller.maximum_concurrency}
        if spec.metrics:
            reply["MetricsConfig"] = {"Metrics": list(spec.metrics)}
        return reply

    # -- recursion and concurrency -------------------------------------------------------

    def get_function_recursion_config(self, p: Params) -> dict[str, Any]:
        return {"RecursiveLoop": self._function(p).recursive_loop}

    def put_function_recursion_config(self, p: Params) -> dict[str, Any]:
        function = self._function(p)
        self.control.set_recursion(function, p["RecursiveLoop"])
        return {"RecursiveLoop": function.recursive_loop}

    def put_function_concurrency(self, p: Params) -> dict[str, Any]:
        function = self._function(p)
        value = int(p["ReservedConcurrentExecutions"])
        self.control.set_concurrency(function, value)
        return {"ReservedConcurrentExecutions": value}

    def get_function_concurrency(self, p: Params) -> dict[str, Any]:
        value = self._function(p).reserved_concurrency
        return {} if value is None else {"ReservedConcurrentExecutions": value}

    def delete_function_concurrency(self, p: Params) -> dict[str, Any]:
        self.control.set_concurrency(self._function(p), None)
        return {}

    # -- configuration -------------------------------------------------------------------

    def get_function(self, p: Params) -> dict[str, Any]:
        function = self._function(p)
        reply: dict[str, Any] = {
            "Configuration": self._configuration(function),
            "Code": {
                "RepositoryType": "S3",
                "Location": (
                    f"https://awslambda-{self.control.region}-tasks.s3.{self.control.region}"
                    f".amazonaws.com/snapshots/{self.control.account}/{function.spec.name}"
                ),
            },
        }
        if function.reserved_concurrency is not None:
            reply["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
        return reply

    def get_function_configuration(self, p: Params) -> dict[str, Any]:
        return self._configuration(self._function(p))

    def _configuration(self, function: Function) -> dict[str, Any]:
        spec = function.spec
        size, sha = self._code_digest(function)
        config: dict[str, Any] = {
            "FunctionName": spec.name,
            "FunctionArn": spec.arn,
            "Runtime": spec.runtime,
            "Role": spec.role,
            "Handler": spec.handler,
            "CodeSize": size,
            "Description": spec.description,
            "Timeout": spec.timeout,
            "MemorySize": spec.memory_size,
            "LastModified": _lambda_time(self.created),
            "CodeSha256": sha,
            "Version": "$LATEST",
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{spec.arn}/{sha}")),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": function.log_group},
        }
        if spec.environment:
            config["Environment"] = {"Variables": dict(spec.environment)}
        return config

    def _code_digest(self, function: Function) -> tuple[int, str]:
        """CodeSize and CodeSha256, taken over the handler's module (the simulator runs an
        extracted package, not the zip AWS hashes: the figures are stable, not AWS's)."""
        spec = function.spec
        if spec.logical_id not in self._code:
            path = spec.code_dir / f"{spec.handler.rpartition('.')[0]}.py"
            try:  # hashed in chunks, bounded (looplab._files): never read whole
                size, sha = path.stat().st_size, sha256_file(path, CODE)
            except OSError:  # no such module (or not a regular file): hashed as empty
                size, sha = 0, hashlib.sha256(b"").hexdigest()
            digest = base64.b64encode(bytes.fromhex(sha)).decode()
            self._code[spec.logical_id] = (size, digest)
        return self._code[spec.logical_id]

    def _function(self, p: Params) -> Function:
        return self.control.function(p["FunctionName"], p.get("Qualifier"))


def _lambda_time(t: float) -> str:
    """Lambda's LastModified string form: ``2023-07-21T00:00:00.000+0000``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}+0000"


def _encode_marker(index: int) -> str:
    return base64.urlsafe_b64encode(f"looplab:{index}".encode()).decode()


def _marker(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        prefix, _, index = base64.urlsafe_b64decode(marker.encode()).decode().partition(":")
        if prefix == "looplab" and index.isdigit():
            return int(index)
    except ValueError:
        pass
    raise errors.invalid(f"Invalid Marker: {marker}")
