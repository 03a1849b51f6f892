"""A scenario's parameters: their defaults, ``--set`` overrides, and ``${name}`` substitution.

Its own module because a parameter is a small language of its own, with its own problems:
a name must be an identifier, a default a finite scalar (or a value read from the stack,
which ``--set`` may not override), an override text is read as the default's type, and a
``${name}`` that is the whole string keeps that type. Problems go into the scenario's
Context like every other (command-line ones under ``--set``, line 0).
"""

from __future__ import annotations

import math
import re
from typing import Any

from looplab.scenarios._context import Context, Unresolved, type_name
from looplab.scenarios._errors import Problem, shown, unknown
from looplab.scenarios._load import LList, LMap, load_yaml_text
from looplab.scenarios._stack_ref import FROM_STACK_KEYS, StackRef, read_stack_ref, stack_refusal

__all__ = [
    "MAX_VALUE_CHARS",
    "apply_overrides",
    "check_overrides",
    "read_parameters",
    "substitute",
]

PARAM_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REF_RE = re.compile(r"\$\{([^}]*)\}")
COMMAND_LINE = "--set"
# Characters of one command-line value (--set, --param, --sim, --name ...). Below Python's
# 4,300-digit limit, so no integer text that passes it makes int() raise; far above any
# name or number; a longer string belongs in the scenario file, not on the command line.
MAX_VALUE_CHARS = 4096


def read_parameters(
    ctx: Context, raw: Any, line: int, refs: dict[str, StackRef] | None = None
) -> dict[str, Any]:
    """Parameter defaults; one read from the stack also goes into ``refs``."""
    if raw is None:
        return {}
    if not isinstance(raw, LMap):
        ctx.error(line, "'parameters' must be a mapping of name -> default value")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not PARAM_RE.fullmatch(key):
            ctx.error(raw.key_line(key), f"parameter name {key!r} must be a plain identifier")
            continue
        if isinstance(value, LMap) and "from_stack" in value:
            ctx.keys(value, FROM_STACK_KEYS, ("from_stack",), f"parameter {key!r}")
            ref = read_stack_ref(ctx, key, value, raw.line_of(key))
            if ref is None:  # reported once: its uses say nothing more
                out[key] = Unresolved(f"${{{key}}}")
                continue
            out[key] = ref.value
            if refs is not None:
                refs[key] = ref
            continue
        if isinstance(value, LMap):
            ctx.keys(value, ("default", "description"), ("default",), f"parameter {key!r}")
            value = value.get("default")
        if value is None or isinstance(value, (LMap, LList)):
            ctx.error(
                raw.line_of(key),
                f"parameter {key!r} needs a default: a number, a string "
                f"or a boolean, got {type_name(value)}",
            )
            continue
        if isinstance(value, float) and not math.isfinite(value):
            ctx.error(raw.line_of(key), f"parameter {key!r} must be a finite number, got {value}")
            continue
        out[key] = value
    return out


def apply_overrides(
    ctx: Context,
    params: dict[str, Any],
    overrides: list[str] | dict[str, str],
    refs: dict[str, StackRef] | None = None,
) -> dict[str, Any]:
    """``params`` with ``overrides`` applied, each read as its default's type; each bad one
    is a problem under ``--set``."""
    refs = refs or {}

    def refusal(key: str, text: str) -> str | None:
        return refs[key].refusal(key, text) if key in refs else None

    return _read_overrides(ctx.problems, params, overrides, refusal, ctx.where)


def check_overrides(
    raw: Any, overrides: list[str] | dict[str, str], scenario: str
) -> list[Problem]:
    """The problems of ``overrides`` against the parameters as the file writes them (``raw``,
    no stack needed): the command checks ``--set`` with this before it compiles anything.
    A parameter read from the stack is refused as :func:`apply_overrides` refuses it."""
    defaults: dict[str, Any] = {}
    from_stack: dict[str, LMap] = {}
    for key, value in raw.items() if isinstance(raw, LMap) else ():
        if isinstance(value, LMap) and "from_stack" in value:
            from_stack[key] = value
            defaults[key] = None
        else:
            defaults[key] = value.get("default") if isinstance(value, LMap) else value

    def refusal(key: str, text: str) -> str | None:
        spec = from_stack.get(key)
        if spec is None:
            return None
        param = spec.get("stack_param")
        return stack_refusal(
            key, text, str(spec.get("from_stack")), param if isinstance(param, str) else None
        )

    problems: list[Problem] = []
    _read_overrides(problems, defaults, overrides, refusal, f"scenario {scenario!r}")
    return problems


def _read_overrides(
    problems: list[Problem],
    params: dict[str, Any],
    overrides: list[str] | dict[str, str],
    refusal: Any,
    where: str,
) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = []
    if isinstance(overrides, dict):
        pairs = [(str(k), str(v)) for k, v in overrides.items()]
    else:
        for text in overrides:
            key, sep, value = str(text).partition("=")
            if not sep or not key.strip():
                problems.append(Problem(COMMAND_LINE, 0, f"{shown(text)} is not key=value"))
                continue
            pairs.append((key.strip(), value))
    out = dict(params)
    for key, text in pairs:
        if key not in params:
            message = unknown("parameter", key, params) + f" for {where.split(', ')[0]}"
            problems.append(Problem(COMMAND_LINE, 0, message))
            continue
        if len(text) > MAX_VALUE_CHARS:
            message = (
                f"parameter {key!r}: got {shown(text)}; a command-line value has at most "
                f"{MAX_VALUE_CHARS:,} characters (write a longer one in the scenario file)"
            )
            problems.append(Problem(COMMAND_LINE, 0, message))
            continue
        refused = refusal(key, text)
        if refused is not None:
            problems.append(Problem(COMMAND_LINE, 0, refused))
            continue
        value, reason = _coerce(text, params[key])
        if reason is not None:
            problems.append(
                Problem(
                    COMMAND_LINE,
                    0,
                    f"parameter {key!r} expects {_kind_of(params[key])} like "
                    f"{shown(params[key])}, got {shown(text)}" + (f": {reason}" if reason else ""),
                )
            )
            continue
        out[key] = value
    return out


def _kind_of(default: Any) -> str:
    """What ``--set`` accepts for a parameter with this default."""
    if isinstance(default, int) and not isinstance(default, bool):
        return "an integer"
    return type_name(default)


def _coerce(text: str, default: Any) -> tuple[Any, str | None]:
    """``--set`` text (at most MAX_VALUE_CHARS) as the default's type: (value, None), or
    (None, why not: "" when the type alone says it). The text is read by the scenario
    file's own bounded YAML reader (depth, digits, control characters), never by a
    recursive one: its nesting is the user's to choose."""
    if isinstance(default, str):
        return text, None
    value, found = load_yaml_text(text, COMMAND_LINE)
    if found:
        return None, found[0].message
    if isinstance(default, bool):
        return (value, None) if isinstance(value, bool) else (None, "")
    if isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else (None, "")
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (float(value), None) if ok and math.isfinite(float(value)) else (None, "")
    return None, ""


def substitute(ctx: Context, node: Any, params: dict[str, Any], line: int = 0) -> Any:
    """Replace ``${name}``: a whole-string reference keeps the parameter's type."""
    if isinstance(node, LMap):
        out = LMap(node.line)
        out.key_lines, out.value_lines = node.key_lines, node.value_lines
        for key, value in node.items():
            if key in ("parameters", "description"):
                out[key] = value
            else:
                out[key] = substitute(ctx, value, params, node.line_of(key))
        return out
    if isinstance(node, LList):
        seq = LList(node.line)
        seq.item_lines = node.item_lines
        seq.extend(substitute(ctx, v, params, node.line_of(i)) for i, v in enumerate(node))
        return seq
    if not isinstance(node, str) or "${" not in node:
        return node
    for ref in REF_RE.findall(node):
        if ref not in params:
            ctx.error(line, unknown("parameter", ref, params) + f" in {node!r}")
            return Unresolved(node)  # reported once: later checks skip it
    whole = REF_RE.fullmatch(node)
    if whole:
        return params[whole.group(1)]
    return REF_RE.sub(lambda m: str(params[m.group(1)]), node)
