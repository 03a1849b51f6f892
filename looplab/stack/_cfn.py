"""Resolve CloudFormation intrinsic functions against a stack's own (local) resources.

The simulator runs the template that ``sls package`` compiled, so it has to give each
resource the identity AWS would (URL, ARN, name) and resolve ``Ref``, ``Fn::GetAtt``,
``Fn::Sub``, ``Fn::Join``, ``Fn::Select`` and ``Fn::Split`` to them. Anything else
(``Fn::ImportValue``, ``Fn::FindInMap``, conditions, custom resources' attributes) is
refused with the property path, rather than guessed.

A template is input: every malformed argument (an index out of range, a list where a
string belongs, a delimiter that is not a string) is a :class:`TemplateError` naming the
property path, as CloudFormation's own "Template error" would be, never a Python exception.
Recursion here follows the template's nesting, which :func:`check_depth` bounds first
(an iterative walk), so a 3,000-deep template is an error, not a RecursionError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from looplab._files import TooDeep, loads_json

__all__ = [
    "MAX_DEPTH",
    "Lookup",
    "TemplateError",
    "check_depth",
    "load_json",
    "references",
    "resolve",
    "scalar_text",
    "walk",
]

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")

MAX_DEPTH = 100
"""How deeply a template may nest objects and lists. The deepest real properties (an IAM
policy, a state machine definition, a filter pattern) nest ~10-30 levels; 100 is far past
them and far below Python's recursion limit (1,000 frames), which :func:`resolve` and
``json`` use about one of per level. CloudFormation documents no such limit, but a
template this deep is a mistake or an attack, and an error beats a RecursionError."""


class TemplateError(ValueError):
    """The template uses something the simulator cannot resolve; the message says where."""


Lookup = Callable[[str, str | None, str], Any]
"""``lookup(logical_id, attribute_or_None, path)``: a Ref (attribute None) or a GetAtt."""

_NO_VALUE = object()
"""``{"Ref": "AWS::NoValue"}``: the property (or list item) is removed, as CloudFormation does."""


def walk(value: Any, path: str) -> Iterator[tuple[Any, str, int]]:
    """Every node of ``value`` with its path and depth (``value`` itself at depth 0),
    iteratively: safe on any nesting. Children of a node come after it."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        node, at, depth = stack.pop()
        yield node, at, depth
        if isinstance(node, dict):
            stack.extend(
                (child, f"{at}.{key}" if at else str(key), depth + 1)
                for key, child in reversed(node.items())
            )
        elif isinstance(node, list):
            stack.extend(
                (child, f"{at}[{i}]", depth + 1) for i, child in reversed(list(enumerate(node)))
            )


def check_depth(value: Any, path: str, limit: int = MAX_DEPTH) -> None:
    """Refuse ``value`` if it nests deeper than ``limit`` levels (before anything recurses
    into it)."""
    for _, at, depth in walk(value, path):
        if depth > limit:
            shown = at if len(at) <= 160 else f"{at[:100]}...{at[-40:]}"
            raise TemplateError(f"{shown}: the template nests deeper than {limit} levels")


def load_json(text: str, where: str, limit: int = MAX_DEPTH) -> Any:
    """Parse JSON text that nests at most ``limit`` levels: deeper text is refused (with
    its line) before ``json`` recurses into it, and malformed text is a TemplateError.

    The depth is measured by looplab._files (brackets inside strings do not count; linear
    in the text, without recursion)."""
    try:
        return loads_json(text, depth=limit)
    except TooDeep as exc:
        raise TemplateError(
            f"{where}: the template nests deeper than {limit} levels (line {exc.line})"
        ) from None
    except ValueError as exc:
        raise TemplateError(f"{where}: not JSON ({exc})") from None


def references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """``(name, path)`` for every name ``value`` refers to through ``Ref``, ``Fn::GetAtt``
    or ``Fn::Sub`` (a resource, a parameter or a pseudo parameter): CloudFormation's
    implicit dependencies. A Sub's own variables and ``${!Literal}`` are not references."""
    for node, at, _ in walk(value, path):
        if not isinstance(node, dict) or len(node) != 1:
            continue
        ((key, arg),) = node.items()
        if key == "Ref" and isinstance(arg, str):
            yield arg, at
        elif key == "Fn::GetAtt":
            if isinstance(arg, str) and "." in arg:
                yield arg.split(".", 1)[0], at
            elif isinstance(arg, list) and arg and isinstance(arg[0], str):
                yield arg[0], at
        elif key == "Fn::Sub":
            text, local = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
            if not isinstance(text, str) or not isinstance(local, dict):
                continue  # malformed: resolve() says how, where it reads it
            for match in _SUB_VAR.finditer(text):
                name = match.group(1)
                if name in local:
                    continue
                yield (name if name.startswith("AWS::") else name.split(".", 1)[0]), at


def resolve(value: Any, lookup: Lookup, path: str = "") -> Any:
    """Return ``value`` with every intrinsic function replaced by its local value
    (``AWS::NoValue`` removes the property or list item that holds it)."""
    resolved = _resolve(value, lookup, path)
    return None if resolved is _NO_VALUE else resolved


def _resolve(value: Any, lookup: Lookup, path: str) -> Any:
    if isinstance(value, list):
        items = (_resolve(v, lookup, f"{path}[{i}]") for i, v in enumerate(value))
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            name = _need_str(arg, path, key)
            return _NO_VALUE if name == "AWS::NoValue" else lookup(name, None, path)
        if key == "Fn::GetAtt":
            logical_id, attribute = _getatt_args(arg, path)
            return lookup(logical_id, attribute, path)
        if key == "Fn::Sub":
            return _sub(arg, lookup, path)
        if key == "Fn::Join":
            return _join(arg, lookup, path)
        if key == "Fn::Select":
            return _select(arg, lookup, path)
        if key == "Fn::Split":
            delimiter, text = _pair(arg, path, key)
            delimiter = _delimiter(delimiter, path, key)
            text = _resolve(text, lookup, path)
            if not isinstance(text, str):
                raise TemplateError(f"{path}: Fn::Split needs a string to split, got {_kind(text)}")
            return text.split(delimiter)
        if key.startswith("Fn::") or key == "Condition":
            raise TemplateError(f"{path}: {key} is not supported by the local simulator")
    out = {}
    for k, v in value.items():
        item = _resolve(v, lookup, f"{path}.{k}" if path else str(k))
        if item is not _NO_VALUE:
            out[k] = item
    return out


def _join(arg: Any, lookup: Lookup, path: str) -> str:
    delimiter, items = _pair(arg, path, "Fn::Join")
    delimiter = _delimiter(delimiter, path, "Fn::Join")
    parts = _resolve(items, lookup, path)
    if not isinstance(parts, list):
        raise TemplateError(f"{path}: Fn::Join needs a list of values to join, got {_kind(parts)}")
    return delimiter.join(scalar_text(p, path, "Fn::Join") for p in parts)


def _select(arg: Any, lookup: Lookup, path: str) -> Any:
    raw_index, items = _pair(arg, path, "Fn::Select")
    index = _resolve(raw_index, lookup, path)
    if isinstance(index, str) and index.strip().lstrip("-").isdigit():
        index = int(index)  # a Number parameter's Ref is a string
    if isinstance(index, bool) or not isinstance(index, int):
        raise TemplateError(f"{path}: the Fn::Select index must be an integer, got {index!r}")
    chosen = _resolve(items, lookup, path)
    if not isinstance(chosen, list):
        raise TemplateError(f"{path}: Fn::Select needs a list to select from, got {_kind(chosen)}")
    if not 0 <= index < len(chosen):
        raise TemplateError(
            f"{path}: the Fn::Select index {index} is out of range "
            f"(the list has {len(chosen)} item{'' if len(chosen) == 1 else 's'})"
        )
    return chosen[index]


def _sub(arg: Any, lookup: Lookup, path: str) -> str:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        text, variables = arg
        if not isinstance(variables, dict):
            raise TemplateError(
                f"{path}: Fn::Sub's variables must be an object, got {_kind(variables)}"
            )
        local = {
            k: scalar_text(_resolve(v, lookup, path), path, f"Fn::Sub variable {k}")
            for k, v in variables.items()
        }
    elif isinstance(arg, str):
        text, local = arg, {}
    else:
        raise TemplateError(
            f"{path}: Fn::Sub needs a string, or a list of [string, {{variables}}], got {arg!r}"
        )

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in local:
            return local[name]
        if "." in name and not name.startswith("AWS::"):
            logical_id, attribute = name.split(".", 1)
            return scalar_text(lookup(logical_id, attribute, path), path, f"${{{name}}}")
        return scalar_text(lookup(name, None, path), path, f"${{{name}}}")

    # ${!Literal} is CloudFormation's escape for a literal "${Literal}".
    return _SUB_VAR.sub(replace, text).replace("${!", "${")


def scalar_text(value: Any, path: str, what: str) -> str:
    """``value`` as the string CloudFormation passes for it: a number as its digits, a
    boolean as ``true``/``false``; a list, an object or nothing is refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise TemplateError(f"{path}: {what} needs a string, got {_kind(value)}")


def _getatt_args(arg: Any, path: str) -> tuple[str, str]:
    if isinstance(arg, str) and "." in arg:
        logical_id, attribute = arg.split(".", 1)
        return logical_id, attribute
    if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
        return arg[0], arg[1]
    raise TemplateError(f"{path}: Fn::GetAtt needs [LogicalId, Attribute], got {arg!r}")


def _pair(arg: Any, path: str, key: str) -> tuple[Any, Any]:
    if not isinstance(arg, list) or len(arg) != 2:
        raise TemplateError(f"{path}: {key} needs a list of two items, got {_short(arg)}")
    return arg[0], arg[1]


def _delimiter(value: Any, path: str, key: str) -> str:
    if not isinstance(value, str) or (key == "Fn::Split" and not value):
        raise TemplateError(
            f"{path}: the {key} delimiter must be a non-empty string, got {value!r}"
        )
    return value


def _need_str(arg: Any, path: str, key: str) -> str:
    if not isinstance(arg, str):
        raise TemplateError(f"{path}: {key} needs a string, got {_short(arg)}")
    return arg


def _kind(value: Any) -> str:
    if value is None or value is _NO_VALUE:
        return "no value"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list ({_short(value)})"
    return repr(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
