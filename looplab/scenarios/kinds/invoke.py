"""``invoke``: Lambda Invoke of a function from outside any function; the payload is JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, get_args

from looplab._files import loads_json
from looplab.backends.base import InvocationType
from looplab.scenarios._context import Context, unresolved
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._args import json_text
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome

INVOCATION_TYPES: tuple[InvocationType, ...] = get_args(InvocationType)  # Event first


@dataclass(frozen=True)
class Invoke(Step):
    kind: ClassVar[str] = "invoke"
    function: str
    payload: str
    type: InvocationType = "Event"

    def summary(self) -> str:
        return f"invoke {self.function} ({self.type}) {self.payload}"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Invoke | None:
    function = ctx.resolve(args["function"], "function", args.line_of("function"))
    payload = json_text(ctx, args, "payload")
    kind: Any = args.get("type", "Event")
    if unresolved(kind):
        return None
    if kind not in INVOCATION_TYPES:
        ctx.error(args.line_of("type"), unknown("invocation type", kind, INVOCATION_TYPES))
        return None
    if payload is not None:
        try:
            loads_json(payload)  # nesting bounded: 5,000 levels raised RecursionError
        except ValueError as exc:
            ctx.error(args.line_of("payload"), f"'payload' must be JSON (Lambda's rule): {exc}")
            return None
    if function is None or payload is None:
        return None
    return Invoke(function=function, payload=payload, type=kind, line=args.line)


def run(step: Invoke, ctx: StepContext) -> StepOutcome:
    reply = ctx.backend.invoke(step.function, loads_json(step.payload), step.type)
    # A function error in a RequestResponse call is the step's finding, not the run's
    # failure (a looping chain's synchronous call is expected to fail): it is recorded.
    return StepOutcome("ok", {"function": step.function, "type": step.type, "reply": reply})


KIND = Kind(
    Invoke,
    check,
    run,
    calls=("invoke",),
    keys=("function", "payload", "type"),
    required=("function", "payload"),
    choices={"type": INVOCATION_TYPES},
)
