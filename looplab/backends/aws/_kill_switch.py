"""Rail: the kill switch. Reserved concurrency 0, every mapping off, purge every queue.

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

from looplab.backends.aws._action import Action, attempt
from looplab.backends.aws._busy import Busy, real_time
from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._mappings_off import confirm_disabled, disable, find_mappings
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


def brake(
    calls: Calls,
    record: StackRecord,
    states: dict[str, str] | None = None,
    busy: Busy | None = None,
) -> list[Action]:
    """Concurrency 0 first (it stops every new invocation at once), then every mapping of
    the record's functions off (the record's, and any other the functions have: see
    _mappings_off.py), each confirmed Disabled or reported as not.

    ``states``, when given, receives each recorded mapping's State as it was before (read
    after the concurrency cap, so the brake is not delayed), so a release can restore it; a
    mapping outside the record is left disabled by a release (the safe side: no one asked
    for it in this run). ``busy`` waits out ResourceConflictException and the transition to
    Disabled on the caller's clock (default: real time).
    """
    busy = real_time(calls, busy)
    actions = [
        attempt(
            busy,
            "lambda",
            "PutFunctionConcurrency",
            record.function_name(lid),
            FunctionName=record.function_name(lid),
            ReservedConcurrentExecutions=0,
        )
        for lid in record.functions
    ]
    mappings, listed = find_mappings(busy, record)
    actions += listed
    for mapping in mappings:
        if states is not None and mapping.logical_id is not None:
            try:
                reply = calls("lambda", "GetEventSourceMapping", mapping.label, UUID=mapping.uuid)
                states[mapping.logical_id] = reply["State"]
            except AwsCallError as exc:
                states[mapping.logical_id] = f"unknown ({exc.code})"
        actions.append(disable(busy, mapping))
    return confirm_disabled(busy, mappings, actions)


def purge_all(calls: Calls, record: StackRecord, busy: Busy | None = None) -> list[Action]:
    busy = real_time(calls, busy)
    return [
        attempt(busy, "sqs", "PurgeQueue", record.queue_url(lid), QueueUrl=record.queue_url(lid))
        for lid in record.queues
    ]


def release_cap(calls: Calls, record: StackRecord, busy: Busy | None = None) -> list[Action]:
    busy = real_time(calls, busy)
    return [
        attempt(
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
