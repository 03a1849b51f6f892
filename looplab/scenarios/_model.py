"""Typed scenarios: what the validator produces and the engine runs.

Every name in a step is already a template logical ID (aliases resolved), and every
``${parameter}`` is already substituted, so the engine never re-reads YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal

Comparator = Literal["equals", "at_least", "at_most", "between"]

# Metrics a condition can read. Every metric means the same on both backends, so each is
# one AWS can observe:
# - function metrics: AWS/Lambda by FunctionName (optional `function:`); no source dimension
#   exists on AWS, so they take no `source:` (per source, read a mapping metric);
# - mapping metrics: the event source mapping metrics (AWS/Lambda by EventSourceMappingUUID,
#   MetricsConfig EventCount) of the mapping(s) from a `source:` queue, summed;
# - async metrics: AWS/Lambda by FunctionName for asynchronous invocation (optional
#   `function:`); topic metrics: AWS/SNS by TopicName (`topic:` required).
OBSERVATION_METRICS = ("invocations", "errors", "recursive_invocations_dropped", "throttles")
MAPPING_METRICS = ("polled_events", "invoked_events", "failed_invoke_events", "deleted_events")
QUEUE_METRICS = ("visible", "in_flight", "delayed", "total")
DRAIN_METRICS = ("drained", "drained_counter", "drained_receive_count")
RUN_METRICS = ("max_counter_sent", "log_streams")
ASYNC_METRICS = (
    "async_events_received",
    "async_events_dropped",
    "dead_letter_errors",
    "destination_delivery_failures",
)
TOPIC_METRICS = ("published", "delivered", "failed")


@dataclass(frozen=True)
class Selectors:
    """Which selectors (`queue:`, `function:`, ...) a metric takes, and the one it needs.

    ``why`` is added to the missing-selector error where the selector's name alone does not
    say what to give.
    """

    takes: frozenset[str]
    needs: str | None = None
    why: str = ""


# Which selectors each group takes: the one table the validator checks every condition
# against, in the order METRICS lists the metrics (the order `unknown metric` offers them).
_GROUPS: tuple[tuple[tuple[str, ...], Selectors], ...] = (
    (OBSERVATION_METRICS, Selectors(frozenset({"function"}))),
    (MAPPING_METRICS, Selectors(frozenset({"source"}), "source", " (the queue of a mapping)")),
    (QUEUE_METRICS, Selectors(frozenset({"queue", "snapshot"}), "queue")),
    (DRAIN_METRICS, Selectors(frozenset({"queue"}), "queue")),
    (RUN_METRICS, Selectors(frozenset())),
    (ASYNC_METRICS, Selectors(frozenset({"function"}))),
    (TOPIC_METRICS, Selectors(frozenset({"topic"}), "topic")),
)
METRIC_SELECTORS: dict[str, Selectors] = {
    metric: selectors for group, selectors in _GROUPS for metric in group
}
METRICS = tuple(METRIC_SELECTORS)

METRIC_HELP = {
    "invocations": "Lambda Invocations since the run started (all functions, or `function:`)",
    "errors": "Lambda Errors since the run started (all functions, or `function:`)",
    "recursive_invocations_dropped": "RecursiveInvocationsDropped since the run started",
    "throttles": "Lambda Throttles since the run started",
    "polled_events": "PolledEventCount of the mapping from `source:` (events it received)",
    "invoked_events": "InvokedEventCount of the mapping from `source:` (events that ran it)",
    "failed_invoke_events": "FailedInvokeEventCount of the mapping from `source:`",
    "deleted_events": "DeletedEventCount of the mapping from `source:` (deleted after success)",
    "visible": "a queue's ApproximateNumberOfMessages (now, or at a named snapshot)",
    "in_flight": "a queue's ApproximateNumberOfMessagesNotVisible",
    "delayed": "a queue's ApproximateNumberOfMessagesDelayed",
    "total": "visible + in_flight + delayed",
    "drained": "how many messages the run drained from a queue",
    "drained_counter": "the highest JSON 'counter' among the messages drained from a queue",
    "drained_receive_count": "the highest receive count among the messages drained from a queue",
    "max_counter_sent": "the highest counter the handler logged as sent",
    "log_streams": "how many log streams (execution environments) appeared since the run started",
    "async_events_received": "AsyncEventsReceived: events queued for asynchronous invocation",
    "async_events_dropped": "AsyncEventsDropped: asynchronous events dropped without running",
    "dead_letter_errors": "DeadLetterErrors: events Lambda failed to send to the function's DLQ",
    "destination_delivery_failures": "DestinationDeliveryFailures: failed sends to a destination",
    "published": "NumberOfMessagesPublished of the `topic:`",
    "delivered": "NumberOfNotificationsDelivered of the `topic:` (to its subscriptions)",
    "failed": "NumberOfNotificationsFailed of the `topic:`",
}


@dataclass(frozen=True)
class Condition:
    """``metric`` (with its selector) compared to a number or an inclusive range."""

    metric: str
    op: Comparator
    value: float | tuple[float, float]
    queue: str | None = None
    function: str | None = None
    source: str | None = None
    snapshot: str | None = None
    note: str | None = None
    line: int = 0
    topic: str | None = None

    def subject(self) -> str:
        """e.g. ``invoked_events[source=DeadLetterQueue]``."""
        parts = [
            f"{k}={v}"
            for k, v in (
                ("queue", self.queue),
                ("function", self.function),
                ("source", self.source),
                ("snapshot", self.snapshot),
                ("topic", self.topic),
            )
            if v is not None
        ]
        return f"{self.metric}[{', '.join(parts)}]" if parts else self.metric

    def expected(self) -> str:
        if self.op == "between":
            lo, hi = self.value  # type: ignore[misc]
            return f"between {num(lo)} and {num(hi)}"
        words = {"equals": "==", "at_least": ">=", "at_most": "<="}
        return f"{words[self.op]} {num(self.value)}"  # type: ignore[arg-type]

    def holds(self, actual: float | None) -> bool:
        if actual is None:
            return False
        if self.op == "between":
            lo, hi = self.value  # type: ignore[misc]
            return lo <= actual <= hi
        if self.op == "equals":
            return actual == self.value
        if self.op == "at_least":
            return actual >= self.value  # type: ignore[operator]
        return actual <= self.value  # type: ignore[operator]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.subject(), "expected": self.expected()}
        if self.note:
            out["note"] = self.note
        return out


def num(value: float) -> str:
    """A number as a person writes it: ``120``, not ``120.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Step:
    """A typed step: each kind subclasses it in looplab/scenarios/kinds/<kind>.py, beside
    the rest of its declaration (keys, check, run)."""

    kind: ClassVar[str] = ""
    line: int = field(default=0, kw_only=True)

    def args(self) -> dict[str, Any]:
        """The step's resolved arguments, as the journal records them."""
        out: dict[str, Any] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name == "line" or value is None or value == ():
                continue
            if isinstance(value, tuple) and value and isinstance(value[0], Condition):
                value = [c.to_json() for c in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[spec.name] = value
        return out

    def summary(self) -> str:
        """One human line, for the console."""
        return self.kind


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    """One runnable experiment, fully resolved for one set of parameter values."""

    name: str
    description: str
    parameters: dict[str, Any]
    steps: tuple[Step, ...]
    finally_: tuple[Step, ...] = ()
    stop_when: tuple[Condition, ...] = ()
    file: str = ""
    line: int = 0
    stack: str = "sqs"  # the loop shape it runs on (looplab.scenarios.SHAPES)

    def queues(self) -> list[str]:
        """Every queue the scenario names, in first-use order."""
        seen: dict[str, None] = {}
        for step in (*self.steps, *self.finally_):
            for name in ("queue", "source"):
                value = getattr(step, name, None)
                if value:
                    seen.setdefault(value, None)
            for value in getattr(step, "queues", ()) or ():
                seen.setdefault(value, None)
        return list(seen)
