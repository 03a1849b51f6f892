"""The Backend protocol: the one interface the scenario engine drives, and the optional
capabilities a backend declares in its type (:class:`Watchable`, :class:`Brakeable`,
:class:`TimelineSource`).

Every backend (the embedded simulator and real AWS) implements all of the protocol, so a
scenario, its journal and its expectations never know which one ran. What only some
backends can do is a capability: the engine asks ``isinstance(backend, Brakeable)``, never
whether a method happens to exist. Queues, functions and mappings
are named by their logical IDs in the compiled CloudFormation template (``Queue``,
``DeadLetterQueue``, ``RecursiveLambdaFunction``); aliases are resolved before a backend
sees a name.

Times are seconds on the backend's own clock (:meth:`Backend.now`): virtual seconds for the
simulator, epoch seconds for AWS. Observations are windows on that clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from looplab.backends._timeline import (
    DropRecord,
    FunctionLogEvent,
    InvocationRecord,
    invocations,
)

RecursiveLoop = Literal["Allow", "Terminate"]


class BackendError(Exception):
    """A backend could not do what a step asked (unknown name, refused by a safety rail...)."""


@dataclass(frozen=True)
class QueueState:
    """SQS's three approximate counts, as GetQueueAttributes reports them.

    ``settled`` is False while the counts have not held still long enough to be trusted
    (SQS's counts are approximate and lag about a minute on AWS); an ``equals``/``at_most``
    check on an unsettled state does not hold yet. The simulator's counts are exact.
    """

    visible: int
    in_flight: int
    delayed: int
    settled: bool = field(default=True, compare=False)

    @property
    def total(self) -> int:
        return self.visible + self.in_flight + self.delayed


@dataclass(frozen=True)
class DrainedMessage:
    """A message received (and then deleted) by :meth:`Backend.drain`."""

    queue: str
    message_id: str
    body: str
    receive_count: int
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class FunctionCounts:
    """A function's AWS/Lambda metrics (dimension FunctionName): no source dimension exists."""

    invocations: int = 0
    errors: int = 0
    recursive_invocations_dropped: int = 0
    throttles: int = 0

    def add(self, other: FunctionCounts) -> None:
        for name in FUNCTION_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SourceCounts:
    """An event source mapping's metrics (AWS/Lambda, dimension EventSourceMappingUUID).

    The only per-source figures AWS publishes (MetricsConfig EventCount). How an event that
    loop detection stopped counts in them is not documented: runs record it, scenarios do
    not expect it.
    """

    polled_events: int = 0
    invoked_events: int = 0
    failed_invoke_events: int = 0
    deleted_events: int = 0

    def add(self, other: SourceCounts) -> None:
        for name in SOURCE_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class AsyncCounts:
    """A function's asynchronous-invocation metrics (AWS/Lambda by FunctionName): what
    Lambda's internal queue took in, dropped, and failed to hand to a DLQ or destination."""

    async_events_received: int = 0
    async_events_dropped: int = 0
    dead_letter_errors: int = 0
    destination_delivery_failures: int = 0


@dataclass
class TopicCounts:
    """A topic's AWS/SNS metrics (dimension TopicName)."""

    published: int = 0
    delivered: int = 0
    failed: int = 0


ASYNC_METRICS = {
    "async_events_received": "AsyncEventsReceived",
    "async_events_dropped": "AsyncEventsDropped",
    "dead_letter_errors": "DeadLetterErrors",
    "destination_delivery_failures": "DestinationDeliveryFailures",
}
TOPIC_METRICS = {
    "published": "NumberOfMessagesPublished",
    "delivered": "NumberOfNotificationsDelivered",
    "failed": "NumberOfNotificationsFailed",
}
InvocationType = Literal["Event", "RequestResponse"]

FUNCTION_FIELDS = ("invocations", "errors", "recursive_invocations_dropped", "throttles")
SOURCE_FIELDS = ("polled_events", "invoked_events", "failed_invoke_events", "deleted_events")
# Backend figure -> the CloudWatch metric it is read from (both backends use these names).
FUNCTION_METRICS = {
    "invocations": "Invocations",
    "errors": "Errors",
    "recursive_invocations_dropped": "RecursiveInvocationsDropped",
    "throttles": "Throttles",
}
SOURCE_METRICS = {
    "polled_events": "PolledEventCount",
    "invoked_events": "InvokedEventCount",
    "failed_invoke_events": "FailedInvokeEventCount",
    "deleted_events": "DeletedEventCount",
}


@dataclass(frozen=True)
class Provenance:
    """Where a figure came from and whether it had settled when it was read."""

    source: str  # e.g. "cloudwatch:AWS/Lambda Invocations", "logs:/aws/lambda/f", "simulator"
    settled: bool = True
    note: str = ""


@dataclass
class Observations:
    """What the functions did in a time window, as CloudWatch would show it.

    ``by_function`` is keyed by function logical ID; ``by_source`` by the logical ID of a
    mapping's source queue (summed over the mappings from it), from the event source mapping
    metrics. ``counters_sent`` lists the counters the handler logged as sent, in time order
    ("Sending count N"). ``provenance`` says, per figure name (``invocations``,
    ``polled_events``, ``counters_sent``, ...), where it came from and whether it had settled.
    """

    invocations: int = 0
    errors: int = 0
    recursive_invocations_dropped: int = 0
    throttles: int = 0
    by_function: dict[str, FunctionCounts] = field(default_factory=dict)
    by_source: dict[str, SourceCounts] = field(default_factory=dict)
    # Keyed by function / topic logical ID; a backend that cannot read them leaves them empty
    # (a condition on a missing figure then fails as "not observed", never as zero).
    async_by_function: dict[str, AsyncCounts] = field(default_factory=dict)
    by_topic: dict[str, TopicCounts] = field(default_factory=dict)
    counters_sent: list[int] = field(default_factory=list)
    log_streams: list[str] = field(default_factory=list)
    provenance: dict[str, Provenance] = field(default_factory=dict)

    def pending(self) -> set[str]:
        """The figures that had not settled when read (AWS metrics arrive minutes late)."""
        return {name for name, p in self.provenance.items() if not p.settled}


@dataclass(frozen=True)
class MetricPoint:
    """One per-minute datapoint: ``namespace`` is ``AWS/Lambda`` or ``AWS/SQS``."""

    namespace: str
    metric: str
    resource: str
    minute: float
    value: float


@runtime_checkable
class Backend(Protocol):
    """What a scenario step can do to a stack. See DESIGN.md, "The Backend interface"."""

    name: str

    def now(self) -> float: ...

    def close(self) -> None:
        """Release resources. Never raises for an already closed backend."""

    def seed(self, queue: str, body: str, count: int = 1) -> list[str]:
        """Send ``count`` messages from outside any function (each starts a new chain)."""

    def purge(self, queue: str) -> None: ...

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        """Publish to an SNS topic from outside any function (a new chain); the MessageId."""

    def put_object(self, bucket: str, key: str, body: str | bytes) -> None:
        """Put an object into a bucket from outside any function (a new chain)."""

    def invoke(
        self, function: str, payload: Any, invocation_type: InvocationType = "Event"
    ) -> dict[str, Any]:
        """Invoke a function from outside any function: {"StatusCode": 202} for Event;
        {"StatusCode": 200, "Payload": ..., "FunctionError"?: ...} for RequestResponse."""

    def set_mapping(self, function: str, source_queue: str, enabled: bool) -> None: ...

    def set_recursion(self, function: str, mode: RecursiveLoop) -> None: ...

    def advance(self, seconds: float, progress: Callable[[float], None] | None = None) -> None:
        """Let ``seconds`` pass (simulator: virtual clock; AWS: sleep). ``progress`` gets
        the seconds done so far, for a progress bar."""

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        poll: float = 1.0,
        progress: Callable[[float], None] | None = None,
    ) -> bool:
        """Let time pass until ``predicate()`` holds (checked every ``poll`` seconds) or
        ``timeout`` seconds pass. Returns whether it held."""

    def queue_state(self, queue: str) -> QueueState: ...

    def drain(self, queue: str, max_messages: int = 10) -> list[DrainedMessage]:
        """Receive up to ``max_messages`` visible messages, delete them, return them."""

    def observations(self, since: float | None = None) -> Observations: ...

    def metric_series(self, since: float, until: float) -> list[MetricPoint]: ...

    def settle(self) -> None:
        """Let time pass until the figures read so far can be trusted (AWS: CloudWatch's
        lateness and SQS's approximate counts; the simulator: nothing to wait for)."""

    def describe(self) -> dict[str, Any]:
        """Where the run ran, for the journal (account, region, stack, endpoint, identity
        ARN on AWS). Never a credential."""

    def finish(self) -> dict[str, Any]:
        """Called once after ``finally``: the backend's own rails (restore loop protection,
        release a budget's concurrency cap). Returns what it did, for the journal."""


# -- capabilities: what a backend may offer beyond the protocol -----------------------------
#
# Each is an abstract class a backend declares by inheriting it (``class LocalBackend(
# Watchable, Brakeable, TimelineSource)``), and the engine asks ``isinstance(backend,
# Brakeable)``: the capability is in the type, where a reader and a type checker see it.
# Nominal, not structural (a runtime-checkable Protocol), on purpose: isinstance on a
# Protocol is getattr under another name (a method that happens to exist would count), while
# a declared ABC whose method is missing cannot even be built (TypeError at construction),
# and a type checker holds the declared method to the base's signature and return type.
# docs/design.md, "Adding a backend", says why in full.


@dataclass(frozen=True)
class BrakeAction:
    """One thing a brake (or the aws kill switch) did: ``action``
    (``lambda:PutFunctionConcurrency``, ...) on ``resource``, and its result ("ok", what was
    confirmed, or what went wrong; ``ok`` says which)."""

    action: str
    resource: str
    result: str = "ok"
    ok: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RailBraked(BackendError):
    """A backend's own rail stopped the run and has already braked (the aws invocation
    budget, counted from the logs). Raised from a step; in ``finally`` the engine records it
    as a stop, not a failed cleanup step, and brakes no second time."""


class Watchable(ABC):
    """The backend steps event by event and can call back after each moment: stop
    conditions are then exact (the simulator). Without it the engine polls between the
    slices of a wait, seconds late, as a real account's figures are."""

    @abstractmethod
    def watch(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` after every moment at which an event ran, while time moves;
        None stops watching. The callback may raise to stop the wait at that moment."""


class Brakeable(ABC):
    """The backend has an emergency brake: nothing more is invoked (every function's
    reserved concurrency 0, every mapping disabled). The engine applies it once when a stop
    condition holds during ``finally``, which is never cut short."""

    @abstractmethod
    def brake(self) -> list[BrakeAction]:
        """Apply the brake; what it did, action by action (the engine brakes once a run)."""


class TimelineSource(ABC):
    """The backend can say what happened one invocation at a time, for the journal's
    timeline (without it the journal says what is missing):

    - ``log_events``: the functions' log events in ``[since, until]``, in order within each
      log stream (aws: FilterLogEvents on each function's log group), for
      :func:`invocations`;
    - ``dropped_invocations``: each stopped recursive invocation, or None when the backend
      only knows them per minute (aws: the RecursiveInvocationsDropped series);
    - ``metric_settle_seconds``: how long after a run its metric series keep filling in
      (0: final when written, the simulator's; CloudWatch publishes minutes late).
    """

    metric_settle_seconds: float = 0.0

    @abstractmethod
    def log_events(
        self, since: float, until: float | None = None
    ) -> Iterable[FunctionLogEvent]: ...

    @abstractmethod
    def dropped_invocations(
        self, since: float, until: float | None = None
    ) -> list[DropRecord] | None: ...


__all__ = [
    "ASYNC_METRICS",
    "FUNCTION_FIELDS",
    "FUNCTION_METRICS",
    "SOURCE_FIELDS",
    "SOURCE_METRICS",
    "TOPIC_METRICS",
    "AsyncCounts",
    "Backend",
    "BackendError",
    "BrakeAction",
    "Brakeable",
    "DrainedMessage",
    "DropRecord",
    "FunctionCounts",
    "FunctionLogEvent",
    "InvocationRecord",
    "InvocationType",
    "MetricPoint",
    "Observations",
    "Provenance",
    "QueueState",
    "RailBraked",
    "RecursiveLoop",
    "SourceCounts",
    "TimelineSource",
    "TopicCounts",
    "Watchable",
    "invocations",
]
