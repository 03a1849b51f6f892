"""``connect`` / ``disconnect``: enable or disable the event source mapping from a queue to a
function (the mapping must exist in the stack: the step changes it, never creates it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from looplab.scenarios._context import Context
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Step
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class _MappingStep(Step):
    """A step on the event source mapping from queue ``source`` to ``function``."""

    enabled: ClassVar[bool]
    function: str
    source: str

    def summary(self) -> str:
        return f"{self.kind} {self.source} -> {self.function}"


@dataclass(frozen=True)
class Connect(_MappingStep):
    kind: ClassVar[str] = "connect"
    enabled: ClassVar[bool] = True


@dataclass(frozen=True)
class Disconnect(_MappingStep):
    kind: ClassVar[str] = "disconnect"
    enabled: ClassVar[bool] = False


def _check(cls: type[_MappingStep]) -> Callable[[Context, LMap, int, set[str]], Step | None]:
    def check(ctx: Context, args: LMap, _line: int, _snapshots: set[str]) -> Step | None:
        function = ctx.resolve(args["function"], "function", args.line_of("function"))
        source = ctx.resolve(args["source"], "queue", args.line_of("source"))
        if function is None or source is None:
            return None
        ctx.mapping_exists(function, source, args.line)
        return cls(function=function, source=source, line=args.line)

    return check


def run(step: _MappingStep, ctx: StepContext) -> StepOutcome:
    ctx.backend.set_mapping(step.function, step.source, step.enabled)
    return StepOutcome(
        "ok", {"function": step.function, "source": step.source, "enabled": step.enabled}
    )


_KEYS = ("function", "source")
CONNECT = Kind(Connect, _check(Connect), run, calls=("set_mapping",), keys=_KEYS, required=_KEYS)
DISCONNECT = Kind(
    Disconnect, _check(Disconnect), run, calls=("set_mapping",), keys=_KEYS, required=_KEYS
)
