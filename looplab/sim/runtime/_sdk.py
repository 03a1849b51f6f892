"""The one adapter between an environment's captured SDK call and ``Simulator.dispatch``.

An environment sends what botocore had: the caller's parameters (read on
``before-parameter-build``, unserialised: bytes stay bytes) and the trace header botocore
put on the request. ``dispatch`` takes exactly what the in-process bridge hands it
(contract 1, docs/simulator.md), so a handler's call is answered the same way in either.
"""

from __future__ import annotations

from typing import Any

from looplab.sim.bridge import Router, with_metadata
from looplab.sim.services import ServiceError, error_reply

__all__ = ["refuse", "refuse_values", "route"]

_NO_REQUEST = "00000000-0000-0000-0000-000000000000"


def route(
    router: Router, service: str, operation: str, params: dict[str, Any], trace: str | None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, botocore-parsed reply with ResponseMetadata), as botocore's Stubber
    would return it."""
    try:
        status, parsed = router.dispatch(service, operation, params, trace)
    except Exception as exc:
        # A handler can write a call to its socket that botocore never validated (its
        # channels are its own process's descriptors): answered as AWS answers what it
        # cannot serve, never raised into looplab's run.
        return refuse(
            service,
            operation,
            ServiceError(
                "InternalFailure",
                f"looplab could not answer {service}:{operation}: {type(exc).__name__}: {exc}",
                500,
            ),
        )
    return status, with_metadata(status, parsed)


def refuse(service: str, operation: str, failure: ServiceError) -> tuple[int, dict[str, Any]]:
    """``failure`` as ``route`` returns a reply, without dispatching anything."""
    try:
        parsed = error_reply(service, operation, failure, _NO_REQUEST)
    except Exception:  # not even a known service: botocore's generic error shape
        parsed = {"Error": {"Code": failure.code, "Message": failure.message}}
    return failure.status, with_metadata(failure.status, parsed)


def refuse_values(service: str, operation: str, problem: str) -> tuple[int, dict[str, Any]]:
    """The answer to a call whose values looplab does not take (``_bounds.value_problem``),
    as a service answers a request body it cannot read; nothing is dispatched."""
    message = f"looplab refuses the parameters of {service}:{operation}: {problem}"
    return refuse(service, operation, ServiceError("SerializationException", message, 400))
