"""Rail: the stack record checked against CloudFormation before the kill switch acts.

The record is a file: a user or a tool can change it. The kill switch acts on what it names
(caps its functions, disables its mappings, purges its queues), so before any of that the
stack with the record's name must be the recorded one (same stack ID), and every resource
the record names must be that stack's own resource as CloudFormation lists it now (same
logical ID, type and physical ID). A queue, function or mapping the stack has and the
record lacks would be missed by the brake: refused too. Anything else: GuardError naming
each difference, nothing done. It needs cloudformation:DescribeStacks and
cloudformation:ListStackResources on the stack (the operator policy grants both).
"""

from __future__ import annotations

from looplab.backends.aws._account_guard import GuardError
from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._record import StackRecord

__all__ = ["ACTED_ON", "stack_resources", "verify_against_stack"]

# The kinds the kill switch acts on: the stack's must all be in the record.
ACTED_ON = ("AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping")
# ListStackResources pages; a stack holds at most 500 resources (CloudFormation quotas), so
# this bound is only reached by an endpoint that never stops answering with a NextToken.
_MAX_PAGES = 100


def stack_resources(calls: Calls, record: StackRecord) -> dict[str, tuple[str, str | None]]:
    """The recorded stack's resources now, logical ID -> (type, physical ID); GuardError
    when no stack has the record's name, or the one that has it is another stack."""
    name = record.stack_name
    try:
        stacks = calls("cloudformation", "DescribeStacks", name, StackName=name)["Stacks"]
    except AwsCallError as exc:
        if exc.code == "ValidationError" and "does not exist" in str(exc):
            raise GuardError(
                f"refusing to act: stack {name} does not exist in account {record.account}, "
                f"{record.region} (CloudFormation: {exc}); the stack record {record.path} "
                "names resources of no stack: nothing was done. If the stack was removed, "
                f"delete the record; if it was deployed again, run {record.fix()}"
            ) from exc
        raise
    found = str(stacks[0].get("StackId", "")) if stacks else ""
    if found != record.stack_id:
        raise GuardError(
            f"refusing to act: stack {name} is now {found or 'missing'}, the stack record "
            f"{record.path} names {record.stack_id} (removed and deployed again?); nothing "
            f"was done: rewrite the record with: {record.fix()}"
        )
    resources: dict[str, tuple[str, str | None]] = {}
    token: str | None = None
    for _ in range(_MAX_PAGES):
        params = {"StackName": record.stack_id} | ({"NextToken": token} if token else {})
        page = calls("cloudformation", "ListStackResources", name, **params)
        for row in page.get("StackResourceSummaries") or []:
            # moto lists a row without a logical ID (the deployment bucket's policy); the
            # plugin skips such rows when it writes the record, so they are skipped here.
            if row.get("LogicalResourceId"):
                resources[row["LogicalResourceId"]] = (
                    str(row.get("ResourceType", "")),
                    row.get("PhysicalResourceId"),
                )
        token = page.get("NextToken")
        if not token:
            return resources
    raise GuardError(
        f"refusing to act: ListStackResources on {name} was still paging after "
        f"{_MAX_PAGES} pages; nothing was done"
    )


def verify_against_stack(calls: Calls, record: StackRecord) -> None:
    """Raise GuardError naming every resource of the record that is not the stack's."""
    live = stack_resources(calls, record)
    differences = []
    for lid, entry in sorted(record.resources.items()):
        kind, physical = entry.get("type"), entry.get("physicalId")
        if lid not in live:
            differences.append(
                f"{lid}: the record names {kind} {physical}, which is not a resource of the stack"
            )
        elif live[lid] != (kind, physical):
            differences.append(
                f"{lid}: the record says {kind} {physical}, the stack's {lid} is "
                f"{live[lid][0]} {live[lid][1]}"
            )
    for lid, (kind, physical) in sorted(live.items()):
        if lid not in record.resources and kind in ACTED_ON:
            differences.append(
                f"{lid}: the stack has {kind} {physical}, which the record lacks (the kill "
                "switch would miss it)"
            )
    if differences:
        listed = "".join(f"\n  - {d}" for d in differences)
        raise GuardError(
            f"refusing to act: the stack record {record.path or ''} does not match stack "
            f"{record.stack_name} as CloudFormation lists it now; nothing was done:{listed}\n"
            f"If the stack was deployed again, rewrite the record with: {record.fix()}; if "
            "not, the record was changed after the deploy wrote it: check who changed it "
            "before anything acts on it"
        )
