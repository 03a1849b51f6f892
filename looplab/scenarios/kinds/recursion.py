"""``recursion``: set a function's recursive loop detection (PutFunctionRecursionConfig)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, get_args

from looplab.backends.base import RecursiveLoop
from looplab.scenarios._context import Context, unresolved
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome

MODES: tuple[RecursiveLoop, ...] = get_args(RecursiveLoop)  # Allow, Terminate


@dataclass(frozen=True)
class Recursion(Step):
    kind: ClassVar[str] = "recursion"
    function: str
    mode: RecursiveLoop

    def summary(self) -> str:
        return f"recursion {self.function} {self.mode}"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Recursion | None:
    function = ctx.resolve(args["function"], "function", args.line_of("function"))
    mode = args["mode"]
    if unresolved(mode):
        return None
    if mode not in MODES:
        ctx.error(args.line_of("mode"), unknown("recursion mode", mode, MODES))
        return None
    return Recursion(function=function, mode=mode, line=args.line) if function else None


def run(step: Recursion, ctx: StepContext) -> StepOutcome:
    ctx.backend.set_recursion(step.function, step.mode)
    return StepOutcome("ok", {"function": step.function, "recursive_loop": step.mode})


KIND = Kind(
    Recursion,
    check,
    run,
    calls=("set_recursion",),
    keys=("function", "mode"),
    required=("function", "mode"),
    choices={"mode": MODES},
)
