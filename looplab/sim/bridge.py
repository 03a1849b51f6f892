"""The boto3 bridge: a handler's real boto3 calls reach the simulator through botocore itself.

A ``before-call`` handler that returns ``(http_response, parsed)`` makes botocore skip the
HTTP request; botocore's Stubber works the same way. The bridge is registered LAST on the
generic ``before-call`` event, so botocore's own ``add_recursion_detection_header`` (also a
``before-call`` handler) has already copied ``_X_AMZN_TRACE_ID`` into the request's
``X-Amzn-Trace-Id`` header: the simulator sees exactly the header AWS would. (A handler on
the more specific ``before-call.sqs`` would run before it and see no header.)

It reaches every client a handler creates, at import or per call, because it is one of
botocore's BUILTIN_HANDLERS, which every new botocore session registers (moto installs
itself the same way). With no simulator running it returns None and botocore carries on.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore import handlers
from botocore.awsrequest import AWSResponse


class Router(Protocol):
    def dispatch(
        self, service: str, operation: str, params: dict[str, Any], trace_header: str | None
    ) -> tuple[int, dict[str, Any]]: ...


_running: list[Router] = []


def _before_call(model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
    if not _running:
        return None
    return call(_running[-1], model, params)


def call(router: Router, model: Any, params: dict[str, Any]) -> tuple[AWSResponse, dict]:
    service = model.service_model.service_name
    operation = model.name
    headers = params.get("headers") or {}
    trace = headers.get("X-Amzn-Trace-Id")
    if isinstance(trace, bytes):
        trace = trace.decode()
    if service != "sqs":
        # Refused before its body is read: other services' bodies are XML, form data or
        # streams, and the answer is the same whatever they contain.
        status, parsed = router.dispatch(service, operation, {}, trace)
    elif model.service_model.protocol != "json":
        status, parsed = (
            501,
            _error(
                "NotImplemented",
                "looplab's simulator reads SQS's JSON protocol (botocore >= 1.31.64); "
                f"this botocore speaks {model.service_model.protocol}",
            ),
        )
    else:
        body = params.get("body")
        try:
            api_params = json.loads(body) if body else {}
        except (TypeError, ValueError):
            api_params = None
        if not isinstance(api_params, dict):
            status, parsed = 400, _error("SerializationException", "unreadable SQS request")
        else:
            status, parsed = router.dispatch(service, operation, api_params, trace)
    request_id = parsed.pop("_request_id", "00000000-0000-0000-0000-000000000000")
    parsed["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id},
        "RetryAttempts": 0,
    }
    return _response(status), parsed


_RESPONSES: dict[int, AWSResponse] = {}


def _response(status: int) -> AWSResponse:
    # botocore only reads the HTTP response after a short-circuited call (its status code,
    # for errors), so one per status serves every call; the request ID is in ``parsed``.
    response = _RESPONSES.get(status)
    if response is None:
        response = _RESPONSES[status] = AWSResponse(None, status, {}, None)
    return response


def _error(code: str, message: str, query_code: str | None = None) -> dict[str, Any]:
    error = {"Code": code, "Message": message, "Type": "Sender"}
    if query_code:
        error["QueryErrorCode"] = query_code
    return {"Error": error}


error_reply = _error
"""A parsed error as botocore's query-compatible JSON parser produces it."""


_SPEC = ("before-call", _before_call, handlers.REGISTER_LAST)


def ensure_installed() -> None:
    """Make every botocore session created from now on carry the bridge (idempotent)."""
    if _SPEC not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(_SPEC)


class running:
    """Context manager: route bridged calls to ``router`` while the simulation runs."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def __enter__(self) -> None:
        _running.append(self.router)

    def __exit__(self, *exc: object) -> None:
        _running.remove(self.router)
