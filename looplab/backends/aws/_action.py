"""One rail action and its result, as the kill switch and the budget's brake report it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from looplab.backends.aws._busy import Busy
from looplab.backends.aws._calls import AwsCallError

__all__ = ["Action", "attempt"]


@dataclass(frozen=True)
class Action:
    action: str
    resource: str
    result: str  # "ok", what was confirmed ("Disabled"), or the error
    ok: bool = True

    def to_json(self) -> dict[str, object]:
        return asdict(self)


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
