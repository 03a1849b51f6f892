"""Reading one property value the way CloudFormation and the service behind it would.

A value outside what the service accepts fails the deploy (CloudFormation's schema check,
or the service's ValidationException), so the reader refuses it here, by template path and
with the valid choices: read leniently, ``RecursiveLoop: Bogus`` would run as if it were
Allow or Terminate, and ``Enabled: "no"`` as true. Enums and numeric ranges come from
botocore's service model (the installed SDK's), as S3's event names already did, so they
follow the API rather than a copy kept here.
"""

from __future__ import annotations

import difflib
import functools
import json
from typing import Any

from looplab.stack._cfn import TemplateError, scalar_text

__all__ = [
    "api_bounded",
    "api_enum",
    "api_range",
    "as_bool",
    "bounded",
    "choice",
    "choice_list",
    "json_or_dict",
    "object_list",
    "object_prop",
    "string_map",
]


@functools.cache
def api_enum(service: str, shape: str) -> tuple[str, ...]:
    """The values an API enum takes, from botocore's model (``api_enum("lambda", "Runtime")``)."""
    return tuple(_shape(service, shape).enum)


@functools.cache
def api_range(service: str, shape: str) -> tuple[int, int | None]:
    """An API integer's ``(min, max)`` from botocore's model; max None when it has none."""
    meta = _shape(service, shape).metadata
    return int(meta.get("min", 0)), (int(meta["max"]) if "max" in meta else None)


def _shape(service: str, shape: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service).shape_for(shape)


def choice(
    props: dict[str, Any], name: str, allowed: tuple[str, ...], default: str, where: str
) -> str:
    """``props[name]``, one of ``allowed`` exactly (the APIs' enums are case-sensitive)."""
    raw = props.get(name, default)
    return _one_of(raw, allowed, f"{where}.{name}")


def choice_list(
    props: dict[str, Any], name: str, allowed: tuple[str, ...], where: str
) -> tuple[str, ...]:
    """``props[name]``: a list of ``allowed`` values (absent: empty)."""
    raw = props.get(name)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TemplateError(
            f"{where}.{name}: a list is expected (of {', '.join(allowed)}), got {raw!r}"
        )
    return tuple(_one_of(item, allowed, f"{where}.{name}[{i}]") for i, item in enumerate(raw))


def _one_of(raw: Any, allowed: tuple[str, ...], at: str) -> str:
    if isinstance(raw, str) and raw in allowed:
        return raw
    near = difflib.get_close_matches(str(raw), allowed, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise TemplateError(f"{at}: {raw!r} is not a valid value{hint} (allowed: {', '.join(allowed)})")


def as_bool(value: Any, where: str) -> bool:
    """A Boolean property: true/false, or the strings CloudFormation takes for them
    ("true"/"false", any case). Anything else fails the deploy ("is not of type boolean")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise TemplateError(f"{where}: {value!r} is not a boolean (allowed: true, false)")


def bounded(
    props: dict[str, Any], name: str, default: int, low: int, high: int | None, where: str
) -> int:
    """An integer property within the service's bounds (``high`` None: no upper bound)."""
    raw = props.get(name, default)
    span = f"between {low} and {high}" if high is not None else f"at least {low}"
    try:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        value = int(raw)
    except (TypeError, ValueError):
        raise TemplateError(f"{where}.{name}: {raw!r} is not an integer ({span})") from None
    if value < low or (high is not None and value > high):
        raise TemplateError(f"{where}.{name}: {value} is not {span}")
    return value


def api_bounded(
    props: dict[str, Any], name: str, default: int, where: str, shape: str | None = None
) -> int:
    """An integer property within the Lambda API's bounds for it (its botocore shape,
    named like the property unless ``shape`` says otherwise)."""
    return bounded(props, name, default, *api_range("lambda", shape or name), where)


def object_prop(props: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    """An object-valued property (absent: empty)."""
    raw = props.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}.{name}: an object is expected, got {raw!r}")
    return raw


def object_list(raw: Any, where: str) -> list[dict[str, Any]]:
    """A list of objects (absent: empty): a notification or subscription list."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise TemplateError(f"{where}: a list of objects is expected, got {raw!r}")
    return raw


def string_map(raw: Any, where: str) -> dict[str, str]:
    """A map of strings (a function's environment variables): each value as CloudFormation
    passes it (a number as its digits, a boolean as ``true``/``false``)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: an object is expected, got {raw!r}")
    return {str(k): scalar_text(v, f"{where}.{k}", "the value") for k, v in raw.items()}


def json_or_dict(value: Any, where: str) -> dict[str, Any] | None:
    """A policy given as a JSON string or as a mapping (CloudFormation takes both)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise TemplateError(f"{where}: not JSON ({type(exc).__name__}: {exc})") from None
        if not isinstance(parsed, dict):
            raise TemplateError(f"{where}: a JSON object is expected, not {type(parsed).__name__}")
        return parsed
    if not isinstance(value, dict):
        raise TemplateError(f"{where}: a JSON object is expected, not {type(value).__name__}")
    return dict(value)
