"""A scenario parameter read from the compiled stack: a value the stack holds has one home.

``cap: {from_stack: recursive.environment.COUNTER_CAP, stack_param: counterCap}`` takes the
value of the function's environment variable as compiled (so ``--param counterCap=50``
moves both the handler's cap and the scenario's checks), and ``--set cap=...`` is refused:
a second copy that could disagree with the stack is what this replaces. ``stack_param``
(optional) names the stack parameter that sets it, for the refusal's hint.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from looplab.scenarios._context import Context
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import load_yaml_text

__all__ = ["FROM_STACK_KEYS", "StackRef", "read_stack_ref", "stack_refusal"]

FROM_STACK_KEYS = ("from_stack", "stack_param", "description")
_REF = re.compile(r"(?P<function>[^.\s]+)\.environment\.(?P<variable>[A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class StackRef:
    ref: str  # as written
    function: str  # the function's logical ID
    variable: str
    value: Any
    stack_param: str | None = None

    def source(self) -> str:
        return f"{self.function}'s environment variable {self.variable} = {self.value!r}"

    def refusal(self, name: str, text: str) -> str:
        return stack_refusal(name, text, self.source(), self.stack_param)


def stack_refusal(name: str, text: str, source: str, stack_param: str | None) -> str:
    """Why ``--set name=text`` is refused for a parameter read from the stack (``source``:
    where, as far as it is known), and how to change it instead."""
    how = (
        f"change the stack instead: --param {stack_param}={text}"
        if stack_param
        else "change the stack's value instead (serverless.yml)"
    )
    return f"parameter {name!r} is read from the stack ({source}), so --set cannot change it; {how}"


def read_stack_ref(ctx: Context, name: str, spec: Any, line: int) -> StackRef | None:
    """The parameter's value from the stack, or None (the problem is reported)."""
    ref = spec.get("from_stack")
    match = _REF.fullmatch(ref) if isinstance(ref, str) else None
    if match is None:
        ctx.error(
            line,
            f"parameter {name!r}: from_stack must be '<function>.environment.<VARIABLE>' "
            f"(e.g. recursive.environment.COUNTER_CAP), got {ref!r}",
        )
        return None
    stack_param = spec.get("stack_param")
    if stack_param is not None and not isinstance(stack_param, str):
        ctx.error(line, f"parameter {name!r}: stack_param must be a stack parameter's name")
        return None
    function = ctx.resolve(match["function"], "function", line)
    if function is None:
        return None
    if ctx.stack is None:
        ctx.error(line, f"parameter {name!r} is read from the stack ({ref}): needs the stack")
        return None
    env = ctx.stack.environments.get(function, {})
    variable = match["variable"]
    if variable not in env:
        what = f"environment variable of {function}"
        ctx.error(line, f"parameter {name!r}: " + unknown(what, variable, env))
        return None
    return StackRef(ref, function, variable, _typed(env[variable]), stack_param)


def _typed(text: str) -> Any:
    """An environment value as the number it spells (checks compare numbers), else text.

    Read with the scenarios' bounded YAML reader: the value comes from the compiled
    template, where it may nest thousands deep (yaml.safe_load raised RecursionError)."""
    value, problems = load_yaml_text(text)
    if problems:
        return text
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text
    return value if math.isfinite(value) else text
