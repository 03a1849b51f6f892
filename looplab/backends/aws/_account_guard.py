"""Rail: refuse to act on anything but the recorded stack, in its own account and region.

Before any action: STS GetCallerIdentity (needs no permission) must name the record's
account, the clients' region must be the record's, the record must say the stack is in a
*_COMPLETE state, and each recorded resource must still be there as recorded (queues,
functions, mappings pointing at the recorded queue and function). Anything else: exit 2,
nothing done, with the command that fixes it. Only the services the experiment uses are
asked: no CloudFormation permission is needed.
"""

from __future__ import annotations

from typing import Any

from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._record import StackRecord, StackRecordError

__all__ = ["GuardError", "check_identity", "check_stack"]

_UNUSABLE = ("ROLLBACK_COMPLETE", "DELETE_COMPLETE")
_GONE = {
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFoundException",
}


class GuardError(StackRecordError):
    """The credentials or the stack are not the recorded ones (exit 2, nothing done)."""


def check_identity(calls: Calls, record: StackRecord) -> dict[str, str]:
    """The caller's identity, once it is known to be the record's account and region."""
    configured = calls.configured_region
    if configured is not None and configured != record.region:
        raise GuardError(
            f"refusing to run: your AWS configuration says region {configured} "
            f"(from {calls.region_origin}), but the stack {record.stack_name} was recorded in "
            f"{record.region} ({record.path}); set AWS_REGION={record.region} "
            "(or AWS_DEFAULT_REGION, or the profile's region), or redeploy in this region"
        )
    identity = calls("sts", "GetCallerIdentity", "the current credentials")
    account, arn = str(identity.get("Account", "")), str(identity.get("Arn", ""))
    if account != record.account:
        raise GuardError(
            f"refusing to run: the current credentials are for account {account} ({arn}), "
            f"but the stack {record.stack_name} was recorded in account {record.account} "
            f"({record.path}); switch credentials (AWS_PROFILE) or redeploy in this account"
        )
    return {"account": account, "arn": arn, "user_id": str(identity.get("UserId", ""))}


def check_stack(calls: Calls, record: StackRecord, mappings: dict[str, tuple[str, str]]) -> None:
    """Raise GuardError when the record is stale. ``mappings``: logical ID -> (function, queue)."""
    status = record.stack_status
    if not status.endswith("_COMPLETE") or status in _UNUSABLE:
        raise GuardError(
            f"the stack record says {record.stack_name} is {status}, not a usable *_COMPLETE "
            f"state; redeploy (invoke deploy --stage {record.stage}), then run {record.fix()}"
        )
    stale = f"the stack record {record.path or ''} is stale"
    for lid in record.queues:
        try:
            attrs = calls(
                "sqs",
                "GetQueueAttributes",
                lid,
                QueueUrl=record.queue_url(lid),
                AttributeNames=["QueueArn"],
            )["Attributes"]
        except AwsCallError as exc:
            if exc.code in _GONE:
                raise GuardError(
                    f"{stale}: queue {lid} ({record.queue_url(lid)}) does not exist; if the "
                    f"stack was removed, deploy it (invoke deploy --stage {record.stage}); "
                    f"else run {record.fix()}"
                ) from exc
            raise
        if attrs.get("QueueArn") != record.queue_arn(lid):
            raise GuardError(f"{stale}: queue {lid} is {attrs.get('QueueArn')}; run {record.fix()}")
    for lid in record.functions:
        _exists(
            calls, record, "GetFunctionConfiguration", lid, FunctionName=record.function_name(lid)
        )
    for lid, (function, queue) in mappings.items():
        if lid not in record.resources:
            raise GuardError(f"{stale}: it has no mapping {lid}; run {record.fix()}")
        found = _exists(calls, record, "GetEventSourceMapping", lid, UUID=record.mapping_uuid(lid))
        want = (record.queue_arn(queue), record.function_name(function))
        got = (found.get("EventSourceArn"), str(found.get("FunctionArn", "")).rsplit(":", 1)[-1])
        if got != want:
            raise GuardError(
                f"{stale}: mapping {lid} ({record.mapping_uuid(lid)}) connects {got[0]} to "
                f"{got[1]}, the template says {want[0]} to {want[1]}; run {record.fix()}"
            )


def _exists(calls: Calls, record: StackRecord, operation: str, lid: str, **params: Any) -> Any:
    try:
        return calls("lambda", operation, lid, **params)
    except AwsCallError as exc:
        if exc.code in _GONE:
            raise GuardError(
                f"the stack record is stale: {lid} does not exist; deploy the stack "
                f"(invoke deploy --stage {record.stage}) or run {record.fix()}"
            ) from exc
        raise
