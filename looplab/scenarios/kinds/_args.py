"""Argument readers more than one kind uses (the rest are on the validation Context)."""

from __future__ import annotations

import json

from looplab.scenarios._context import Context, type_name, unresolved
from looplab.scenarios._load import LMap

__all__ = ["json_text"]


def json_text(ctx: Context, args: LMap, key: str) -> str | None:
    """A string as given, or a mapping/list as the JSON the service would carry.

    A mapping body is the common case (``{counter: 5}``); a date, binary data or NaN inside
    it has no JSON form and is reported.
    """
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
