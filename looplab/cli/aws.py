"""The aws-only commands: the kill switch and the operator policy.

Both need only the stack record (.looplab/stacks/<stage>.json): no scenario file and no
compiled template, so they work when the scenario runner is broken.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from looplab.backends.base import BackendError
from looplab.cli.common import (
    DEFAULTS,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    BadInput,
    check_endpoint_url,
    check_stage,
    project_root,
)
from looplab.cli.console import clean

DEFAULT_STAGE = DEFAULTS["stage"]

__all__ = ["kill_switch_command", "operator_policy_command"]


class _NoRecord(Exception):
    pass


def _error(err: Console, message: str) -> None:
    """The whole message, never cut (its last words are the fix), one logical line (no
    wrap splitting a path or a command), escapes and markup from a file neutralised."""
    err.print(f"[red]error:[/] {clean(message, 4000)}", soft_wrap=True)


def _record_for(project: str | Path | None, stage: str) -> Any:
    from looplab.backends.aws import StackRecord, StackRecordError

    # None: the project is where tasks.py is, from any subdirectory, as for every command.
    try:
        return StackRecord.load(project_root() if project is None else project, stage)
    except StackRecordError as exc:
        raise _NoRecord(str(exc)) from exc


def kill_switch_command(
    *,
    stage: str = DEFAULT_STAGE,
    release: bool = False,
    project: str | Path | None = None,
    endpoint_url: str | None = None,
    session: Any = None,
    console: Console | None = None,
) -> int:
    """Brake the recorded stack (or ``release`` its concurrency cap); print every action.

    Needs only the stack record: no scenario file, no compiled template. Exit 0 when every
    action succeeded, 1 when one failed (each is still attempted) or a mapping is still on,
    2 (nothing done) when the record is not the stack's as CloudFormation lists it, or the
    credentials are not the stack's account.
    """
    from looplab.backends.aws import (
        Busy,
        GuardError,
        RealClock,
        check_identity,
        kill_switch,
        open_calls,
        verify_against_stack,
    )

    console = console or Console()
    err = Console(stderr=True)
    try:
        check_stage(stage)  # before the record: a stage names its file
        check_endpoint_url(endpoint_url)
        record = _record_for(project, stage)
        calls, origin = open_calls(record, session=session, endpoint_url=endpoint_url)
        identity = check_identity(calls, record)
        # The record is a file: every resource it names must be the stack's (CloudFormation)
        # before anything acts on it.
        verify_against_stack(calls, record)
    except (_NoRecord, GuardError, BadInput) as exc:
        _error(err, str(exc))
        return EXIT_BAD_INPUT
    except BackendError as exc:
        _error(err, f"cannot reach the recorded stack, so nothing was done: {exc}")
        return EXIT_BAD_INPUT
    what = "releasing the concurrency cap of" if release else "kill switch on"
    console.print(
        f"{what} {record.stack_name} ({record.account}, {record.region}) as {identity['arn']}"
    )
    if calls.endpoint_url:
        console.print(f"endpoint: {calls.endpoint_url} (from {origin})")
    for service, url in calls.endpoints().items():  # per-service settings apply too
        if calls.emulated(service) and url != calls.endpoint_url:
            console.print(f"endpoint for {service}: {url} (from the AWS configuration)")
    clock = RealClock()
    # A busy mapping or function is waited out (bounded), and the wait is shown.
    busy = Busy(calls, clock.now, clock.sleep, progress=lambda note: console.print(escape(note)))
    actions = kill_switch(calls, record, release=release, busy=busy, verified=True)
    for action in actions:
        mark = "[green]ok[/]" if action.ok else "[red]FAILED[/]"
        console.print(
            f"{mark} {action.action} {escape(action.resource)}: {escape(action.result)}",
            soft_wrap=True,
        )
    left = _maybe_enabled(actions)
    if left:
        console.print(
            f"[red]may still be enabled:[/] {escape('; '.join(left))} (each line above says "
            "why, and how to turn it off)",
            soft_wrap=True,
        )
    if not release:
        console.print(f"release the cap later with: invoke kill-switch --stage {stage} --release")
    return EXIT_OK if all(a.ok for a in actions) else EXIT_FAILED


def _maybe_enabled(actions: list[Any]) -> list[str]:
    """The mappings the brake could not turn off or confirm off, and the functions whose
    mappings it could not list: what may still invoke a function once the cap is released."""
    left = []
    for action in actions:
        if action.ok:
            continue
        if action.action == "lambda:UpdateEventSourceMapping":
            left.append(action.resource)
        elif action.action == "lambda:ListEventSourceMappings":
            left.append(f"any mapping of {action.resource} outside the record")
    return left


def operator_policy_command(
    *, stage: str = DEFAULT_STAGE, project: str | Path | None = None, out: Any = None
) -> int:
    """Print the least-privilege IAM policy for the recorded stack: JSON only, on stdout."""
    import json

    from looplab.backends.aws import operator_policy

    try:
        check_stage(stage)  # before the record: a stage names its file
        record = _record_for(project, stage)
    except (_NoRecord, BadInput) as exc:
        _error(Console(stderr=True), str(exc))
        return EXIT_BAD_INPUT
    stream = out or sys.stdout
    stream.write(json.dumps(operator_policy(record), indent=2) + "\n")
    return EXIT_OK
