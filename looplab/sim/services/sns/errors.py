"""SNS's errors, under the codes botocore's SNS model gives them (query protocol)."""

from __future__ import annotations

from looplab.sim.services._errors import ServiceError

__all__ = ["SnsError", "invalid_parameter", "not_found"]


class SnsError(ServiceError):
    """An SNS error reply: ``code`` as botocore's SNS model names it (``NotFound``,
    ``InvalidParameter``, ``ParameterValueInvalid``, the batch errors)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(code, message, status)


def not_found(what: str = "Topic") -> SnsError:
    # AWS: Publish to a well-formed ARN of a topic that does not exist.
    return SnsError("NotFound", f"{what} does not exist", 404)


def invalid_parameter(detail: str) -> SnsError:
    # AWS words every InvalidParameter as "Invalid parameter: <what>".
    return SnsError("InvalidParameter", f"Invalid parameter: {detail}")
