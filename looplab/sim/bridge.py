"""The boto3 bridge: SDK calls reach the simulator through botocore itself, as with the Stubber.

Two generic handlers, both registered LAST among botocore's BUILTIN_HANDLERS (so every
botocore session made from now on carries them; moto installs itself the same way):

- on ``before-parameter-build`` the caller's parameters, as botocore validated them and
  before serialisation (bytes stay bytes, datetimes stay datetimes), are stashed in the
  call's ``context`` dict. No wire decoding per protocol: CloudWatch's CBOR, STS's form
  data and Lambda's REST paths all arrive as the same Python values.
- on ``before-call`` the call is answered from that context. Registered last, it runs after
  botocore's ``add_recursion_detection_header`` (also a generic ``before-call`` handler),
  so the request's ``X-Amzn-Trace-Id`` header is exactly the one AWS would see. Returning
  ``(http_response, parsed)`` makes botocore skip the HTTP request.

Which simulator answers: the one whose :meth:`Simulator.session` made the client (marked in
the call's context), else the one whose clock is running handler code. While any
simulator is open and neither applies, the call is REFUSED with an error naming it: a
local simulation must never reach a real account. With no simulator open, the bridge
returns None and botocore carries on (the deploy tests talk to moto that way).

A session made before the handlers were installed never emits them, so the last line of
defence is botocore's own network send (``Endpoint._send``): while any simulator is open it
raises ``LooplabRefused`` instead of opening a connection. Bridged calls never get there
(``before-call`` short-circuits them), so routing is unchanged.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any, Protocol

from botocore import endpoint, handlers
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from looplab.sim.services import ServiceError, error_reply

__all__ = [
    "PARAMS_KEY",
    "Router",
    "call",
    "closed",
    "ensure_installed",
    "mark",
    "opened",
    "request_of",
    "respond",
    "running",
    "with_metadata",
]

PARAMS_KEY = "looplab.params"
"""The call-context key under which the caller's input parameters are stashed."""

_ROUTER_KEY = "looplab.router"


class Router(Protocol):
    def dispatch(
        self, service: str, operation: str, params: dict[str, Any], trace_header: str | None
    ) -> tuple[int, dict[str, Any]]: ...


_running: list[Router] = []
_open: weakref.WeakSet[Any] = weakref.WeakSet()


def _stash(params: dict[str, Any], context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if context is not None:
        context[PARAMS_KEY] = params


def _before_call(model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
    context = kwargs.get("context")
    router = context.get(_ROUTER_KEY) if context else None
    if router is None:
        if _running:
            router = _running[-1]
        elif _any_open():
            return _refuse(model)
        else:
            return None
    return call(router, model, params, context)


def request_of(
    model: Any, params: dict[str, Any], context: dict[str, Any] | None
) -> tuple[str, str, dict[str, Any], str | None]:
    """``(service, operation, input parameters, trace header)`` of a ``before-call`` event:
    what :meth:`Router.dispatch` takes (also from the far side of a pipe)."""
    headers = params.get("headers") or {}
    trace = headers.get("X-Amzn-Trace-Id")
    if isinstance(trace, bytes):
        trace = trace.decode()
    api_params = context.get(PARAMS_KEY, {}) if context else {}
    return model.service_model.service_name, model.name, api_params, trace


def call(
    router: Router, model: Any, params: dict[str, Any], context: dict[str, Any] | None = None
) -> tuple[AWSResponse, dict[str, Any]]:
    """Answer one ``before-call`` event from ``router``."""
    status, parsed = router.dispatch(*request_of(model, params, context))
    return respond(status, parsed)


def respond(status: int, parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    """What a ``before-call`` handler returns for a dispatched reply: ResponseMetadata as
    botocore's parser would add it, and an HTTP response carrying the status."""
    return _response(status), with_metadata(status, parsed)


def with_metadata(status: int, parsed: dict[str, Any]) -> dict[str, Any]:
    """``parsed`` with the ResponseMetadata botocore's parser would add (its request ID
    taken from the dispatcher's ``_request_id``)."""
    request_id = parsed.pop("_request_id", "00000000-0000-0000-0000-000000000000")
    parsed["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": {"x-amzn-requestid": request_id},
        "RetryAttempts": 0,
    }
    return parsed


_RESPONSES: dict[int, AWSResponse] = {}


def _response(status: int) -> AWSResponse:
    # botocore only reads the HTTP response after a short-circuited call (its status code,
    # for errors), so one per status serves every call; the request ID is in ``parsed``.
    response = _RESPONSES.get(status)
    if response is None:
        response = _RESPONSES[status] = AWSResponse(None, status, {}, None)
    return response


def _any_open() -> bool:
    if not _open:
        return False
    # A simulator dropped without close() lives until the cycle collector runs; it must
    # not refuse calls it will never answer. Refusals are rare, so the collection is cheap.
    gc.collect()
    return bool(_open)


def _refuse(model: Any) -> tuple[AWSResponse, dict[str, Any]]:
    service, operation = model.service_model.service_name, model.name
    error = ServiceError(
        "LooplabRefused",
        f"{service}:{operation} refused: a looplab Simulator is open in this process and "
        "this client is neither one of its clients (Simulator.session()) nor called from "
        "a simulated function; it is not sent to AWS",
        403,
    )
    return respond(403, error_reply(service, operation, error, _NO_REQUEST))


_NO_REQUEST = "00000000-0000-0000-0000-000000000000"


def _guarded_send(original: Any) -> Any:
    def _send(self: Any, request: Any) -> Any:
        if _any_open():
            message = (
                f"{request.method} {request.url} refused: a looplab Simulator is open in this "
                "process and this client predates looplab's bridge (its botocore session was "
                "made before the first Simulator); it is not sent to the network"
            )
            raise ClientError(
                {
                    "Error": {"Code": "LooplabRefused", "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": 403, "RequestId": _NO_REQUEST},
                },
                "send",
            )
        return original(self, request)

    _send.looplab_guard = True  # type: ignore[attr-defined]
    return _send


def _install_send_guard() -> None:
    if not getattr(endpoint.Endpoint._send, "looplab_guard", False):
        endpoint.Endpoint._send = _guarded_send(endpoint.Endpoint._send)  # type: ignore[method-assign]


_SPECS = (
    ("before-parameter-build", _stash, handlers.REGISTER_LAST),
    ("before-call", _before_call, handlers.REGISTER_LAST),
)


def ensure_installed() -> None:
    """Make every botocore session created from now on carry the bridge, and refuse the
    network sends of older ones while a simulator is open (idempotent)."""
    _install_send_guard()
    for spec in _SPECS:
        if spec not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(spec)


def opened(simulator: Any) -> None:
    """Note an open simulator: unrouted calls are refused until :func:`closed`."""
    _open.add(simulator)


def closed(simulator: Any) -> None:
    _open.discard(simulator)


def mark(router: Router) -> Any:
    """A ``before-parameter-build`` handler that routes a session's calls to ``router``."""
    ref = weakref.ref(router)

    def _mark(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
        target = ref()
        if context is not None and target is not None:
            context[_ROUTER_KEY] = target

    return _mark


class running:
    """Context manager: route bridged calls to ``router`` while the simulation runs."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def __enter__(self) -> None:
        _running.append(self.router)

    def __exit__(self, *exc: object) -> None:
        _running.remove(self.router)
