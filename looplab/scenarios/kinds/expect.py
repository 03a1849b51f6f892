"""``expect``: check conditions now; the run's status and exit code come from these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from looplab.scenarios._conditions import conditions
from looplab.scenarios._context import Context
from looplab.scenarios._model import Condition, Step
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class Expect(Step):
    kind: ClassVar[str] = "expect"
    checks: tuple[Condition, ...]

    def summary(self) -> str:
        return f"expect {len(self.checks)} check{'s' if len(self.checks) != 1 else ''}"


def check(ctx: Context, args: Any, line: int, snapshots: set[str]) -> Expect | None:
    conds = conditions(ctx, args, line, snapshots, "expect")
    return Expect(checks=tuple(conds), line=line) if conds else None


def run(step: Expect, ctx: StepContext) -> StepOutcome:
    # On AWS, metrics arrive minutes late and queue counts are approximate: let them settle
    # before judging (a no-op on the simulator, whose figures are exact at once).
    ctx.backend.settle()
    ctx.probe.fresh()
    results = [ctx.probe.check(c) for c in step.checks]
    passed = all(r["passed"] for r in results)
    return StepOutcome("ok" if passed else "failed", {"expectations": results})


KIND = Kind(Expect, check, run, calls=("settle",), takes="conditions")
