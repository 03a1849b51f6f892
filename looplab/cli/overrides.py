"""``--param`` and ``--sim``: stack parameters and simulator parameters from the command line.

``--param key=value`` is what ``sls --param`` takes: the value reaches the compiled stack
(``looplab.stack.load_stack(params=...)``, whose cache is keyed on it). It is checked first
against serverless.yml: the name must be one the file declares (``params.default``) or reads
(``${param:name}``), and the value must fit the declared default's type (an integer, true or
false) or, for a parameter that feeds an enumerated CloudFormation property, one of its
values. ``--sim field=value`` sets one :class:`looplab.sim.SimParams` field, read by the
field's declared kind (its range or choices: looplab.sim.params). Both raise
:class:`OverrideError` (exit 2) naming the item, the expected kind and, for a misspelt name,
the closest one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from looplab.backends.registry import BACKENDS, Override, accepting
from looplab.scenarios import MAX_VALUE_CHARS, load_yaml_text, read_text, shown, unknown

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


class OverrideError(ValueError):
    """A ``--param`` or ``--sim`` item that cannot be applied (bad input: exit 2)."""


@dataclass(frozen=True)
class StackParam:
    name: str
    default: Any = None  # None: read by the file but given no default
    choices: tuple[str, ...] = ()


def _pair(option: str, item: str) -> tuple[str, str]:
    """``key=value`` split; the value bounded (MAX_VALUE_CHARS) before anything reads it."""
    text = str(item)
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise OverrideError(f"{option} expects key=value, got {shown(text)}")
    key, value = key.strip(), value.strip()
    if len(value) > MAX_VALUE_CHARS:
        raise OverrideError(
            f"{option} {key if len(key) <= 100 else shown(key)}: got {shown(value)}; "
            "a command-line value has at most "
            f"{MAX_VALUE_CHARS:,} characters"
        )
    return key, value


# -- --sim --------------------------------------------------------------------------------


def parse_sim(items: Sequence[str]) -> dict[str, Any]:
    """``--sim`` items -> SimParams overrides, each read by its field's declared kind
    (looplab.sim.params: the field's range or choices, and its message)."""
    from looplab.sim.params import field_kinds, parse_field

    kinds = field_kinds()
    out: dict[str, Any] = {}
    for item in items:
        key, text = _pair("--sim", item)
        if key not in kinds:
            raise OverrideError("--sim: " + unknown("simulator parameter", key, kinds))
        try:
            out[key] = parse_field(key, text)
        except ValueError as exc:
            raise OverrideError(f"--sim {exc}") from None
    return out


def _boolean(where: str, text: str) -> bool:
    from looplab.sim.params import Flag  # the spellings --sim's booleans take, too

    try:
        return Flag().parse(text)
    except ValueError:
        raise OverrideError(f"{where} expects true or false, got {shown(text)}") from None


def _number(where: str, text: str, *, integer: bool) -> int | float:
    # Every number a stack parameter takes is a count or a duration: >= 0. ``text`` is at
    # most MAX_VALUE_CHARS (_pair), below Python's 4,300-digit limit for int().
    kind = "an integer" if integer else "a finite number"
    try:
        value: int | float = int(text, 10) if integer else float(text)
    except ValueError:
        raise OverrideError(f"{where} expects {kind}, got {shown(text)}") from None
    if not math.isfinite(value):
        raise OverrideError(f"{where} expects a finite number, got {shown(text)}")
    if value < 0:
        raise OverrideError(f"{where} must be at least 0, got {shown(text)}")
    return value


# -- --param ------------------------------------------------------------------------------


def stack_params(project: Path) -> dict[str, StackParam]:
    """The stack parameters serverless.yml declares or reads, with their defaults.

    Read with the scenario file's bounded loader (size, nesting, aliases, digits: the file
    is the user's, and ``--param`` must not crash on it), CloudFormation's tags ignored."""
    path = Path(project) / "serverless.yml"
    text, problems = read_text(path, "serverless.yml")
    doc: Any = None
    if text is not None:
        doc, problems = load_yaml_text(text, str(path), tags="ignore")
    if problems or text is None:
        raise OverrideError(f"--param: cannot read {problems[0]}")
    defaults = ((doc.get("params") or {}).get("default") or {}) if isinstance(doc, dict) else {}
    if not isinstance(defaults, dict):
        raise OverrideError(f"--param: {path}'s params.default is not a mapping")
    choices: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        prop, _, value = line.strip().partition(":")
        match = _REFERENCE.fullmatch(value.strip())
        if match and prop in _ENUM_PROPERTIES:
            choices[match.group(1)] = _ENUM_PROPERTIES[prop]
    names = {*(str(n) for n in defaults), *_REFERENCE.findall(text)}
    return {n: StackParam(n, defaults.get(n), choices.get(n, ())) for n in sorted(names)}


def parse_stack_params(items: Sequence[str], declared: dict[str, StackParam]) -> dict[str, str]:
    """``--param`` items -> {name: value as text} (what ``sls --param`` is given)."""
    out: dict[str, str] = {}
    for item in items:
        key, text = _pair("--param", item)
        param = declared.get(key)
        if param is None:
            raise OverrideError(
                "--param: "
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
    ``{"stack_params": {name: text}, "simulator": {field: value}}``. Each only for a backend
    the registry says accepts it (looplab.backends.registry: the local simulator)."""
    given = parse_stack_params(params, stack_params(project)) if params else {}
    sim_overrides = parse_sim(sim) if sim else {}
    kind = BACKENDS.get(backend)
    if kind is None:
        raise OverrideError(unknown("backend", backend, BACKENDS))
    if Override.PARAM not in kind.overrides and given:
        flags = " ".join(f"--param {k}={v}" for k, v in given.items())
        raise OverrideError(
            "--param cannot change a deployed stack: its parameters are fixed at deploy. "
            f"Redeploy with them: invoke deploy {flags} --stage {stage}; then run the "
            "scenario without --param"
        )
    if Override.SIM not in kind.overrides and sim_overrides:
        takers = " or ".join(accepting(Override.SIM))
        raise OverrideError(
            f"--sim sets the simulator's parameters; --backend {backend} runs on {kind.label}, "
            f"which has none to set (drop --sim, or run with --backend {takers})"
        )
    return {"stack_params": given, "simulator": sim_overrides}
