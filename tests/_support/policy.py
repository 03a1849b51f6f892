"""The operator policy's one rule, checked the same way on the Stubber's record and on a
real deploy's: nothing outside the stack, except where IAM offers no narrower scope."""

from __future__ import annotations

from typing import Any

# Actions IAM's service authorization reference lists with no resource type: "*" only.
UNSCOPED = {"cloudwatch:GetMetricData", "lambda:ListEventSourceMappings"}


def assert_scoped_to_the_stack(policy: dict[str, Any], record: Any) -> None:
    """Every Resource is "*" for an unscoped action, any mapping of the account for reading
    one or (under lambda:FunctionArn = the stack's functions) turning one off, or a named
    resource of the stack in its account and region."""
    where = f":{record.region}:{record.account}:"
    any_mapping = f"arn:{record.partition}:lambda{where}event-source-mapping:*"
    functions = [record.function_arn(f) for f in record.functions]
    named = {
        record.stack_name,
        *(record.queue_name(q) for q in record.queues),
        *(e.get("physicalId") for e in record.resources.values()),
    }
    for statement in policy["Statement"]:
        resources = statement["Resource"]
        assert resources, statement  # IAM refuses an empty Resource
        for resource in resources if isinstance(resources, list) else [resources]:
            if resource == "*":
                assert set(statement["Action"]) <= UNSCOPED, statement
            elif resource == any_mapping:
                if set(statement["Action"]) != {"lambda:GetEventSourceMapping"}:
                    condition = statement.get("Condition", {}).get("ArnLike", {})
                    assert condition == {
                        "lambda:FunctionArn": functions + [f"{f}:*" for f in functions]
                    }, statement
            else:
                assert where in resource, resource
                # Each named ARN ends in one of the stack's names (a log group's ":*" and a
                # stack's "/*" are the ARN formats' own suffixes, not wildcards over names).
                tail = resource.removesuffix(":*").removesuffix("/*")
                assert "*" not in tail, resource
                assert any(tail.endswith((f":{n}", f"/{n}")) for n in named if n), resource
