"""``seed``: send messages to a queue from outside any function (each starts a new chain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from looplab.scenarios._context import Context
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._args import json_text
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class Seed(Step):
    kind: ClassVar[str] = "seed"
    queue: str
    body: str
    count: int = 1

    def summary(self) -> str:
        times = f" x{self.count}" if self.count != 1 else ""
        return f"seed {self.queue} {self.body}{times}"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Seed | None:
    queue = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
    body = json_text(ctx, args, "body")  # a mapping is sent as the JSON SQS would carry
    count = ctx.number(args, "count", integer=True) if "count" in args else 1
    if queue is None or body is None or count is None:
        return None
    return Seed(queue=queue, body=body, count=int(count), line=args.line)


def run(step: Seed, ctx: StepContext) -> StepOutcome:
    ids = ctx.backend.seed(step.queue, step.body, step.count)
    return StepOutcome("ok", {"queue": step.queue, "body": step.body, "message_ids": list(ids)})


KIND = Kind(
    Seed, check, run, calls=("seed",), keys=("queue", "body", "count"), required=("queue", "body")
)
