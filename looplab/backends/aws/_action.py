"""One rail action and its result, as the kill switch and the budget's brake report it."""

from __future__ import annotations

from looplab.backends.aws._busy import Busy
from looplab.backends.aws._calls import AwsCallError
from looplab.backends.base import BrakeAction as Action

__all__ = ["Action", "attempt"]

# Action is the protocol's BrakeAction: the brake the engine applies (Brakeable.brake) and
# the kill switch's other actions report in one type. Its result: "ok", what was confirmed
# ("Disabled"), or the error.


# A resource busy with another operation is waited out (bounded, on ``busy``'s clock),
# never skipped: a brake that gave up on the first ResourceConflictException would leave a
# mapping on, and the failure after the bound is that action's result, in red.
def attempt(busy: Busy, service: str, operation: str, resource: str, **params: object) -> Action:
    try:
        busy.call(service, operation, resource, **params)
    except AwsCallError as exc:
        if operation == "PurgeQueue" and exc.code.endswith("PurgeQueueInProgress"):
            return Action(f"{service}:{operation}", resource, "ok (a purge was already running)")
        return Action(f"{service}:{operation}", resource, str(exc), ok=False)
    return Action(f"{service}:{operation}", resource, "ok")
