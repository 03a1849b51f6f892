"""What CloudWatch is asked for a run's window: one GetMetricData query per metric of the
stack's functions and queues, with the statistic its per-minute series uses.

Its own module because two sides must agree on it: the engine records these queries in
the journal (so ``collect-results`` can fetch the settled figures later, long after the
run) and the aws backend sends the same shape; :mod:`looplab.journal` re-exports both
functions as part of the schema.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LAMBDA_METRICS", "SQS_METRICS", "cloudwatch_queries", "metric_query"]

# Every metric the backends observe, with the statistic its per-minute series uses.
LAMBDA_METRICS = {
    "Invocations": "Sum",
    "Errors": "Sum",
    "Throttles": "Sum",
    "RecursiveInvocationsDropped": "Sum",
    "ConcurrentExecutions": "Maximum",
}
SQS_METRICS = {
    "NumberOfMessagesSent": "Sum",
    "NumberOfMessagesReceived": "Sum",
    "NumberOfMessagesDeleted": "Sum",
    "ApproximateNumberOfMessagesVisible": "Maximum",
    "ApproximateNumberOfMessagesNotVisible": "Maximum",
    "ApproximateNumberOfMessagesDelayed": "Maximum",
}


def metric_query(
    qid: str,
    namespace: str,
    metric: str,
    dimension: str,
    value: str,
    stat: str,
    period: int = 60,
    label: str | None = None,
) -> dict[str, Any]:
    """One GetMetricData ``MetricDataQueries`` entry for a single-dimension metric: the
    shape journals record and the aws backend sends."""
    query: dict[str, Any] = {"Id": qid}
    if label is not None:
        query["Label"] = label
    query["MetricStat"] = {
        "Metric": {
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": dimension, "Value": value}],
        },
        "Period": period,
        "Stat": stat,
    }
    query["ReturnData"] = True
    return query


def cloudwatch_queries(
    functions: list[str], queues: list[str], period: int = 60
) -> list[dict[str, Any]]:
    """GetMetricData ``MetricDataQueries`` for every metric of these function and queue
    names (at most 500 per call, AWS's limit: ten functions and queues are ~60)."""
    queries: list[dict[str, Any]] = []

    def add(namespace: str, metric: str, stat: str, dimension: str, value: str) -> None:
        qid, label = f"m{len(queries)}", f"{namespace} {metric} {value}"
        queries.append(metric_query(qid, namespace, metric, dimension, value, stat, period, label))

    for name in functions:
        for metric, stat in LAMBDA_METRICS.items():
            add("AWS/Lambda", metric, stat, "FunctionName", name)
    for name in queues:
        for metric, stat in SQS_METRICS.items():
            add("AWS/SQS", metric, stat, "QueueName", name)
    return queries
