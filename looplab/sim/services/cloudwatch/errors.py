"""CloudWatch's errors, with AWS's codes (botocore's cloudwatch model and AWS's replies)."""

from __future__ import annotations

from looplab.sim.services import ServiceError

MODELLED = ("GetMetricData",)


def validation(message: str) -> ServiceError:
    """AWS's generic parameter error for CloudWatch (``ValidationError``, HTTP 400)."""
    return ServiceError("ValidationError", message)


def invalid_next_token() -> ServiceError:
    # The one error botocore's model lists for GetMetricData.
    return ServiceError("InvalidNextToken", "The service cannot decode the next token.")


def not_modelled(what: str) -> ServiceError:
    """A request AWS would answer but the simulator does not model: refused, never guessed."""
    return ServiceError(
        "NotImplemented",
        f"looplab's simulator does not model {what} (cloudwatch models: "
        f"{', '.join(MODELLED)} with MetricStat queries)",
        status=501,
    )
