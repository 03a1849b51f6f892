"""``wait``: let time pass, a fixed number of seconds or until conditions hold (with a timeout).

A wait is where a loop runs, so it is also where the engine's concerns reach in: the progress
callback (a progress bar, queue depth samples) and, on a backend that cannot step, the
polled check of ``stop_when`` (an invocation budget must hold while time passes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from looplab.scenarios._conditions import conditions
from looplab.scenarios._context import Context
from looplab.scenarios._load import LMap
from looplab.scenarios._model import Condition, Step, num
from looplab.scenarios.kinds._kind import Kind, StepContext, StepOutcome


@dataclass(frozen=True)
class Wait(Step):
    kind: ClassVar[str] = "wait"
    seconds: float | None = None
    until: tuple[Condition, ...] = ()
    timeout: float | None = None
    poll: float = 1.0

    def summary(self) -> str:
        if self.seconds is not None:
            return f"wait {num(self.seconds)} s"
        conds = " and ".join(f"{c.subject()} {c.expected()}" for c in self.until)
        return f"wait until {conds} (timeout {num(self.timeout or 0)} s)"


def check(ctx: Context, args: LMap, _line: int, snapshots: set[str]) -> Wait | None:
    poll = ctx.number(args, "poll") if "poll" in args else 1.0
    if "seconds" in args:
        if "timeout" in args:
            ctx.error(args.key_line("timeout"), "'timeout' goes with 'until', not with 'seconds'")
        seconds = ctx.number(args, "seconds")
        if seconds is None or poll is None:
            return None
        return Wait(seconds=float(seconds), poll=float(poll), line=args.line)
    if "timeout" not in args:
        ctx.error(
            args.line, "'wait: until' needs a 'timeout' (seconds), so it ends on every backend"
        )
        return None
    timeout = ctx.number(args, "timeout", strict=True)
    conds = conditions(ctx, args["until"], args.line_of("until"), snapshots, "until")
    if timeout is None or conds is None or poll is None:
        return None
    return Wait(until=tuple(conds), timeout=float(timeout), poll=float(poll), line=args.line)


def run(step: Wait, ctx: StepContext) -> StepOutcome:
    backend, probe = ctx.backend, ctx.probe
    before = backend.now()
    stop = ctx.stop_check()
    if step.seconds is not None:
        progress = ctx.progress(step.seconds)
        if stop is None:
            backend.advance(step.seconds, progress)
        else:
            # A fixed wait still watches the stop conditions (an invocation budget must hold
            # while time passes, not only between steps).
            def stop_now() -> bool:
                probe.fresh()
                stop()
                return False

            poll = max(step.poll, ctx.stop_poll)
            backend.wait_until(stop_now, timeout=step.seconds, poll=poll, progress=progress)
        return StepOutcome("ok", {"seconds": step.seconds, "waited": backend.now() - before})

    def until() -> bool:
        probe.fresh()  # one round: the stop check and the conditions share one query
        if stop is not None:
            stop()
        return probe.holds_all(step.until)

    assert step.timeout is not None
    held = backend.wait_until(
        until, timeout=step.timeout, poll=step.poll, progress=ctx.progress(step.timeout)
    )
    probe.fresh()
    output = {
        "held": held,
        "waited": backend.now() - before,
        "timeout": step.timeout,
        "conditions": [probe.check(c) for c in step.until],
    }
    return StepOutcome("ok" if held else "timeout", output)


def detail(output: dict[str, Any], shown: Callable[[object], str]) -> str:
    """What a ``wait: until`` ended on, in words: "DeadLetterQueue holds 1 message after
    42 s", or the timeout and where each condition stood (never "held: True")."""
    if "held" not in output:
        return ""
    said = "; ".join(_reading(c, shown) for c in output.get("conditions") or ())
    if output["held"]:
        return f"after {output['waited']:.0f} s: {said}" if said else ""
    return (
        f"gave up after {output['waited']:.0f} s (the timeout), the conditions not yet met: {said}"
    )


# "total[queue=DeadLetterQueue]": the metric and its queue, the one selector said in words.
_SUBJECT = re.compile(r"(?P<metric>\w+)(?:\[queue=(?P<queue>[^,\]]+)\])?")
_QUEUE_WORDS = {
    "total": "holds {n} message{s}",
    "visible": "has {n} visible message{s}",
    "in_flight": "has {n} message{s} in flight",
}
_METRIC_WORDS = {
    "recursive_invocations_dropped": "{n} invocation{s} stopped as recursive",
    "invocations": "{n} invocation{s}",
    "errors": "{n} error{s}",
}


def _reading(entry: dict[str, Any], shown: Callable[[object], str]) -> str:
    """One condition's journal entry as a sentence part, with its target when it failed."""
    check, actual = str(entry.get("check", "?")), entry.get("actual")
    match = _SUBJECT.fullmatch(check)
    count = isinstance(actual, int) and not isinstance(actual, bool)
    plural = "" if actual == 1 else "s"
    if match and count and match["queue"] and match["metric"] in _QUEUE_WORDS:
        text = f"{shown(match['queue'])} " + _QUEUE_WORDS[match["metric"]].format(
            n=actual, s=plural
        )
    elif match and count and not match["queue"] and match["metric"] in _METRIC_WORDS:
        text = _METRIC_WORDS[match["metric"]].format(n=actual, s=plural)
    else:
        text = f"{shown(check)} is {shown(actual)}"
    if entry.get("passed") is False:
        text += f" (waiting for {shown(entry.get('expected', '?'))})"
    return text


KIND = Kind(
    Wait,
    check,
    run,
    calls=("now", "advance", "wait_until"),
    keys=("seconds", "until", "timeout", "poll"),
    one_of=("seconds", "until"),
    detail=detail,
)
