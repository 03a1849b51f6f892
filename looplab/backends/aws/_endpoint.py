"""Rail: an endpoint override is never silent. Where the calls go is recorded in the journal."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["resolve_endpoint"]


def resolve_endpoint(
    given: str | None, environ: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """(endpoint URL or None for AWS's own, where it came from) from --endpoint-url or the env.

    botocore itself honours AWS_ENDPOINT_URL; looplab reads it too, so the journal says so.
    """
    env = os.environ if environ is None else environ
    if given:
        return given, "--endpoint-url"
    if env.get("AWS_ENDPOINT_URL"):
        return env["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"
    return None, "AWS default endpoints"
