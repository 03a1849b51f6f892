"""Least privilege: the role's SQS and Logs permissions name resources, never "*".

The function can only send to its own queue; the mappings may receive/delete on the two
queues only; logs go only to the stack's own log group.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                found += policy["PolicyDocument"]["Statement"]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found += resource["Properties"]["PolicyDocument"]["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_by_service(template: dict[str, Any], service: str) -> list[dict[str, Any]]:
    return [
        s
        for s in statements(template)
        if s["Effect"] == "Allow" and any(a.startswith(f"{service}:") for a in as_list(s["Action"]))
    ]


@pytest.mark.parametrize("service", ["sqs", "logs"])
def test_no_wildcard_resource_for_sqs_or_logs(default_template, service):
    granted = actions_by_service(default_template, service)
    assert granted, f"expected {service} permissions in the role"
    for statement in granted:
        assert "NotResource" not in statement
        for resource in as_list(statement["Resource"]):
            assert resource != "*", f"{statement['Action']} on *"
            # A bare string resource would be an ARN with wildcards in it; only intrinsics
            # pointing at this stack's resources (or its log group) are expected here.
            assert isinstance(resource, dict), resource


def test_the_function_may_send_only_to_its_own_queue(default_template):
    senders = [
        s for s in actions_by_service(default_template, "sqs") if "sqs:SendMessage" in s["Action"]
    ]
    assert [s["Resource"] for s in senders] == [[{"Fn::GetAtt": ["Queue", "Arn"]}]]


def test_mapping_permissions_cover_exactly_the_two_queues(default_template):
    receivers = [
        s
        for s in actions_by_service(default_template, "sqs")
        if "sqs:ReceiveMessage" in s["Action"]
    ]
    assert len(receivers) == 1
    assert sorted(json.dumps(r) for r in receivers[0]["Resource"]) == sorted(
        json.dumps({"Fn::GetAtt": [q, "Arn"]}) for q in ("Queue", "DeadLetterQueue")
    )


def test_logs_only_on_the_stacks_own_log_group(default_template):
    log_group = default_template["Resources"]["RecursiveLogGroup"]["Properties"]["LogGroupName"]
    # osls grants on /aws/lambda/<service>-<stage>*: the log groups of this stack's functions.
    stack_prefix = log_group.rsplit("-", 1)[0]
    for statement in actions_by_service(default_template, "logs"):
        for resource in as_list(statement["Resource"]):
            arn = resource["Fn::Sub"]
            assert f":log-group:{stack_prefix}" in arn, arn
