"""Turn one located YAML step (parameters already substituted) into a typed Step.

Each check reports into the Context and carries on, so one pass finds every problem.
"""

from __future__ import annotations

import json
from typing import Any

from looplab.scenarios._context import Context, short, type_name, unresolved
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import LList, LMap
from looplab.scenarios._model import (
    METRIC_SELECTORS,
    METRICS,
    STEP_TYPES,
    Condition,
    Connect,
    Disconnect,
    Drain,
    Expect,
    Purge,
    Recursion,
    Seed,
    Snapshot,
    Step,
    Wait,
)
from looplab.scenarios._steps_shapes import SHAPE_CHECKS

COMPARATORS = ("equals", "at_least", "at_most", "between")
CONDITION_KEYS = (
    "metric",
    "queue",
    "function",
    "source",
    "snapshot",
    "topic",
    "note",
    *COMPARATORS,
)
EXAMPLE = "e.g. '- wait: {seconds: 120}'"


def check_step(ctx: Context, item: Any, line: int, snapshots: set[str]) -> Step | None:
    if not isinstance(item, LMap) or len(item) != 1:
        ctx.error(
            line,
            f"a step is a mapping with exactly one key, its kind ({EXAMPLE}); "
            f"got {type_name(item) if not isinstance(item, LMap) else f'{len(item)} keys'}",
        )
        return None
    kind, args = next(iter(item.items()))
    if kind not in STEP_TYPES:
        ctx.error(item.key_line(kind), unknown("step", kind, STEP_TYPES))
        return None
    args_line = item.line_of(kind)
    if kind == "expect":
        return _expect(ctx, args, args_line, snapshots)
    if kind == "snapshot" and args is None:
        return Snapshot(line=line)
    mapping = ctx.mapping(args, f"the arguments of '{kind}'", args_line)
    if mapping is None:
        return None
    return _CHECKS[kind](ctx, mapping, snapshots)


def _purge(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("queue", "queues"), (), "purge"):
        return None
    if ("queue" in args) == ("queues" in args):
        ctx.error(args.line, "purge needs exactly one of 'queue' or 'queues'")
        return None
    if "queue" in args:
        name = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
        return Purge(queues=(name,), line=args.line) if name else None
    names = ctx.name_list(args, "queues", "queue")
    return Purge(queues=tuple(names), line=args.line) if names else None


def _seed(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("queue", "body", "count"), ("queue", "body"), "seed"):
        return None
    queue = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
    body = args["body"]
    if isinstance(body, (dict, list)):
        # A mapping body is the common case ({counter: 5}); send it as the JSON SQS would carry.
        try:
            body = json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as exc:
            # A date, binary data or NaN inside the mapping: JSON has no such values.
            ctx.error(args.line_of("body"), f"'body' does not convert to JSON: {exc}")
            body = None
    elif not isinstance(body, str):
        ctx.error(
            args.line_of("body"), f"'body' must be a string or a mapping, got {type_name(body)}"
        )
        body = None
    count = ctx.number(args, "count", integer=True) if "count" in args else 1
    if queue is None or body is None or count is None:
        return None
    return Seed(queue=queue, body=body, count=int(count), line=args.line)


def _wait(ctx: Context, args: LMap, snapshots: set[str]) -> Step | None:
    if not ctx.keys(args, ("seconds", "until", "timeout", "poll"), (), "wait"):
        return None
    if ("seconds" in args) == ("until" in args):
        ctx.error(args.line, "wait needs exactly one of 'seconds' or 'until' (with 'timeout')")
        return None
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
    conds = _conditions(ctx, args["until"], args.line_of("until"), snapshots, "until")
    if timeout is None or conds is None or poll is None:
        return None
    return Wait(until=tuple(conds), timeout=float(timeout), poll=float(poll), line=args.line)


def _drain(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("queue", "max"), ("queue",), "drain"):
        return None
    queue = ctx.resolve(args["queue"], "queue", args.line_of("queue"))
    most = ctx.number(args, "max", integer=True) if "max" in args else 10
    if queue is None or most is None:
        return None
    return Drain(queue=queue, max=int(most), line=args.line)


def _snapshot(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("queue", "queues", "name"), (), "snapshot"):
        return None
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


def _mapping_step(kind: str) -> Any:
    def check(ctx: Context, args: LMap, _: set[str]) -> Step | None:
        if not ctx.keys(args, ("function", "source"), ("function", "source"), kind):
            return None
        function = ctx.resolve(args["function"], "function", args.line_of("function"))
        source = ctx.resolve(args["source"], "queue", args.line_of("source"))
        if function is None or source is None:
            return None
        ctx.mapping_exists(function, source, args.line)
        cls = Connect if kind == "connect" else Disconnect
        return cls(function=function, source=source, line=args.line)

    return check


def _recursion(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("function", "mode"), ("function", "mode"), "recursion"):
        return None
    function = ctx.resolve(args["function"], "function", args.line_of("function"))
    mode = args["mode"]
    if unresolved(mode):
        return None
    if mode not in ("Allow", "Terminate"):
        ctx.error(args.line_of("mode"), unknown("recursion mode", mode, ("Allow", "Terminate")))
        return None
    return Recursion(function=function, mode=mode, line=args.line) if function else None


def _expect(ctx: Context, args: Any, line: int, snapshots: set[str]) -> Step | None:
    conds = _conditions(ctx, args, line, snapshots, "expect")
    return Expect(checks=tuple(conds), line=line) if conds else None


def _conditions(
    ctx: Context, value: Any, line: int, snapshots: set[str], what: str
) -> list[Condition] | None:
    """One condition (a mapping) or a list of them; all must hold."""
    items: list[tuple[Any, int]]
    if isinstance(value, LMap):
        items = [(value, line)]
    elif isinstance(value, LList) and value:
        items = [(v, value.line_of(i)) for i, v in enumerate(value)]
    else:
        ctx.error(
            line,
            f"'{what}' takes a condition or a non-empty list of conditions, "
            "e.g. {metric: invocations, between: [14, 18]}",
        )
        return None
    out = [check_condition(ctx, item, item_line, snapshots) for item, item_line in items]
    return None if None in out else out  # type: ignore[return-value]


def check_condition(ctx: Context, item: Any, line: int, snapshots: set[str]) -> Condition | None:
    cond = ctx.mapping(item, "a condition", line)
    if cond is None or not ctx.keys(cond, CONDITION_KEYS, ("metric",), "a condition"):
        return None
    metric = cond["metric"]
    if unresolved(metric):
        return None
    if metric not in METRICS:
        ctx.error(cond.line_of("metric"), unknown("metric", metric, METRICS))
        return None
    ops = [k for k in COMPARATORS if k in cond]
    if len(ops) != 1:
        ctx.error(
            cond.line,
            f"a condition needs exactly one of {', '.join(COMPARATORS)}"
            f" (got {', '.join(ops) or 'none'})",
        )
        return None
    op = ops[0]
    value = _comparand(ctx, cond, op)
    sel = _selectors(ctx, cond, metric, snapshots)
    note = cond.get("note")
    if note is not None and not isinstance(note, str):
        ctx.error(cond.line_of("note"), "'note' must be a string")
        return None
    if value is None or sel is None:
        return None
    return Condition(metric=metric, op=op, value=value, note=note, line=cond.line, **sel)


def _comparand(ctx: Context, cond: LMap, op: str) -> float | tuple[float, float] | None:
    value = cond[op]
    line = cond.line_of(op)
    if unresolved(value):
        return None
    if op != "between":
        return ctx.bounded(value, op, line, "comparand")
    ok = isinstance(value, list) and len(value) == 2
    if not ok:
        ctx.error(line, f"'between' takes [low, high], two numbers, got {short(value)}")
        return None
    low, high = (ctx.bounded(v, "between", line, "comparand") for v in value)
    if low is None or high is None:
        return None
    if low > high:
        ctx.error(line, f"'between' needs low <= high, got {value!r}")
        return None
    return (low, high)


def _selectors(ctx: Context, cond: LMap, metric: str, snapshots: set[str]) -> dict | None:
    """Which of queue / function / source / snapshot / topic a metric takes (its row in
    METRIC_SELECTORS), checked and resolved."""
    rule = METRIC_SELECTORS[metric]
    out: dict[str, str | None] = {}
    ok = True
    for key in ("queue", "function", "source", "snapshot", "topic"):
        if key not in cond:
            continue
        if key not in rule.takes:
            takes = ", ".join(sorted(rule.takes)) or "no selector"
            ctx.error(
                cond.key_line(key), f"metric {metric!r} does not take {key!r} (it takes: {takes})"
            )
            ok = False
            continue
        line = cond.line_of(key)
        if key == "snapshot":
            if unresolved(cond[key]):
                ok = False
            elif cond[key] not in snapshots:
                later = ctx.snapshot_lines.get(cond[key])
                if later is not None:
                    ctx.error(
                        line,
                        f"snapshot {cond[key]!r} is taken only later (line {later}); "
                        "a check can read only a snapshot taken before it",
                    )
                else:
                    ctx.error(line, unknown("snapshot", cond[key], snapshots))
                ok = False
            out[key] = cond[key]
            continue
        kind = {"function": "function", "topic": "topic"}.get(key, "queue")
        out[key] = ctx.resolve(cond[key], kind, line)
        ok = ok and out[key] is not None
    if rule.needs is not None and rule.needs not in cond:
        ctx.error(cond.line, f"metric {metric!r} needs a {rule.needs!r}{rule.why}")
        ok = False
    return out if ok else None


_CHECKS = {
    "purge": _purge,
    "seed": _seed,
    "wait": _wait,
    "drain": _drain,
    "snapshot": _snapshot,
    "connect": _mapping_step("connect"),
    "disconnect": _mapping_step("disconnect"),
    "recursion": _recursion,
    **SHAPE_CHECKS,
}
