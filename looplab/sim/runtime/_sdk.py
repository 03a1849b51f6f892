"""The one adapter between an environment's captured SDK call and ``Simulator.dispatch``.

An environment sends what botocore had: the caller's parameters (read on
``before-parameter-build``), the trace header, the protocol and the serialised body.
Contract 1 (docs/simulator.md) is ``dispatch(service, operation, params, trace_header)``
with the UNserialised parameters; until the SQS api takes those, SQS's JSON wire body is
what it reads, so this adapter passes the decoded body. When the api takes parameters,
only :func:`route` changes.
"""

from __future__ import annotations

import json
from typing import Any

from looplab.sim.bridge import Router, error_reply

__all__ = ["route"]


def route(
    router: Router,
    service: str,
    operation: str,
    params: dict[str, Any],
    trace: str | None,
    protocol: str,
    body: Any,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, botocore-parsed reply with ResponseMetadata), as botocore's Stubber
    would return it."""
    if service != "sqs":
        status, parsed = router.dispatch(service, operation, {}, trace)
    elif protocol != "json":
        status, parsed = (
            501,
            error_reply(
                "NotImplemented",
                "looplab's simulator reads SQS's JSON protocol (botocore >= 1.31.64); "
                f"this botocore speaks {protocol}",
            ),
        )
    else:
        try:
            api_params = json.loads(body) if body else {}
        except (TypeError, ValueError):
            api_params = None
        if not isinstance(api_params, dict):
            status, parsed = 400, error_reply("SerializationException", "unreadable SQS request")
        else:
            status, parsed = router.dispatch(service, operation, api_params, trace)
    request_id = parsed.pop("_request_id", "00000000-0000-0000-0000-000000000000")
    parsed["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id},
        "RetryAttempts": 0,
    }
    return status, parsed
