"""The steps that start a chain on the other loop shapes: publish, put-object, invoke.

Like ``seed``, each acts from outside any function (no trace header), so each starts a new
chain; the names are resolved by alias or logical ID against the scenario's stack.
"""

from __future__ import annotations

import json
from typing import Any

from looplab.scenarios._context import Context, type_name, unresolved
from looplab.scenarios._errors import unknown
from looplab.scenarios._load import LMap
from looplab.scenarios._model import INVOCATION_TYPES, Invoke, Publish, PutObject, Step

__all__ = ["SHAPE_CHECKS"]


def json_text(ctx: Context, args: LMap, key: str) -> str | None:
    """A string as given, or a mapping/list as the JSON the service would carry."""
    value = args[key]
    if unresolved(value):
        return None
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            ctx.error(args.line_of(key), f"{key!r} does not convert to JSON: {exc}")
            return None
    if not isinstance(value, str):
        got = type_name(value)
        ctx.error(args.line_of(key), f"{key!r} must be a string or a mapping, got {got}")
        return None
    return value


def _publish(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("topic", "body", "attributes"), ("topic", "body"), "publish"):
        return None
    topic = ctx.resolve(args["topic"], "topic", args.line_of("topic"))
    body = json_text(ctx, args, "body")
    attributes: list[tuple[str, str]] = []
    if "attributes" in args:
        raw = args["attributes"]
        if not isinstance(raw, LMap):
            ctx.error(
                args.line_of("attributes"),
                f"'attributes' must be a mapping of name -> string value, got {type_name(raw)}",
            )
            return None
        for name, value in raw.items():
            if not isinstance(name, str) or not isinstance(value, (str, int, float)):
                ctx.error(
                    raw.line_of(name),
                    f"attribute {name!r}: a name and a string (or number) value "
                    "(published as a String message attribute)",
                )
                return None
            attributes.append((name, str(value)))
    if topic is None or body is None:
        return None
    return Publish(topic=topic, body=body, attributes=tuple(attributes), line=args.line)


def _put_object(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("bucket", "key", "body"), ("bucket", "key", "body"), "put-object"):
        return None
    bucket = ctx.resolve(args["bucket"], "bucket", args.line_of("bucket"))
    key = args["key"]
    if unresolved(key):
        return None
    if not isinstance(key, str) or not key:
        ctx.error(args.line_of("key"), f"'key' must be a non-empty string, got {type_name(key)}")
        return None
    body = json_text(ctx, args, "body")
    if bucket is None or body is None:
        return None
    return PutObject(bucket=bucket, key=key, body=body, line=args.line)


def _invoke(ctx: Context, args: LMap, _: set[str]) -> Step | None:
    if not ctx.keys(args, ("function", "payload", "type"), ("function", "payload"), "invoke"):
        return None
    function = ctx.resolve(args["function"], "function", args.line_of("function"))
    payload = json_text(ctx, args, "payload")
    kind: Any = args.get("type", "Event")
    if unresolved(kind):
        return None
    if kind not in INVOCATION_TYPES:
        ctx.error(args.line_of("type"), unknown("invocation type", kind, INVOCATION_TYPES))
        return None
    if payload is not None:
        try:
            json.loads(payload)
        except ValueError as exc:
            ctx.error(args.line_of("payload"), f"'payload' must be JSON (Lambda's rule): {exc}")
            return None
    if function is None or payload is None:
        return None
    return Invoke(function=function, payload=payload, type=kind, line=args.line)


SHAPE_CHECKS = {"publish": _publish, "put-object": _put_object, "invoke": _invoke}
