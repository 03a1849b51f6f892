"""``--param`` and ``--sim``: stack parameters and simulator parameters from the command line.

``--param key=value`` is what ``sls --param`` takes: the value reaches the compiled stack
(``looplab.stack.load_stack(params=...)``, whose cache is keyed on it). It is checked first
against serverless.yml: the name must be one the file declares (``params.default``) or reads
(``${param:name}``), and the value must fit the declared default's type (an integer, true or
false) or, for a parameter that feeds an enumerated CloudFormation property, one of its
values. ``--sim field=value`` sets one :class:`looplab.sim.SimParams` field, parsed by the
field's type. Both raise :class:`OverrideError` (exit 2) naming the item, the expected kind
and, for a misspelt name, the closest one.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from looplab.scenarios import unknown

__all__ = [
    "OverrideError",
    "StackParam",
    "command_overrides",
    "parse_sim",
    "parse_stack_params",
    "stack_params",
]

_REFERENCE = re.compile(r"\$\{param:([A-Za-z0-9_]+)\}")
# CloudFormation properties with a closed set of values: a parameter that feeds one is
# checked against it (the only such parameter today: recursiveLoop).
_ENUM_PROPERTIES: dict[str, tuple[str, ...]] = {"RecursiveLoop": ("Allow", "Terminate")}
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class OverrideError(ValueError):
    """A ``--param`` or ``--sim`` item that cannot be applied (bad input: exit 2)."""


@dataclass(frozen=True)
class StackParam:
    name: str
    default: Any = None  # None: read by the file but given no default
    choices: tuple[str, ...] = ()


def _pair(option: str, item: str) -> tuple[str, str]:
    key, sep, value = str(item).partition("=")
    if not sep or not key.strip():
        raise OverrideError(f"{option} expects key=value, got {item!r}")
    return key.strip(), value.strip()


# -- --sim --------------------------------------------------------------------------------


def parse_sim(items: Sequence[str]) -> dict[str, Any]:
    """``--sim`` items -> SimParams overrides, each value of its field's type."""
    from looplab.sim import SimParams

    hints = typing.get_type_hints(SimParams)
    fields = [f.name for f in dataclasses.fields(SimParams)]
    out: dict[str, Any] = {}
    for item in items:
        key, text = _pair("--sim", item)
        if key not in hints:
            raise OverrideError(f"--sim {item}: " + unknown("simulator parameter", key, fields))
        out[key] = _typed(f"--sim {key}", text, hints[key])
    return out


def _typed(where: str, text: str, kind: Any) -> Any:
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in args:
        if text.lower() in ("none", "null"):
            return None
        [kind] = [a for a in args if a is not type(None)]
        return _typed(where, text, kind)
    if typing.get_origin(kind) is Literal:
        if text in args:
            return text
        raise OverrideError(f"{where}: " + unknown("value", text, [str(a) for a in args]))
    if kind is bool:
        return _boolean(where, text)
    if kind is int:
        return _number(where, text, integer=True)
    if kind is float:
        return float(_number(where, text, integer=False))
    if typing.get_origin(kind) is tuple:
        parts = [p for p in text.split(",")]
        if len(parts) != 2:
            raise OverrideError(
                f"{where} expects two numbers low,high (e.g. 0.1,0.2), got {text!r}"
            )
        low, high = (float(_number(where, p.strip(), integer=False)) for p in parts)
        if low > high:
            raise OverrideError(f"{where} expects low <= high, got {text!r}")
        return (low, high)
    raise OverrideError(f"{where}: its type {kind!r} cannot be set from the command line")


def _boolean(where: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise OverrideError(f"{where} expects true or false, got {text!r}")


def _number(where: str, text: str, *, integer: bool) -> int | float:
    # Every number a simulator or stack parameter takes is a count or a duration: >= 0.
    kind = "an integer" if integer else "a finite number"
    try:
        value: int | float = int(text, 10) if integer else float(text)
    except ValueError:
        raise OverrideError(f"{where} expects {kind}, got {text!r}") from None
    if not math.isfinite(value):
        raise OverrideError(f"{where} expects a finite number, got {text!r}")
    if value < 0:
        raise OverrideError(f"{where} must be at least 0, got {text!r}")
    return value


# -- --param ------------------------------------------------------------------------------


class _AnyTag(yaml.SafeLoader):
    """Reads serverless.yml whatever CloudFormation tags (!Ref, !GetAtt) it holds."""


_AnyTag.add_multi_constructor("!", lambda loader, suffix, node: None)


def stack_params(project: Path) -> dict[str, StackParam]:
    """The stack parameters serverless.yml declares or reads, with their defaults."""
    path = Path(project) / "serverless.yml"
    try:
        text = path.read_text()
        doc = yaml.load(text, Loader=_AnyTag) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise OverrideError(f"--param: cannot read {path}: {exc}") from exc
    defaults = ((doc.get("params") or {}).get("default") or {}) if isinstance(doc, dict) else {}
    choices: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        prop, _, value = line.strip().partition(":")
        match = _REFERENCE.fullmatch(value.strip())
        if match and prop in _ENUM_PROPERTIES:
            choices[match.group(1)] = _ENUM_PROPERTIES[prop]
    names = {*defaults, *_REFERENCE.findall(text)}
    return {n: StackParam(n, defaults.get(n), choices.get(n, ())) for n in sorted(names)}


def parse_stack_params(items: Sequence[str], declared: dict[str, StackParam]) -> dict[str, str]:
    """``--param`` items -> {name: value as text} (what ``sls --param`` is given)."""
    out: dict[str, str] = {}
    for item in items:
        key, text = _pair("--param", item)
        param = declared.get(key)
        if param is None:
            raise OverrideError(
                f"--param {item}: "
                + unknown("stack parameter", key, declared)
                + " (from serverless.yml's params and ${param:...} references)"
            )
        where = f"--param {key}"
        if param.choices and text not in param.choices:
            raise OverrideError(f"{where}: " + unknown("value", text, param.choices))
        default = param.default
        if isinstance(default, bool):
            text = str(_boolean(where, text)).lower()
        elif isinstance(default, int):
            text = str(_number(where, text, integer=True))
        elif isinstance(default, float):
            _number(where, text, integer=False)
        elif not text:
            raise OverrideError(f"{where} expects a value, got nothing")
        out[key] = text
    return out


def command_overrides(
    project: Path, backend: str, stage: str, params: Sequence[str], sim: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``--param`` and ``--sim`` checked, as the stack, the backend and the journal take them:
    ``{"stack_params": {name: text}, "simulator": {field: value}}``. Both are local-only."""
    given = parse_stack_params(params, stack_params(project)) if params else {}
    sim_overrides = parse_sim(sim) if sim else {}
    if backend == "aws" and given:
        flags = " ".join(f"--param {k}={v}" for k, v in given.items())
        raise OverrideError(
            "--param cannot change a deployed stack: its parameters are fixed at deploy. "
            f"Redeploy with them: invoke deploy {flags} --stage {stage}; then run the "
            "scenario without --param"
        )
    if backend == "aws" and sim_overrides:
        raise OverrideError(
            "--sim sets the local simulator's parameters; --backend aws runs on AWS, which "
            "has none to set (drop --sim, or run with --backend local)"
        )
    return {"stack_params": given, "simulator": sim_overrides}
