"""The operator's least-privilege IAM policy for one recorded stack, generated from its record.

It covers running scenarios (seed, drain, purge, connect/disconnect, recursion, observe)
and the kill switch, on the stack's own resources only. Every name in it comes from a
record already checked against AWS's naming rules (_record.py: no ``*``, no other
account's resource). Where IAM offers no narrower scope:

- cloudwatch:GetMetricData and lambda:ListEventSourceMappings have no resource-level
  permissions (IAM's service authorization reference lists no resource type): "*". Both
  only read.
- the kill switch turns off every mapping of the stack's functions, including one made by
  hand, whose ARN no record holds: lambda:UpdateEventSourceMapping on any mapping, under
  the condition lambda:FunctionArn (one of the stack's functions, or a version or alias of
  one); lambda:GetEventSourceMapping (a read ListEventSourceMappings allows anyway) on any
  mapping of the account and region.
- sts:GetCallerIdentity needs no permission at all (so it is not listed).
"""

from __future__ import annotations

from typing import Any

from looplab.backends.aws._record import StackRecord

__all__ = ["operator_policy"]


def operator_policy(record: StackRecord) -> dict[str, Any]:
    queues = [record.queue_arn(q) for q in record.queues]
    functions = [record.function_arn(f) for f in record.functions]
    mappings = [record.mapping_arn(m) for m in record.mappings]
    groups = [record.log_group_arn(f) for f in record.functions]
    where = f"arn:{record.partition}:{{}}:{record.region}:{record.account}"
    any_mapping = where.format("lambda") + ":event-source-mapping:*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "LooplabQueues",
            "Effect": "Allow",
            "Action": [
                "sqs:GetQueueAttributes",
                "sqs:SendMessage",
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:PurgeQueue",
            ],
            "Resource": queues,
        },
        {
            "Sid": "LooplabFunction",
            "Effect": "Allow",
            "Action": [
                "lambda:GetFunctionConfiguration",
                "lambda:GetFunctionRecursionConfig",
                "lambda:PutFunctionRecursionConfig",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
            ],
            "Resource": functions,
        },
        {
            "Sid": "LooplabMappings",
            "Effect": "Allow",
            "Action": ["lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"],
            "Resource": mappings,
        },
        {
            "Sid": "LooplabKillSwitchListsTheFunctionsMappings",
            "Effect": "Allow",
            "Action": ["lambda:ListEventSourceMappings"],
            "Resource": "*",
        },
        {
            "Sid": "LooplabKillSwitchReadsAnyMappingItFinds",
            "Effect": "Allow",
            "Action": ["lambda:GetEventSourceMapping"],
            "Resource": [any_mapping],
        },
        {
            "Sid": "LooplabKillSwitchDisablesTheFunctionsMappings",
            "Effect": "Allow",
            "Action": ["lambda:UpdateEventSourceMapping"],
            "Resource": [any_mapping],
            "Condition": {
                "ArnLike": {"lambda:FunctionArn": functions + [f"{f}:*" for f in functions]}
            },
        },
        {
            "Sid": "LooplabKillSwitchChecksTheRecordAgainstTheStack",
            "Effect": "Allow",
            "Action": ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"],
            "Resource": [where.format("cloudformation") + f":stack/{record.stack_name}/*"],
        },
        {
            "Sid": "LooplabLogs",
            "Effect": "Allow",
            "Action": ["logs:FilterLogEvents"],
            "Resource": groups,
        },
        {
            "Sid": "LooplabMetricsReadOnly",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData"],
            "Resource": "*",
        },
    ]
    # A loop shape without mappings (or queues) has nothing to name there: IAM refuses a
    # statement whose Resource is empty, so it is left out.
    return {"Version": "2012-10-17", "Statement": [s for s in statements if s["Resource"]]}
