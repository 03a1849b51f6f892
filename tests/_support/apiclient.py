"""A real boto3 client answered by one simulated service api, the way botocore's Stubber is.

Until the simulator's ``{service: api}`` table routes every client, tests of a service api
go through this: the caller's parameters are read on ``before-parameter-build`` (after
botocore validated them) and stashed in the call's context; ``before-call`` answers from
the api with ``(http_response, parsed)``, which makes botocore skip the HTTP request.
Every successful reply is checked against botocore's output shape for the operation, as
the Stubber checks its canned responses; an api's ServiceError becomes the parsed error
botocore raises as ClientError.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import ParamValidator

from looplab.sim.services import Call, ServiceError

_KEY = "looplab_params"


class Api(Protocol):
    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]: ...


class ShapeError(AssertionError):
    """A simulated reply that botocore's output shape rejects."""


_sessions: dict[str, boto3.Session] = {}


def api_client(service: str, api: Api, region: str = "us-east-1") -> Any:
    # One session per region: its loader caches the parsed service models, so a client
    # costs milliseconds; the handlers below are the client's own (each client copies the
    # session's event hooks).
    session = _sessions.get(region)
    if session is None:
        session = _sessions[region] = boto3.Session(
            aws_access_key_id="looplab", aws_secret_access_key="looplab", region_name=region
        )
    client = session.client(service)
    events = client.meta.events

    def stash(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_KEY] = copy.deepcopy(params)

    def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict]:
        try:
            parsed = api.handle(model.name, context[_KEY], Call())
            status = 200
        except ServiceError as exc:
            status = exc.status
            parsed = {"Error": {"Code": exc.code, "Message": exc.message}}
        else:
            report = ParamValidator().validate(parsed, model.output_shape)
            if report.has_errors():
                raise ShapeError(f"{service}:{model.name} reply: {report.generate_report()}")
        parsed["ResponseMetadata"] = {"HTTPStatusCode": status, "RetryAttempts": 0}
        return AWSResponse(None, status, {}, None), parsed

    events.register_last("before-parameter-build", stash)
    events.register_last("before-call", answer)
    return client
