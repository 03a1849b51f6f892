"""The shape of a journal's fields, checked where it is read (:func:`looplab.journal.read_journal`).

A journal is JSON that a person may edit or a disk may damage: valid JSON with one field of
the wrong type must be refused with the field's path ("observations.snapshots is a list,
expected an object"), never reach the results code as an ``AttributeError`` there. The
checks cover what :mod:`looplab.results` reads (the summary and the timeline plot); the
rest of the document is kept as it is, in ``RunRecord.raw``.

Every problem is a :class:`ShapeError` (a ``ValueError``) whose message starts with the
field's path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = [
    "PID_MAX",
    "ShapeError",
    "check_document",
    "finite",
    "lst",
    "non_finite_path",
    "obj",
    "opt_finite",
    "series_of",
    "table_rows",
]

# Linux's pid_max can be at most 2**22; 2**31 - 1 is pid_t's range anywhere. Below 1 is
# not a process: os.kill(0, ...) / os.kill(-1, ...) would ask about process groups.
PID_MAX = 2**31 - 1


class ShapeError(ValueError):
    """A field of the wrong shape: the message starts with its path in the document."""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), f"{_show(value)}")


def obj(value: Any, where: str, *, null: bool = True) -> dict[str, Any]:
    """An object, or (``null``) null, read as empty: readers treat a missing section so,
    but not an entry inside one (``snapshots.<name>`` is iterated as it is)."""
    if value is None and null:
        return {}
    if not isinstance(value, dict):
        raise ShapeError(f"{where} is {_kind(value)}, expected an object")
    return value


def lst(value: Any, where: str, *, null: bool = True) -> list[Any]:
    """A list, or (``null``) null, read as empty."""
    if value is None and null:
        return []
    if not isinstance(value, list):
        raise ShapeError(f"{where} is {_kind(value)}, expected a list")
    return value


def finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ShapeError(f"{where} is {_kind(value)}, expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ShapeError(f"{where} is {value}, expected a finite number")
    return float(value)


def opt_finite(value: Any, where: str) -> float | None:
    return None if value is None else finite(value, where)


def _opt_int(value: Any, where: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ShapeError(f"{where} is {_kind(value)}, expected an integer or null")


def _opt_str(value: Any, where: str) -> None:
    if value is not None and not isinstance(value, str):
        raise ShapeError(f"{where} is {_kind(value)}, expected a string or null")


def _count(value: Any, where: str) -> None:
    """A count as summaries read it: an integer, a whole float, or null."""
    if value is None:
        return
    if isinstance(value, float) and value.is_integer():
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShapeError(f"{where} is {_kind(value)}, expected an integer")


def check_document(doc: dict[str, Any]) -> None:
    """Raise :class:`ShapeError` for the first field of the wrong shape."""
    pid = doc.get("pid")
    if pid is not None:
        _opt_int(pid, "pid")
        if not 1 <= pid <= PID_MAX:
            raise ShapeError(f"pid is {_show(pid)}, not a process id (1 to {PID_MAX})")
    for key in ("started_at", "ended_at", "host", "phase"):
        _opt_str(doc.get(key), key)
    clock = obj(doc.get("clock"), "clock")
    for key in ("start", "elapsed", "wall_seconds"):
        if key in clock:
            finite(clock[key], f"clock.{key}")
    obj(doc.get("parameters"), "parameters")
    for i, expectation in enumerate(lst(doc.get("expectations"), "expectations")):
        if not isinstance(expectation, dict):
            raise ShapeError(f"expectations[{i}] is {_kind(expectation)}, expected an object")
    for phase in ("steps", "finally"):
        for i, step in enumerate(lst(doc.get(phase), phase)):
            where = f"{phase}[{i}]"
            if not isinstance(step, dict):
                raise ShapeError(f"{where} is {_kind(step)}, expected an object")
            for key in ("clock_start", "clock_end"):
                opt_finite(step.get(key), f"{where}.{key}")
    _check_observations(obj(doc.get("observations"), "observations"))
    _check_definition(obj(doc.get("definition"), "definition"))


def _check_observations(obs: dict[str, Any]) -> None:
    for name, states in obj(obs.get("snapshots"), "observations.snapshots").items():
        where = f"observations.snapshots.{name}"
        for queue, state in obj(states, where, null=False).items():
            _queue_state(state, f"{where}.{queue}")
    for queue, state in obj(obs.get("queues"), "observations.queues").items():
        _queue_state(state, f"observations.queues.{queue}")
    for queue, messages in obj(obs.get("drained"), "observations.drained").items():
        where = f"observations.drained.{queue}"
        for i, message in enumerate(lst(messages, where, null=False)):
            if not isinstance(message, dict):
                raise ShapeError(f"{where}[{i}] is {_kind(message)}, expected an object")
    for table in ("by_function", "async_by_function", "by_topic"):
        for key, counts in obj(obs.get(table), f"observations.{table}").items():
            where = f"observations.{table}.{key}"
            for name, value in obj(counts, where, null=False).items():
                _count(value, f"{where}.{name}")
    lst(obs.get("log_streams"), "observations.log_streams")


def _queue_state(state: Any, where: str) -> None:
    for key, value in obj(state, where, null=False).items():
        _count(value, f"{where}.{key}")


def _check_definition(definition: dict[str, Any]) -> None:
    stack = obj(definition.get("stack"), "definition.stack")
    _opt_str(stack.get("region"), "definition.stack.region")
    for lid, queue in obj(stack.get("queues"), "definition.stack.queues").items():
        spec = obj(queue, f"definition.stack.queues.{lid}")
        _opt_str(spec.get("redrive_target"), f"definition.stack.queues.{lid}.redrive_target")
    overrides = obj(definition.get("overrides"), "definition.overrides")
    for kind, items in overrides.items():
        obj(items, f"definition.overrides.{kind}")


# The timeline's tables: what each column holds (the plot and summary read them).
def _row_checker(kinds: dict[str, str]) -> Callable[[dict[str, Any], str], None]:
    """A function ``(row dict, where)`` raising for a cell of the wrong kind."""

    def check(row: dict[str, Any], where: str) -> None:
        for column, kind in kinds.items():
            value, at = row[column], f"{where}.{column}"
            if kind == "t":
                finite(value, at)
            elif kind == "str":
                if not isinstance(value, str):
                    raise ShapeError(f"{at} is {_kind(value)}, expected a string")
            elif kind == "str?":
                _opt_str(value, at)
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ShapeError(f"{at} is {_kind(value)}, expected an integer")
            elif kind == "int?":
                _opt_int(value, at)
            elif kind == "num?":
                opt_finite(value, at)
            elif kind == "bool" and not isinstance(value, bool):
                raise ShapeError(f"{at} is {_kind(value)}, expected true or false")

    return check


def non_finite_path(doc: Any) -> tuple[str, float] | None:
    """The path of the first Infinity / NaN in ``doc`` (JSON has none; looplab never
    writes one), or None. Iterative: a deep document cannot exhaust the stack."""
    for where, value in _walk(doc):
        if isinstance(value, float) and not math.isfinite(value):
            return where, value
    return None


def _walk(doc: Any) -> Iterator[tuple[str, Any]]:
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(
                (f"{where}.{k}" if where else str(k), v) for k, v in reversed(value.items())
            )
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        else:
            yield where, value


def table_rows(data: dict[str, Any], name: str, cells: dict[str, str]) -> list[tuple[Any, ...]]:
    """The rows of timeline table ``name``, each a tuple of the cells of ``cells``' columns in
    that order (the file may order or add columns); every cell checked for its column's kind
    (``cells``: column -> kind, from the row record's field types: looplab.journal._schema)."""
    where = f"timeline.{name}"
    table = obj(data.get(name), where)
    if not table:
        return []
    have = lst(table.get("columns"), f"{where}.columns")
    columns = tuple(cells)
    missing = [c for c in columns if c not in have]
    if missing:
        raise ShapeError(f"{where} lacks columns {missing}")
    rows = lst(table.get("rows"), f"{where}.rows")
    width = len(have)
    for i, row in enumerate(rows):
        if type(row) is not list or len(row) != width:
            raise ShapeError(f"{where}.rows[{i}] is not a list of {width} cells")
    # Transposed once (C loops): each column is checked whole, the common case (every cell
    # right) never walks a row in Python; a column that fails is walked again row by row
    # to name the first bad cell. 10,000 journals are read per collect.
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in have]
    for column, kind in cells.items():
        values = by_column[have.index(column)]
        if not _FAST[kind](values):
            check = _row_checker({column: kind})
            for i, value in enumerate(values):
                check({column: value}, f"{where}.rows[{i}]")
    return list(zip(*(by_column[have.index(c)] for c in columns), strict=True))


def _numbers(values: Sequence[Any], optional: bool) -> bool:
    present = [v for v in values if v is not None] if optional else values
    return all(type(v) is float or type(v) is int for v in present) and all(
        map(math.isfinite, present)
    )


_FAST: dict[str, Callable[[Sequence[Any]], bool]] = {
    "t": lambda vs: _numbers(vs, False),
    "num?": lambda vs: _numbers(vs, True),
    "str": lambda vs: all(type(v) is str for v in vs),
    "str?": lambda vs: all(v is None or type(v) is str for v in vs),
    "int": lambda vs: all(type(v) is int for v in vs),
    "int?": lambda vs: all(v is None or type(v) is int for v in vs),
    "bool": lambda vs: all(type(v) is bool for v in vs),
}


def series_of(
    metrics: dict[str, Any],
) -> list[tuple[str, str, str, tuple[tuple[float, float], ...]]]:
    out = []
    for i, s in enumerate(lst(metrics.get("series"), "timeline.metrics.series")):
        where = f"timeline.metrics.series[{i}]"
        s = obj(s, where)
        names = [s.get(k) for k in ("namespace", "metric", "resource")]
        if not all(isinstance(n, str) for n in names):
            raise ShapeError(f"{where} needs namespace, metric and resource strings")
        points = []
        for j, point in enumerate(lst(s.get("points"), f"{where}.points")):
            if not isinstance(point, list) or len(point) != 2:
                raise ShapeError(f"{where}.points[{j}] is not a [time, value] pair")
            for cell in point:
                finite(cell, f"{where}.points[{j}]")
            # As written (a count stays an int): the record reads back what was written.
            points.append((point[0], point[1]))
        out.append((names[0], names[1], names[2], tuple(points)))
    return out
