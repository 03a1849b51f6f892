"""The AWS/SQS metrics of the simulated queues, as CloudWatch publishes them: counters per
send, receive and delete, and the depth gauges sampled once a period (CloudWatch's SQS
metrics are one-minute samples, not live values)."""

from __future__ import annotations

from collections.abc import Iterable

from looplab.sim.services.cloudwatch import Metrics
from looplab.sim.services.sqs.model import Queue

__all__ = ["count_sqs_event", "sample_queues"]

_SQS_METRICS = {
    "send": "NumberOfMessagesSent",
    "receive": "NumberOfMessagesReceived",
    "delete": "NumberOfMessagesDeleted",
}


def count_sqs_event(metrics: Metrics, now: float, kind: str, queue: Queue) -> None:
    metric = _SQS_METRICS.get(kind)
    if metric:
        metrics.add(now, "AWS/SQS", metric, queue.spec.name)


def sample_queues(metrics: Metrics, now: float, queues: Iterable[Queue]) -> None:
    gauge = metrics.gauge
    for queue in queues:
        name = queue.spec.name
        gauge(now, "AWS/SQS", "ApproximateNumberOfMessagesVisible", name, queue.visible)
        gauge(now, "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", name, queue.inflight)
        gauge(now, "AWS/SQS", "ApproximateNumberOfMessagesDelayed", name, queue.delayed)
        if queue.messages:  # reported only while the queue holds a message
            oldest = min(m.sent for m in queue.messages.values())
            gauge(now, "AWS/SQS", "ApproximateAgeOfOldestMessage", name, now - oldest)
