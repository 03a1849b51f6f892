"""CloudWatch Logs' errors, with AWS's codes and, where AWS's wording is known, its words."""

from __future__ import annotations

from looplab.sim.services import ServiceError

MODELLED = ("FilterLogEvents", "DescribeLogStreams")


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def no_such_group() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log group does not exist.")


def not_modelled(what: str) -> ServiceError:
    """A request AWS would answer but the simulator does not model: refused, never guessed."""
    return ServiceError(
        "NotImplemented",
        f"looplab's simulator does not model {what} (logs models: {', '.join(MODELLED)})",
        status=501,
    )
