"""The one adapter between an environment's captured SDK call and ``Simulator.dispatch``.

An environment sends what botocore had: the caller's parameters (read on
``before-parameter-build``, unserialised: bytes stay bytes), the trace header botocore
put on the request, the protocol and the serialised body. ``dispatch`` takes the
parameters (contract 1, docs/simulator.md), exactly as the in-process bridge hands them
over, so the protocol and the body are not read here: they travel for diagnostics only.
"""

from __future__ import annotations

from typing import Any

from looplab.sim.bridge import Router

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
    status, parsed = router.dispatch(service, operation, params, trace)
    request_id = parsed.pop("_request_id", "00000000-0000-0000-0000-000000000000")
    parsed["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id},
        "RetryAttempts": 0,
    }
    return status, parsed
