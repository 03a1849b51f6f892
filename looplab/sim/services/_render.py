"""AWS's error shape per protocol: a ServiceError as botocore would have parsed it.

Rather than hand-writing what each protocol's parser makes of an error (Lambda's
``Type``/``Message`` members, SQS's query-compatible ``QueryErrorCode``, STS's XML
``Type``), the error is written as the HTTP response AWS would send for that protocol and
handed to botocore's own parser, plus the modelled-error fields botocore's endpoint adds.
Errors are rare, so running the parser costs nothing that matters, and the result is
right by construction for every protocol botocore speaks.
"""

from __future__ import annotations

import functools
import json
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from botocore import parsers
from botocore.model import OperationModel, ServiceModel

from looplab.sim.services._errors import ServiceError

__all__ = ["error_reply", "not_modelled", "success_status"]


@functools.cache
def _service_model(service: str) -> ServiceModel:
    # One private botocore session: its loader reads each service model once per process.
    return _session().get_service_model(service)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.Session()


@functools.cache
def _operation(service: str, operation: str) -> OperationModel | None:
    model = _service_model(service)
    return model.operation_model(operation) if operation in model.operation_names else None


@functools.cache
def success_status(service: str, operation: str) -> int:
    """The HTTP status AWS answers a successful call with (Lambda: 202 for
    UpdateEventSourceMapping, 204 for DeleteFunctionConcurrency; 200 elsewhere)."""
    op = _operation(service, operation)
    return int(op.http.get("responseCode", 200)) if op is not None else 200


def not_modelled(service: str, operation: str, modelled: list[str] | None = None) -> ServiceError:
    """The loud failure of an operation (or a whole service) the simulator does not model."""
    what = f"looplab's simulator does not model {service}:{operation}"
    if modelled is not None:
        what += f" (it models: {', '.join(modelled)})"
    return ServiceError("NotImplemented", what, 501)


def error_reply(service: str, operation: str, error: ServiceError, request_id: str) -> dict:
    """The parsed reply botocore makes of AWS's response for ``error`` (no ResponseMetadata)."""
    model = _service_model(service)
    protocol = model.resolved_protocol
    shape = model.shape_for_error_code(error.code)
    headers: dict[str, str] = {"x-amzn-requestid": request_id}
    body = _BODIES.get(protocol, _xml_body)(model, error, shape, request_id, headers)
    response = {"status_code": error.status, "headers": headers, "body": body}
    parser = parsers.create_parser(protocol)
    op = _operation(service, operation)
    parsed = parser.parse(response, op.output_shape if op is not None else None)
    # botocore's endpoint adds the modelled error's members (Lambda's "Type") this way.
    modelled = model.shape_for_error_code(parsed.get("Error", {}).get("Code", ""))
    if modelled is not None:
        parsed.update(parser.parse(response, modelled))
    parsed.pop("ResponseMetadata", None)
    return parsed


def _members(error: ServiceError, shape: Any) -> dict[str, str]:
    """The error's body members under the names its modelled shape gives them."""
    fields = dict(error.extra)
    names = list(shape.members) if shape is not None else []
    message_key = next((n for n in names if n.lower() == "message"), "message")
    fields[message_key] = error.message
    if "Type" in names and "Type" not in fields:
        fields["Type"] = "User" if error.sender else "Service"
    return fields


def _fault(error: ServiceError) -> str:
    return "Sender" if error.sender else "Receiver"


def _json_body(
    model: ServiceModel, error: ServiceError, shape: Any, request_id: str, headers: dict
) -> bytes:
    namespace = model.metadata.get("targetPrefix") or model.service_name
    if error.query_code:
        headers["x-amzn-query-error"] = f"{error.query_code};{_fault(error)}"
    return json.dumps({"__type": f"{namespace}#{error.code}", **_members(error, shape)}).encode()


def _rest_json_body(
    model: ServiceModel, error: ServiceError, shape: Any, request_id: str, headers: dict
) -> bytes:
    headers["x-amzn-errortype"] = error.code
    fields = _members(error, shape)
    fields.setdefault("Type", "User" if error.sender else "Service")
    return json.dumps(fields).encode()


def _cbor_body(
    model: ServiceModel, error: ServiceError, shape: Any, request_id: str, headers: dict
) -> bytes:
    headers["smithy-protocol"] = "rpc-v2-cbor"
    if error.query_code:
        headers["x-amzn-query-error"] = f"{error.query_code};{_fault(error)}"
    fields = {"__type": f"{model.metadata.get('targetPrefix', '')}#{error.code}"}
    fields.update(_members(error, shape))
    return _cbor_text_map(fields)


def _query_body(
    model: ServiceModel, error: ServiceError, shape: Any, request_id: str, headers: dict
) -> bytes:
    return (
        "<ErrorResponse><Error>"
        f"<Type>{_fault(error)}</Type><Code>{escape(error.query_code or error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()


def _ec2_body(
    model: ServiceModel, error: ServiceError, shape: Any, request_id: str, headers: dict
) -> bytes:
    return (
        f"<Response><Errors><Error><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error></Errors>"
        f"<RequestID>{escape(request_id)}</RequestID></Response>"
    ).encode()


def _xml_body(
    model: ServiceModel, error: ServiceError, shape: Any, request_id: str, headers: dict
) -> bytes:
    # rest-xml (S3, Route 53, CloudFront): S3's bare <Error> form, which botocore reads too.
    return (
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"<RequestId>{escape(request_id)}</RequestId></Error>"
    ).encode()


_BODIES = {
    "json": _json_body,
    "rest-json": _rest_json_body,
    "smithy-rpc-v2-cbor": _cbor_body,
    "query": _query_body,
    "ec2": _ec2_body,
    "rest-xml": _xml_body,
}


def _cbor_text_map(fields: dict[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949 major types 5 and 3): all an error body needs."""

    def head(major: int, n: int) -> bytes:
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise ValueError("too long for CBOR")

    out = bytearray(head(5, len(fields)))
    for key, value in fields.items():
        for text in (key, str(value)):
            raw = text.encode()
            out += head(3, len(raw)) + raw
    return bytes(out)
