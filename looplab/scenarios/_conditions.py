"""Conditions (in ``expect``, ``wait: until`` and ``stop_when``): a metric, its selectors and
one comparator, checked against METRIC_SELECTORS and the stack, every problem reported.
"""

from __future__ import annotations

from typing import Any

from looplab.scenarios._context import Context, short, unresolved
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import LList, LMap
from looplab.scenarios._model import METRIC_SELECTORS, METRICS, Condition

__all__ = ["COMPARATORS", "CONDITION_KEYS", "check_condition", "conditions"]

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


def conditions(
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
