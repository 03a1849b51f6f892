"""Resolve CloudFormation intrinsic functions against a stack's own (local) resources.

The simulator runs the template that ``sls package`` compiled, so it has to give each
resource the identity AWS would (URL, ARN, name) and resolve ``Ref``, ``Fn::GetAtt``,
``Fn::Sub``, ``Fn::Join``, ``Fn::Select`` and ``Fn::Split`` to them. Anything else
(``Fn::ImportValue``, conditions, custom resources' attributes) is refused with the
property path, rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class TemplateError(ValueError):
    """The template uses something the simulator cannot resolve; the message says where."""


Lookup = Callable[[str, str | None, str], Any]
"""``lookup(logical_id, attribute_or_None, path)``: a Ref (attribute None) or a GetAtt."""


def resolve(value: Any, lookup: Lookup, path: str = "") -> Any:
    """Return ``value`` with every intrinsic function replaced by its local value."""
    if isinstance(value, list):
        return [resolve(v, lookup, f"{path}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return lookup(_need_str(arg, path, key), None, path)
        if key == "Fn::GetAtt":
            logical_id, attribute = _getatt_args(arg, path)
            return lookup(logical_id, attribute, path)
        if key == "Fn::Sub":
            return _sub(arg, lookup, path)
        if key == "Fn::Join":
            sep, items = _pair(arg, path, key)
            parts = resolve(items, lookup, path)
            return str(sep).join(str(p) for p in parts)
        if key == "Fn::Select":
            index, items = _pair(arg, path, key)
            return resolve(items, lookup, path)[int(resolve(index, lookup, path))]
        if key == "Fn::Split":
            sep, text = _pair(arg, path, key)
            return str(resolve(text, lookup, path)).split(sep)
        if key.startswith("Fn::") or key == "Condition":
            raise TemplateError(f"{path}: {key} is not supported by the local simulator")
    return {k: resolve(v, lookup, f"{path}.{k}" if path else k) for k, v in value.items()}


def _sub(arg: Any, lookup: Lookup, path: str) -> str:
    if isinstance(arg, list):
        text, variables = _pair(arg, path, "Fn::Sub")
        local = {k: resolve(v, lookup, path) for k, v in dict(variables).items()}
    else:
        text, local = _need_str(arg, path, "Fn::Sub"), {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in local:
            return str(local[name])
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return str(lookup(logical_id, attribute, path))
        return str(lookup(name, None, path))

    # ${!Literal} is CloudFormation's escape for a literal "${Literal}".
    return _SUB_VAR.sub(replace, text).replace("${!", "${")


def _getatt_args(arg: Any, path: str) -> tuple[str, str]:
    if isinstance(arg, str) and "." in arg:
        logical_id, attribute = arg.split(".", 1)
        return logical_id, attribute
    if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
        return arg[0], arg[1]
    raise TemplateError(f"{path}: Fn::GetAtt needs [LogicalId, Attribute], got {arg!r}")


def _pair(arg: Any, path: str, key: str) -> tuple[Any, Any]:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError(f"{path}: {key} needs a list of two items, got {arg!r}")
    return arg[0], arg[1]


def _need_str(arg: Any, path: str, key: str) -> str:
    if not isinstance(arg, str):
        raise TemplateError(f"{path}: {key} needs a string, got {arg!r}")
    return arg
