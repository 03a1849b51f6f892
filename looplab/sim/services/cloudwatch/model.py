"""Which metrics exist, under which dimensions, and what a MetricStat query sees of them.

The store (:class:`.store.Metrics`) keeps one statistic set (sum, sample
count, min, max) per resource per minute. This module adds what CloudWatch adds on top:
the dimension a metric is published under, its unit, the publication delay, the zeros an
active SQS queue publishes, and the aggregation of minutes into a query's period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from looplab.sim.services.cloudwatch.store import Metrics, StatisticSet

Stat = Literal["Sum", "SampleCount", "Average", "Minimum", "Maximum"]
STATS: tuple[Stat, ...] = ("Sum", "SampleCount", "Average", "Minimum", "Maximum")

LAMBDA = "AWS/Lambda"
SQS = "AWS/SQS"
SNS = "AWS/SNS"

# metric -> unit, per (namespace, dimension name) it is published under (AWS's metric pages:
# "Lambda function metrics", "Event source mapping metrics", "Available CloudWatch metrics
# for Amazon SQS").
FUNCTION_METRICS = {
    "Invocations": "Count",
    "Errors": "Count",
    "Throttles": "Count",
    "RecursiveInvocationsDropped": "Count",
    "ConcurrentExecutions": "Count",
    "Duration": "Milliseconds",
    # Asynchronous invocation (Lambda's "Asynchronous invocation metrics").
    "AsyncEventsReceived": "Count",
    "AsyncEventAge": "Milliseconds",
    "AsyncEventsDropped": "Count",
    "DeadLetterErrors": "Count",
    "DestinationDeliveryFailures": "Count",
}
TOPIC_METRICS = {  # SNS's "Amazon SNS metrics", dimension TopicName
    "NumberOfMessagesPublished": "Count",
    "NumberOfNotificationsDelivered": "Count",
    "NumberOfNotificationsFailed": "Count",
    "PublishSize": "Bytes",
}
MAPPING_METRICS = {
    "PolledEventCount": "Count",
    "InvokedEventCount": "Count",
    "FailedInvokeEventCount": "Count",
    "DeletedEventCount": "Count",
    "FilteredOutEventCount": "Count",
}
QUEUE_METRICS = {
    "NumberOfMessagesSent": "Count",
    "NumberOfMessagesReceived": "Count",
    "NumberOfMessagesDeleted": "Count",
    "ApproximateNumberOfMessagesVisible": "Count",
    "ApproximateNumberOfMessagesNotVisible": "Count",
    "ApproximateNumberOfMessagesDelayed": "Count",
    "ApproximateAgeOfOldestMessage": "Seconds",
}
CATALOG: dict[tuple[str, str | None], dict[str, str]] = {
    (LAMBDA, "FunctionName"): FUNCTION_METRICS,
    (LAMBDA, None): FUNCTION_METRICS,  # Lambda's account-level series, no dimension
    (LAMBDA, "EventSourceMappingUUID"): MAPPING_METRICS,
    (SQS, "QueueName"): QUEUE_METRICS,
    (SNS, "TopicName"): TOPIC_METRICS,
}

# Counters an active queue publishes every minute, zero or not ("AWS/SQS" metrics are
# "reported ... if the queue is active"). The depth gauges are sampled every minute already.
_SQS_ZERO_FILLED = frozenset(
    {"NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted"}
)
_SQS_ACTIVITY = "ApproximateNumberOfMessagesVisible"  # sampled once a minute per queue
_GAUGES = frozenset({"ConcurrentExecutions"})


@dataclass(frozen=True, slots=True)
class MetricStat:
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    period: int
    stat: Stat
    unit: str | None


def _series(metrics: Metrics, query: MetricStat) -> dict[int, StatisticSet]:
    """Minute index -> statistic set for the metric the query names; {} if no such metric."""
    names = tuple(name for name, _ in query.dimensions)
    if len(names) > 1:
        return {}  # no simulated metric has two dimensions: on AWS, no such metric
    dimension = names[0] if names else None
    units = CATALOG.get((query.namespace, dimension))
    if units is None or query.metric not in units:
        return {}
    if query.unit is not None and query.unit != units[query.metric]:
        return {}  # "returns only data that was collected with that unit"
    if dimension is None:
        return _account_level(metrics, query.namespace, query.metric)
    resource = query.dimensions[0][1]
    sets = metrics.statistic_sets(query.namespace, query.metric, resource)
    if query.namespace == SQS and query.metric in _SQS_ZERO_FILLED:
        for b in metrics.statistic_sets(SQS, _SQS_ACTIVITY, resource):
            sets.setdefault(b, (0.0, 1.0, 0.0, 0.0))
    return sets


def _account_level(metrics: Metrics, namespace: str, metric: str) -> dict[int, StatisticSet]:
    """Lambda's dimensionless series: every function's samples together. Concurrency adds
    up across functions (the account's concurrent executions), so a gauge's per-function
    maxima are summed: an upper bound when the functions' peaks fall at different moments."""
    merged: dict[int, StatisticSet] = {}
    for resource in metrics.resources(namespace, metric):
        for b, new in metrics.statistic_sets(namespace, metric, resource).items():
            old = merged.get(b)
            if old is None:
                merged[b] = new
            elif metric in _GAUGES:
                total = old[0] + new[0]
                merged[b] = (total, 1.0, total, total)
            else:
                merged[b] = _merge(old, new)
    return merged


def _merge(a: StatisticSet, b: StatisticSet) -> StatisticSet:
    return (a[0] + b[0], a[1] + b[1], min(a[2], b[2]), max(a[3], b[3]))


def _value(stat: Stat, s: StatisticSet) -> float:
    if stat == "Sum":
        return s[0]
    if stat == "SampleCount":
        return s[1]
    if stat == "Average":
        return s[0] / s[1]
    if stat == "Minimum":
        return s[2]
    return s[3]


def datapoints(
    metrics: Metrics,
    query: MetricStat,
    start: float,
    end: float,
    now: float,
    delay: float,
) -> list[tuple[float, float]]:
    """``(period start, value)`` ascending, for periods starting in ``[start, end)``.

    ``start`` is already rounded down to the minute. A minute is published ``delay``
    seconds after it ends; a period aggregates the published minutes it holds (before
    ``end``), and has a datapoint only if it holds at least one.
    """
    minute = metrics.period
    published_before = now - delay - minute  # minutes starting at or before this are out
    periods: dict[int, StatisticSet] = {}
    for b, stats in _series(metrics, query).items():
        t = metrics.period_start(b)
        if t < start or t >= end or t > published_before:
            continue
        k = int((t - start) // query.period)
        old = periods.get(k)
        periods[k] = stats if old is None else _merge(old, stats)
    return [(start + k * query.period, _value(query.stat, periods[k])) for k in sorted(periods)]
