"""Building the aws backend from a project: record, template, session, endpoint, clock."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from looplab.backends.aws._backend import AwsBackend
from looplab.backends.aws._calls import Calls
from looplab.backends.aws._clock import Clock, RealClock
from looplab.backends.aws._endpoint import resolve_endpoint
from looplab.backends.aws._params import AwsParams
from looplab.backends.aws._record import StackRecord

__all__ = ["open_backend", "open_calls"]


def open_calls(
    record: StackRecord,
    *,
    session: Any = None,
    endpoint_url: str | None = None,
    params: AwsParams | None = None,
) -> tuple[Calls, str]:
    """Clients for the record's region (and the endpoint override, if any), and its origin."""
    import boto3

    endpoint, origin = resolve_endpoint(endpoint_url)
    # No region_name here: the guard must see what the user's configuration resolves to,
    # not the record's own region echoed back. botocore reads AWS_DEFAULT_REGION and the
    # profile's region; AWS_REGION (what the AWS CLI v2, the other SDKs and serverless
    # read, and what overrides AWS_DEFAULT_REGION there) is honoured too, first.
    given = session is not None
    session = session or boto3.Session()
    env_region = None if given else os.environ.get("AWS_REGION")
    configured = env_region or session.region_name
    if env_region:
        region_origin = "AWS_REGION"
    elif configured:
        region_origin = "the session" if given else "AWS_DEFAULT_REGION or the profile's region"
    else:
        region_origin = "the stack record (no region configured)"
    calls = Calls(
        session,
        region=record.region,
        configured_region=configured,
        region_origin=region_origin,
        endpoint_url=endpoint,
        max_attempts=(params or AwsParams()).max_attempts,
        stage=record.stage,
    )
    return calls, origin


def open_backend(
    project: Path | str,
    stage: str,
    stack: Any,
    *,
    allow_recursion: bool = False,
    budget: int | None = None,
    endpoint_url: str | None = None,
    session: Any = None,
    clock: Clock | None = None,
    params: AwsParams | None = None,
    record: StackRecord | None = None,
    say: Callable[[str], None] | None = None,
) -> AwsBackend:
    """The backend for ``stage``'s recorded stack; raises StackRecordError/GuardError (exit 2).

    ``stack`` is the compiled template (looplab.stack.Stack): it says which mapping joins
    which queue to which function; the record gives their physical IDs. ``say``: where a
    wait's figures go (default: standard error, a line per CloudWatch refresh).
    """
    # A loop shape's stack is its own service with its own record (stack.service).
    record = record or StackRecord.load(project, stage, getattr(stack, "service", "looplab"))
    calls, origin = open_calls(record, session=session, endpoint_url=endpoint_url, params=params)
    mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
    return AwsBackend(
        record,
        calls,
        clock or RealClock(),
        mappings=mappings,
        allow_recursion=allow_recursion,
        budget=budget,
        params=params,
        endpoint_origin=origin,
        say=say or _to_stderr,
    )


def _to_stderr(line: str) -> None:
    # sys.stderr looked up per line: a live progress display (rich) swaps in its own
    # stream while it runs, and prints the line above itself.
    print(line, file=sys.stderr, flush=True)
