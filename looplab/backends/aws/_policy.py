"""The operator's least-privilege IAM policy for one recorded stack, generated from its record.

It covers running scenarios (seed, drain, purge, connect/disconnect, recursion, observe)
and the kill switch, on the stack's own resources only. Two statements cannot be scoped:
cloudwatch:GetMetricData has no resource-level permissions (AWS requires "*"; it only
reads), and sts:GetCallerIdentity needs no permission at all (so it is not listed).
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
    return {
        "Version": "2012-10-17",
        "Statement": [
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
        ],
    }
