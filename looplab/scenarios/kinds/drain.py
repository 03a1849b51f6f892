"""``drain``: receive (and delete) a queue's visible messages, for conditions to read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from looplab.scenarios._context import Context
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome
from looplab.scenarios.kinds._output import message_json


@dataclass(frozen=True)
class Drain(Step):
    kind: ClassVar[str] = "drain"
    queue: str
    max: int = 10

    def summary(self) -> str:
        return f"drain {self.queue} (max {self.max})"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Drain | None:
    queue = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
    most = ctx.number(args, "max", integer=True) if "max" in args else 10
    if queue is None or most is None:
        return None
    return Drain(queue=queue, max=int(most), line=args.line)


def run(step: Drain, ctx: StepContext) -> StepOutcome:
    messages = ctx.backend.drain(step.queue, step.max)
    ctx.probe.drained.setdefault(step.queue, []).extend(messages)
    return StepOutcome("ok", {"queue": step.queue, "messages": [message_json(m) for m in messages]})


def detail(output: dict[str, Any], shown: Callable[[object], str]) -> str:
    """ "drained 1 message: counters [21]"; the other shapes' messages (an S3 or SNS event)
    carry no counter, which is said as such, not as ``[None]``."""
    messages = output.get("messages", [])
    drained = f"drained {len(messages)} message{'' if len(messages) == 1 else 's'}"
    if not messages:
        return drained
    counters = [m.get("counter") for m in messages if m.get("counter") is not None]
    if not counters:
        return f"{drained}: no counter in these messages"
    without = len(messages) - len(counters)
    return f"{drained}: counters {shown(counters)}" + (
        f" ({without} without a counter)" if without else ""
    )


KIND = Kind(
    Drain, check, run, calls=("drain",), keys=("queue", "max"), required=("queue",), detail=detail
)
