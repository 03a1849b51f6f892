"""Lambda's Invoke and its asynchronous configuration (the lambda loop shape's first event).

``Invoke`` with InvocationType ``Event`` queues the event on Lambda's internal queue
(``looplab.sim.services.lambda_.async_queue``) with the caller's trace header and answers 202;
``RequestResponse`` runs the function while the caller waits (200, the handler's return
value as Payload, ``FunctionError: Unhandled`` for a handler error); ``DryRun`` checks
the call and answers 204. A synchronous invocation that loop detection stops fails with
RecursiveInvocationException (400). Get/Put/DeleteFunctionEventInvokeConfig read and
change what the async queue applies (MaximumRetryAttempts, MaximumEventAgeInSeconds,
destinations).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from botocore.response import StreamingBody
from botocore.utils import parse_timestamp

from looplab.sim.clock import Clock
from looplab.sim.services._errors import Call, ServiceError
from looplab.sim.services.lambda_ import errors
from looplab.sim.services.lambda_.async_queue import AsyncQueue
from looplab.sim.services.lambda_.execution import Function, LambdaService
from looplab.sim.services.lambda_.model import LambdaControl
from looplab.stack import EventInvokeSpec

__all__ = ["InvokeApi", "body"]

Params = dict[str, Any]

INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
ASYNC_PAYLOAD_LIMIT = 1_048_576
"""Event invocations: 1 MB payload (Lambda quotas page, since 2025; it was 256 KB)."""
SYNC_PAYLOAD_LIMIT = 6_291_456
"""RequestResponse: 6 MB request and response (Lambda quotas page)."""


def body(data: bytes) -> StreamingBody:
    """The reply's Payload as botocore hands it to callers: a stream to ``read()``."""
    return StreamingBody(io.BytesIO(data), len(data))


class InvokeApi:
    def __init__(
        self,
        control: LambdaControl,
        lambdas: LambdaService,
        queue: AsyncQueue,
        clock: Clock,
    ) -> None:
        self.control = control
        self.lambdas = lambdas
        self.queue = queue
        self.clock = clock
        self._modified: dict[str, float] = {}
        self.ops: dict[str, Callable[[Params, Call], dict[str, Any]]] = {
            "Invoke": self.invoke,
            "GetFunctionEventInvokeConfig": self.get_config,
            "PutFunctionEventInvokeConfig": self.put_config,
            "DeleteFunctionEventInvokeConfig": self.delete_config,
        }

    # -- Invoke --------------------------------------------------------------------------

    def invoke(self, p: Params, call: Call) -> dict[str, Any]:
        function = self.control.function(p["FunctionName"], p.get("Qualifier"))
        kind = p.get("InvocationType") or "RequestResponse"
        if kind not in INVOCATION_TYPES:
            raise errors.invalid(
                f"1 validation error detected: Value '{kind}' at 'invocationType' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                "[Event, RequestResponse, DryRun]"
            )
        if p.get("LogType") == "Tail":
            raise errors.not_modelled_parameter("Invoke", "LogType Tail")
        payload = _payload(p.get("Payload"), kind)
        if kind == "DryRun":
            return {"StatusCode": 204, "Payload": body(b"")}
        source = "invoke" if call.function is None else self._arn(call.function)
        if kind == "Event":
            self.queue.submit(function.spec.logical_id, payload, call.trace_header, source)
            return {"StatusCode": 202, "Payload": body(b"")}
        outcome, value = self.lambdas.invoke_sync(function, payload, call.trace_header, source)
        return self.sync_reply(function, outcome, value)

    def sync_reply(self, function: Function, outcome: str, value: Any) -> dict[str, Any]:
        if outcome == "dropped":
            raise ServiceError(
                "RecursiveInvocationException",
                "Lambda has detected your function being invoked in a recursive loop with "
                "other AWS resources and stopped your function's invocation.",
                400,
                extra={"Type": "User"},
            )
        if outcome == "throttled":
            raise ServiceError(
                "TooManyRequestsException",
                "Rate Exceeded.",
                429,
                extra={
                    "Type": "User",
                    "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                },
            )
        reply: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": body(json.dumps(value).encode()),
        }
        if outcome == "error":
            reply["FunctionError"] = "Unhandled"
        return reply

    def _arn(self, logical_id: str) -> str:
        return self.control.functions[logical_id].spec.arn

    # -- event invoke configs ------------------------------------------------------------

    def get_config(self, p: Params, call: Call) -> dict[str, Any]:
        function = self.control.function(p["FunctionName"], p.get("Qualifier"))
        spec = self.queue.configs.get(function.spec.logical_id)
        if spec is None:
            raise ServiceError(
                "ResourceNotFoundException",
                f"The function {function.spec.arn} doesn't have an EventInvokeConfig",
                404,
            )
        return self._config_reply(function, spec)

    def put_config(self, p: Params, call: Call) -> dict[str, Any]:
        function = self.control.function(p["FunctionName"], p.get("Qualifier"))
        retries = p.get("MaximumRetryAttempts", 2)
        age = p.get("MaximumEventAgeInSeconds", 21_600)
        if not 0 <= retries <= 2:
            raise errors.invalid(f"MaximumRetryAttempts {retries} must be between 0 and 2.")
        if not 60 <= age <= 21_600:
            raise errors.invalid(f"MaximumEventAgeInSeconds {age} must be between 60 and 21600.")
        destinations = p.get("DestinationConfig") or {}
        spec = EventInvokeSpec(
            logical_id=f"{function.spec.logical_id}EventInvokeConfig",
            function=function.spec.logical_id,
            maximum_retry_attempts=retries,
            maximum_event_age=age,
            on_success=(destinations.get("OnSuccess") or {}).get("Destination") or None,
            on_failure=(destinations.get("OnFailure") or {}).get("Destination") or None,
        )
        self.queue.configs[function.spec.logical_id] = spec
        self._modified[function.spec.logical_id] = self.clock.now
        return self._config_reply(function, spec)

    def delete_config(self, p: Params, call: Call) -> dict[str, Any]:
        function = self.control.function(p["FunctionName"], p.get("Qualifier"))
        self.get_config(p, call)  # ResourceNotFoundException when there is none
        del self.queue.configs[function.spec.logical_id]
        return {}

    def _config_reply(self, function: Function, spec: EventInvokeSpec) -> dict[str, Any]:
        # A config of the template dates from the deploy (the simulation's start).
        modified = self._modified.get(function.spec.logical_id, self.lambdas.params.epoch)
        destinations: dict[str, Any] = {}
        if spec.on_success:
            destinations["OnSuccess"] = {"Destination": spec.on_success}
        if spec.on_failure:
            destinations["OnFailure"] = {"Destination": spec.on_failure}
        return {
            "LastModified": parse_timestamp(modified),
            "FunctionArn": f"{function.spec.arn}:$LATEST",
            "MaximumRetryAttempts": spec.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": spec.maximum_event_age,
            "DestinationConfig": destinations,
        }


def _payload(raw: Any, kind: str) -> dict[str, Any]:
    if raw is None:
        return {}
    data = raw.read() if hasattr(raw, "read") else raw
    if isinstance(data, str):
        data = data.encode()
    limit = ASYNC_PAYLOAD_LIMIT if kind == "Event" else SYNC_PAYLOAD_LIMIT
    if len(data) > limit:
        raise ServiceError(
            "RequestEntityTooLargeException",
            f"{len(data)} byte payload is too large for the {kind} invocation type "
            f"(limit {limit} bytes)",
            413,
        )
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ServiceError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: {exc}",
            400,
        ) from exc
