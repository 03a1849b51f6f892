"""Rail: the kill switch. Disable every mapping, reserved concurrency 0, purge both queues.

It needs only the stack record (no scenario file, no compiled template, no engine), so it
works when the scenario runner itself is broken. The record is a file, so before any action
every resource it names is checked against the stack itself (CloudFormation,
_stack_check.py): a record naming a queue outside the stack is refused, nothing done. Then
every action is attempted even when an earlier one failed, and each reports its own result:
a half-applied brake is still a brake.
``release`` removes the concurrency cap (mappings stay as they are: connect them again
with a scenario, or by hand).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from looplab.backends.aws._busy import Busy, real_time
from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._record import StackRecord
from looplab.backends.aws._stack_check import verify_against_stack

__all__ = [
    "Action",
    "brake",
    "kill_switch",
    "purge_all",
    "release_cap",
    "verify_against_stack",
]


@dataclass(frozen=True)
class Action:
    action: str
    resource: str
    result: str  # "ok", "skipped: ...", or the error
    ok: bool = True

    def to_json(self) -> dict[str, object]:
        return asdict(self)


# A resource busy with another operation is waited out (bounded, on ``busy``'s clock),
# never skipped: a brake that gave up on the first ResourceConflictException would leave a
# mapping on, and the failure after the bound is that action's result, in red.
def _attempt(busy: Busy, service: str, operation: str, resource: str, **params: object) -> Action:
    try:
        busy.call(service, operation, resource, **params)
    except AwsCallError as exc:
        if operation == "PurgeQueue" and exc.code.endswith("PurgeQueueInProgress"):
            return Action(f"{service}:{operation}", resource, "ok (a purge was already running)")
        return Action(f"{service}:{operation}", resource, str(exc), ok=False)
    return Action(f"{service}:{operation}", resource, "ok")


def brake(
    calls: Calls,
    record: StackRecord,
    states: dict[str, str] | None = None,
    busy: Busy | None = None,
) -> list[Action]:
    """Concurrency 0 first (it stops every new invocation at once), then every mapping off.

    ``states``, when given, receives each mapping's State as it was before (read after the
    concurrency cap, so the brake is not delayed), so a release can restore it. ``busy``
    waits out ResourceConflictException on the caller's clock (default: real time).
    """
    busy = real_time(calls, busy)
    actions = [
        _attempt(
            busy,
            "lambda",
            "PutFunctionConcurrency",
            record.function_name(lid),
            FunctionName=record.function_name(lid),
            ReservedConcurrentExecutions=0,
        )
        for lid in record.functions
    ]
    for lid in record.mappings:
        uuid = record.mapping_uuid(lid)
        if states is not None:
            try:
                states[lid] = calls("lambda", "GetEventSourceMapping", lid, UUID=uuid)["State"]
            except AwsCallError as exc:
                states[lid] = f"unknown ({exc.code})"
        actions.append(
            _attempt(
                busy,
                "lambda",
                "UpdateEventSourceMapping",
                f"{lid} ({uuid})",
                UUID=uuid,
                Enabled=False,
            )
        )
    return actions


def purge_all(calls: Calls, record: StackRecord, busy: Busy | None = None) -> list[Action]:
    busy = real_time(calls, busy)
    return [
        _attempt(busy, "sqs", "PurgeQueue", record.queue_url(lid), QueueUrl=record.queue_url(lid))
        for lid in record.queues
    ]


def release_cap(calls: Calls, record: StackRecord, busy: Busy | None = None) -> list[Action]:
    busy = real_time(calls, busy)
    return [
        _attempt(
            busy,
            "lambda",
            "DeleteFunctionConcurrency",
            record.function_name(lid),
            FunctionName=record.function_name(lid),
        )
        for lid in record.functions
    ]


def kill_switch(
    calls: Calls,
    record: StackRecord,
    release: bool = False,
    busy: Busy | None = None,
    *,
    verified: bool = False,
) -> list[Action]:
    """The whole switch (or its release); the caller prints each action and its result.

    Raises GuardError (nothing done) when the record does not match the stack; ``verified``:
    the caller has just run verify_against_stack itself (the command does, so that a
    refusal and an unreadable stack are told apart from a failed action)."""
    if not verified:
        verify_against_stack(calls, record)
    busy = real_time(calls, busy)
    if release:
        return release_cap(calls, record, busy)
    return brake(calls, record, busy=busy) + purge_all(calls, record, busy)


def release_hint(record: StackRecord) -> str:
    return f"invoke kill-switch --stage {record.stage} --release"
