"""Lambda's errors, with AWS's codes, statuses and message shapes."""

from __future__ import annotations

from looplab.sim.services._errors import ServiceError


def function_not_found(arn: str) -> ServiceError:
    # AWS: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:my-function".
    return ServiceError("ResourceNotFoundException", f"Function not found: {arn}", 404)


def mapping_not_found() -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", "The resource you requested does not exist.", 404
    )


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, 400)


def in_use(state: str) -> ServiceError:
    # Inferred wording: AWS refuses an update while a mapping is in transition with
    # ResourceInUseException (Terraform's provider retries on it), message undocumented.
    return ServiceError(
        "ResourceInUseException",
        f"Cannot update the event source mapping because it is in use (State: {state}). "
        "Retry when it is Enabled or Disabled.",
        400,
    )


def not_modelled_parameter(operation: str, name: str) -> ServiceError:
    return invalid(f"looplab's simulator does not model {name} in {operation}")
