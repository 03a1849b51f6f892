"""``publish``: SNS Publish to a topic from outside any function (each starts a new chain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from looplab.scenarios._context import Context, type_name
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._args import json_text
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class Publish(Step):
    kind: ClassVar[str] = "publish"
    topic: str
    body: str
    attributes: tuple[tuple[str, str], ...] = ()

    def args(self) -> dict[str, Any]:
        out = super().args()
        if self.attributes:
            out["attributes"] = dict(self.attributes)
        return out

    def summary(self) -> str:
        return f"publish {self.topic} {self.body}"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Publish | None:
    topic = ctx.resolve(args["topic"], "topic", args.line_of("topic"))
    body = json_text(ctx, args, "body")
    attributes: list[tuple[str, str]] = []
    if "attributes" in args:
        raw = args["attributes"]
        if not isinstance(raw, LMap):
            ctx.error(
                args.line_of("attributes"),
                f"'attributes' must be a mapping of name -> string value, got {type_name(raw)}",
            )
            return None
        for name, value in raw.items():
            if not isinstance(name, str) or not isinstance(value, (str, int, float)):
                ctx.error(
                    raw.line_of(name),
                    f"attribute {name!r}: a name and a string (or number) value "
                    "(published as a String message attribute)",
                )
                return None
            attributes.append((name, str(value)))
    if topic is None or body is None:
        return None
    return Publish(topic=topic, body=body, attributes=tuple(attributes), line=args.line)


def run(step: Publish, ctx: StepContext) -> StepOutcome:
    attributes = dict(step.attributes) or None
    message_id = ctx.backend.publish(step.topic, step.body, attributes)
    return StepOutcome("ok", {"topic": step.topic, "body": step.body, "message_id": message_id})


KIND = Kind(
    Publish,
    check,
    run,
    calls=("publish",),
    keys=("topic", "body", "attributes"),
    required=("topic", "body"),
)
