"""The one adapter between an environment's captured SDK call and ``Simulator.dispatch``.

An environment sends what botocore had: the caller's parameters (read on
``before-parameter-build``, unserialised: bytes stay bytes) and the trace header botocore
put on the request. ``dispatch`` takes exactly what the in-process bridge hands it
(contract 1, docs/simulator.md), so a handler's call is answered the same way in either.
"""

from __future__ import annotations

from typing import Any

from looplab.sim.bridge import Router, with_metadata

__all__ = ["route"]


def route(
    router: Router, service: str, operation: str, params: dict[str, Any], trace: str | None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, botocore-parsed reply with ResponseMetadata), as botocore's Stubber
    would return it."""
    status, parsed = router.dispatch(service, operation, params, trace)
    return status, with_metadata(status, parsed)
