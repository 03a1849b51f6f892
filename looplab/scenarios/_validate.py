"""Load scenarios.yaml, check all of it against the stack, build runnable Scenarios.

Validation never stops at the first problem: every scenario is built with its parameters'
defaults and every problem goes into one ScenarioError, with file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from looplab.scenarios._conditions import check_condition
from looplab.scenarios._context import Context, StackNames, type_name, unresolved
from looplab.scenarios._errors import Problem, ScenarioError, shown, unknown
from looplab.scenarios._load import LList, LMap, load_yaml
from looplab.scenarios._model import Parameter, Scenario, Step
from looplab.scenarios._parameters import (
    apply_overrides,
    check_overrides,
    read_parameters,
    substitute,
)
from looplab.scenarios._shapes import DEFAULT_SHAPE, SHAPES
from looplab.scenarios._stack_ref import StackRef
from looplab.scenarios.kinds import check_step, snapshot_label

TOP_KEYS = ("version", "aliases", "scenarios")
SCENARIO_KEYS = ("description", "stack", "parameters", "steps", "finally", "stop_when")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # fullmatch: "$" allows a final newline


@dataclass
class ScenarioFile:
    """A scenario file whose top level is sound; scenarios are built on demand."""

    path: Path
    aliases: dict[str, str]
    raw: LMap

    @property
    def names(self) -> list[str]:
        return [n for n in self.raw if isinstance(n, str)]

    def description(self, name: str) -> str:
        body = self.raw.get(name)
        text = body.get("description") if isinstance(body, LMap) else None
        return " ".join(text.split()) if isinstance(text, str) else ""

    def shape(self, name: str) -> str:
        """The loop shape the scenario names (``stack:``), or the default; an unknown one is
        returned as written (validation reports it)."""
        body = self.raw.get(name)
        shape = body.get("stack", DEFAULT_SHAPE) if isinstance(body, LMap) else DEFAULT_SHAPE
        return shape if isinstance(shape, str) else DEFAULT_SHAPE

    def parameters(self, name: str) -> list[Parameter]:
        body = self.raw.get(name)
        params = body.get("parameters") if isinstance(body, LMap) else None
        if not isinstance(params, LMap):
            return []
        out = []
        for key, value in params.items():
            if isinstance(value, LMap) and "from_stack" in value:
                source = f"(from the stack: {value.get('from_stack')})"
                out.append(Parameter(key, source, str(value.get("description", ""))))
            elif isinstance(value, LMap):
                out.append(Parameter(key, value.get("default"), str(value.get("description", ""))))
            else:
                out.append(Parameter(key, value))
        return out

    def check_overrides(self, name: str, overrides: list[str]) -> list[Problem]:
        """``--set`` items checked against scenario ``name``'s parameters as the file writes
        them: no stack needed, so a command refuses a wrong one before it compiles."""
        body = self.raw.get(name)
        params = body.get("parameters") if isinstance(body, LMap) else None
        return check_overrides(params, overrides, name)


def load_file(path: Path, stack: Any = None) -> tuple[ScenarioFile | None, list[Problem]]:
    """Read the file and check its top level (version, aliases, scenario names).

    ``stack`` is the post's compiled stack (shape ``sqs``), or a mapping of shape name ->
    compiled stack; a scenario on a shape with no stack given is checked against the
    shape's contract names (looplab.scenarios._shapes), one on ``sqs`` against the aliases.
    """
    tree, problems = load_yaml(path)
    ctx = Context(str(path), stack=_names(stack), problems=problems)
    if problems:
        return None, ctx.problems
    if not isinstance(tree, LMap):
        ctx.error(
            getattr(tree, "line", 1),
            f"the file must be a mapping with keys {', '.join(TOP_KEYS)}; got {type_name(tree)}",
        )
        return None, ctx.problems
    ctx.keys(tree, TOP_KEYS, ("version", "scenarios"), "the top level")
    version = tree.get("version", 1)
    # type(): True == 1 and 1.0 == 1 in Python, but neither is the integer a version is.
    if type(version) is not int or version != 1:
        kind = "" if type(version) is int else f"{type_name(version)}; "
        ctx.error(
            tree.line_of("version"), f"unsupported version {shown(version)} ({kind}allowed: 1)"
        )
    ctx.aliases = _aliases(ctx, tree.get("aliases"), tree.line_of("aliases"))
    raw = tree.get("scenarios")
    if not isinstance(raw, LMap) or not raw:
        if "scenarios" in tree:
            ctx.error(
                tree.line_of("scenarios"), "'scenarios' must be a mapping of name -> scenario"
            )
        return None, ctx.problems
    for name in raw:
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            ctx.error(
                raw.key_line(name),
                f"scenario name {name!r} must be letters, digits, "
                "'.', '_' or '-' (it names the run's folder)",
            )
    return ScenarioFile(path, ctx.aliases, raw), ctx.problems


def validate_file(path: Path, stack: Any = None) -> ScenarioFile:
    """Check the whole file, every scenario with its defaults; raise with every problem."""
    sfile, problems = load_file(path, stack)
    if sfile is not None:
        for name in sfile.names:
            problems += _build(sfile, name, {}, stack)[1]
    if problems:
        raise ScenarioError(problems)
    assert sfile is not None
    return sfile


def build_scenario(
    sfile: ScenarioFile,
    name: str,
    overrides: list[str] | dict[str, str] | None = None,
    stack: Any = None,
) -> Scenario:
    """The scenario ``name`` with ``overrides`` (``k=v`` strings) applied; raise on problems."""
    if name not in sfile.raw:
        raise ScenarioError([Problem(str(sfile.path), 0, unknown("scenario", name, sfile.names))])
    scenario, problems = _build(sfile, name, overrides or {}, stack)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def _names(stack: Any) -> StackNames | None:
    """Every name the aliases may target: one stack's, or all shapes' together."""
    if not isinstance(stack, Mapping):
        return None if stack is None else StackNames.from_stack(stack)
    each = [_shape_names(shape, stack) or SHAPES[shape].names for shape in SHAPES]
    return StackNames(
        **{
            f: frozenset().union(*(getattr(n, f) for n in each))
            for f in ("queues", "functions", "mappings", "mapping_ids", "topics", "buckets")
        }
    )


def _shape_names(shape: str, stack: Any) -> StackNames | None:
    """The names a scenario on ``shape`` is checked against (see load_file)."""
    given = stack.get(shape) if isinstance(stack, Mapping) else None
    if not isinstance(stack, Mapping) and shape == DEFAULT_SHAPE:
        given = stack
    if given is not None:
        return StackNames.from_stack(given)
    return None if shape == DEFAULT_SHAPE else SHAPES[shape].names


def _shape(ctx: Context, body: LMap) -> str | None:
    shape = body.get("stack", DEFAULT_SHAPE)
    if unresolved(shape):
        return None
    if not isinstance(shape, str) or shape not in SHAPES:  # a list is unhashable: check first
        ctx.error(body.line_of("stack"), unknown("stack (loop shape)", shape, SHAPES))
        return None
    return shape


def _aliases(ctx: Context, raw: Any, line: int) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, LMap):
        ctx.error(line, "'aliases' must be a mapping of short name -> template logical ID")
        return {}
    out = {}
    for short, target in raw.items():
        if not isinstance(short, str) or not isinstance(target, str):
            ctx.error(raw.key_line(short), f"alias {short!r}: both sides must be names")
            continue
        if ctx.stack is not None and target not in ctx.stack.all_ids:
            ctx.error(
                raw.line_of(short),
                unknown("logical ID", target, ctx.stack.all_ids) + " in the compiled template",
            )
            continue
        out[short] = target
    return out


def _build(
    sfile: ScenarioFile, name: str, overrides: list[str] | dict[str, str], stack: Any
) -> tuple[Scenario | None, list[Problem]]:
    ctx = Context(str(sfile.path), aliases=sfile.aliases)
    ctx.where = f"scenario {name!r}"
    body = ctx.mapping(sfile.raw[name], f"scenario {name!r}", sfile.raw.line_of(name))
    if body is None:
        return None, ctx.problems
    shape = _shape(ctx, body)
    if shape is None:
        return None, ctx.problems
    ctx.stack = _shape_names(shape, stack)
    ctx.keys(body, SCENARIO_KEYS, ("description", "steps"), "a scenario")
    description = body.get("description")
    if "description" in body and not isinstance(description, str):
        ctx.error(body.line_of("description"), "'description' must be a string")
    refs: dict[str, StackRef] = {}
    params = read_parameters(ctx, body.get("parameters"), body.line_of("parameters"), refs)
    params = apply_overrides(ctx, params, overrides, refs)
    resolved = substitute(ctx, body, params)
    ctx.snapshot_lines = _snapshot_names(ctx, resolved)
    taken: set[str] = set()  # grows in step order: a check reads only what was taken before
    steps = _step_list(ctx, resolved, "steps", taken, required=True)
    final = _step_list(ctx, resolved, "finally", taken, required=False)
    stop = _stop_when(ctx, resolved.get("stop_when"), resolved.line_of("stop_when"))
    if ctx.problems:
        return None, ctx.problems
    scenario = Scenario(
        name=name,
        description=" ".join(str(description).split()),
        parameters=params,
        steps=tuple(steps),
        finally_=tuple(final),
        stop_when=tuple(stop),
        file=str(sfile.path),
        line=body.line,
        stack=shape,
    )
    return scenario, []


def _snapshot_names(ctx: Context, body: LMap) -> dict[str, int]:
    """Every snapshot name with its line, in step order; a name used twice is a problem."""
    names: dict[str, int] = {}
    for key in ("steps", "finally"):
        items = body.get(key)
        for item in items if isinstance(items, LList) else ():
            label, line = _snapshot_label(item)
            if label is None:
                continue
            if label in names:
                ctx.error(
                    line,
                    f"snapshot name {label!r} is used twice (first on line {names[label]}); "
                    "a check could not tell which one it reads",
                )
                continue
            names[label] = line
    return names


def _snapshot_label(item: Any) -> tuple[str | None, int]:
    return snapshot_label(item)  # the kind that takes a snapshot name knows its key


def _step_list(
    ctx: Context, body: LMap, key: str, snapshots: set[str], *, required: bool
) -> list[Step]:
    raw = body.get(key)
    if raw is None:
        if key in body or required:
            ctx.error(body.line_of(key), f"'{key}' must be a non-empty list of steps")
        return []
    if not isinstance(raw, LList) or not raw:
        ctx.error(body.line_of(key), f"'{key}' must be a non-empty list of steps")
        return []
    out = []
    base = ctx.where
    for index, item in enumerate(raw):
        kind = next(iter(item), "?") if isinstance(item, LMap) else "?"
        ctx.where = f"{base}, {key} {index + 1} ({kind})"
        step = check_step(ctx, item, raw.line_of(index), snapshots)
        if step is not None:
            out.append(step)
        label, _ = _snapshot_label(item)
        if label is not None:
            snapshots.add(label)
    ctx.where = base
    return out


def _stop_when(ctx: Context, raw: Any, line: int) -> list:
    if raw is None:
        return []
    items = raw if isinstance(raw, LList) else LList(line)
    if not isinstance(raw, LList):
        ctx.error(line, "'stop_when' must be a list of conditions (any one stops the run)")
    out = []
    for index, item in enumerate(items):
        cond = check_condition(ctx, item, items.line_of(index), set())
        if cond is not None:
            out.append(cond)
    return out
