"""``snapshot``: record queues' counts now, under a name that later conditions can read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from looplab.scenarios._context import Context
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome
from looplab.scenarios.kinds._output import state_json


@dataclass(frozen=True)
class Snapshot(Step):
    kind: ClassVar[str] = "snapshot"
    queues: tuple[str, ...] = ()
    name: str | None = None

    def summary(self) -> str:
        which = ", ".join(self.queues) if self.queues else "all queues"
        return f"snapshot {which}" + (f" as {self.name!r}" if self.name else "")


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Snapshot | None:
    queues: list[str] = []
    if "queue" in args:
        name = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
        if name is None:
            return None
        queues = [name]
    if "queues" in args:
        found = ctx.name_list(args, "queues", "queue")
        if found is None:
            return None
        queues += found
    label = ctx.string(args, "name") if "name" in args else None
    if "name" in args and label is None:
        return None
    return Snapshot(queues=tuple(queues), name=label, line=args.line)


def snapshot_name(args: Any) -> tuple[str, int] | None:
    if isinstance(args, LMap) and isinstance(args.get("name"), str):
        return args["name"], args.line_of("name")
    return None


def run(step: Snapshot, ctx: StepContext) -> StepOutcome:
    queues = list(step.queues) or ctx.queues
    states = {q: ctx.backend.queue_state(q) for q in queues}
    label = step.name or f"snapshot-{len(ctx.probe.snapshots) + 1}"
    ctx.probe.snapshots[label] = states
    return StepOutcome(
        "ok",
        {
            "name": label,
            "at": ctx.backend.now() - ctx.probe.since,
            "queues": {q: state_json(s) for q, s in states.items()},
        },
    )


KIND = Kind(
    Snapshot,
    check,
    run,
    calls=("queue_state", "now"),
    keys=("queue", "queues", "name"),
    bare=True,  # `- snapshot:` snapshots every queue the scenario names
    snapshot_name=snapshot_name,
)
