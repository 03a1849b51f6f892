"""``put-object``: S3 PutObject into a bucket from outside any function (a new chain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from looplab.scenarios._context import Context, type_name, unresolved
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._args import json_text
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class PutObject(Step):
    kind: ClassVar[str] = "put-object"
    bucket: str
    key: str
    body: str

    def summary(self) -> str:
        return f"put-object {self.bucket}/{self.key}"


def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> PutObject | None:
    bucket = ctx.resolve(args["bucket"], "bucket", args.line_of("bucket"))
    key = args["key"]
    if unresolved(key):
        return None
    if not isinstance(key, str) or not key:
        ctx.error(args.line_of("key"), f"'key' must be a non-empty string, got {type_name(key)}")
        return None
    body = json_text(ctx, args, "body")
    if bucket is None or body is None:
        return None
    return PutObject(bucket=bucket, key=key, body=body, line=args.line)


def run(step: PutObject, ctx: StepContext) -> StepOutcome:
    ctx.backend.put_object(step.bucket, step.key, step.body)
    return StepOutcome("ok", {"bucket": step.bucket, "key": step.key})


_KEYS = ("bucket", "key", "body")
KIND = Kind(PutObject, check, run, calls=("put_object",), keys=_KEYS, required=_KEYS)
