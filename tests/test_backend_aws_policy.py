"""The operator policy allows every call the kill switch makes, and nothing outside the stack
except where IAM offers no narrower scope.

The kill switch now reads the stack from CloudFormation and lists the functions' mappings;
a policy without those actions would make the brake fail exactly when it is needed. The
calls are recorded from a whole kill switch and release on the Stubber, so a new call
without its permission fails here, not on the first real emergency.
"""

from __future__ import annotations

from typing import Any

import pytest
from _support.aws_stubs import FN_NAME, Aws
from _support.fakes import ACCOUNT, DLQ_UUID, MAIN_UUID, REGION, STAGE, fake_record
from _support.policy import assert_scoped_to_the_stack

from looplab.backends.aws import Calls, StackRecord, kill_switch, operator_policy

OUTSIDE_UUID = "33333333-3333-4333-8333-333333333333"


def _allowed(policy: dict[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] for a in s["Action"]}


def test_every_call_of_the_kill_switch_and_its_release_is_in_the_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    real = Calls.__call__

    def recording(self: Calls, service: str, operation: str, resource: str, **kw: Any) -> Any:
        made.append(f"{service}:{operation}")
        return real(self, service, operation, resource, **kw)

    monkeypatch.setattr(Calls, "__call__", recording)
    aws = Aws()
    aws.stack()
    aws.cap()
    aws.listed((MAIN_UUID, "Enabled"), (DLQ_UUID, "Disabled"), (OUTSIDE_UUID, "Enabled"))
    aws.disable_mappings()
    aws.update_mapping(OUTSIDE_UUID, False)
    aws.confirmed(DLQ_UUID, MAIN_UUID, OUTSIDE_UUID)
    aws.purges()
    assert all(a.ok for a in kill_switch(aws.calls, aws.record))
    aws.stack()
    aws.ok("lambda", "delete_function_concurrency", {}, FunctionName=FN_NAME)
    assert all(a.ok for a in kill_switch(aws.calls, aws.record, release=True))
    aws.done()

    assert set(made) - _allowed(operator_policy(aws.record)) == set()
    assert {"cloudformation:ListStackResources", "lambda:ListEventSourceMappings"} <= set(made)


def test_nothing_outside_the_stack_is_allowed_except_where_iam_has_no_scope() -> None:
    assert_scoped_to_the_stack(operator_policy(Aws().record), Aws().record)


def test_a_stack_without_mappings_gets_no_empty_statement() -> None:
    # A loop shape (sns, s3, lambda) has no mapping: IAM refuses a statement with no Resource.
    doc = fake_record()
    for lid in [k for k, v in doc["resources"].items() if "EventSourceMapping" in v["type"]]:
        del doc["resources"][lid]
    record = StackRecord.from_dict(doc, "unit.json")
    policy = operator_policy(record)
    assert_scoped_to_the_stack(policy, record)
    assert "LooplabMappings" not in {s["Sid"] for s in policy["Statement"]}


def test_the_stack_can_be_read_only_by_its_own_name() -> None:
    record = Aws().record
    statement = next(
        s
        for s in operator_policy(record)["Statement"]
        if "cloudformation:ListStackResources" in s["Action"]
    )
    assert set(statement["Action"]) == {
        "cloudformation:DescribeStacks",
        "cloudformation:ListStackResources",
    }
    assert statement["Resource"] == [
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/looplab-{STAGE}/*"
    ]
