"""``purge``: empty queues (SQS PurgeQueue), so a run starts, and leaves, from a clean state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from looplab.scenarios._context import Context
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class Purge(Step):
    kind: ClassVar[str] = "purge"
    queues: tuple[str, ...]

    def summary(self) -> str:
        return f"purge {', '.join(self.queues)}"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Purge | None:
    if "queue" in args:
        name = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
        return Purge(queues=(name,), line=args.line) if name else None
    names = ctx.name_list(args, "queues", "queue")
    return Purge(queues=tuple(names), line=args.line) if names else None


def run(step: Purge, ctx: StepContext) -> StepOutcome:
    for queue in step.queues:
        ctx.backend.purge(queue)
    return StepOutcome("ok", {"purged": list(step.queues)})


KIND = Kind(
    Purge, check, run, calls=("purge",), keys=("queue", "queues"), one_of=("queue", "queues")
)
