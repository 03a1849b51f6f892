"""What a service is to the simulator: its descriptor, and what it adds once joined.

Each service folder's ``service.py`` declares one :class:`Service`; the registry
(:mod:`looplab.sim.services.registry`) is the tuple of them, the one place a service is
named. The simulator (the kernel: clock, dispatch, the experimenter's calls) loops over it:
it joins each service in the registry's order, handing it the :class:`Kernel`, and reads
from the :class:`Part` it gets back what the service adds:

- ``api``: what the bridge answers calls named ``Service.name`` with;
- :meth:`Part.deliver`: the ARNs it takes deliveries to (a destination, a dead-letter
  queue, a subscription: ``Simulator.deliver`` asks each part in turn);
- :meth:`Part.sample`: what it records once a metric period (CloudWatch's samples);
- :meth:`Part.caller`: whose code is running, if it runs code (an SDK call's caller);
- :meth:`Part.handles`: the objects the simulator shows as attributes (``sim.queues``);
- the methods ``Service.calls`` names: the experimenter's calls it answers, one public
  method of the simulator each;
- :meth:`Part.close`: what ends with the simulator.

A service that needs another (Lambda records into CloudWatch's metric store, SNS sends to
SQS's queues) asks the kernel for that one's part by its type (:meth:`Kernel.part`), so it
joins after it in the registry. The descriptor also carries what the simulator refuses of
a template for this service (``refuse``, ``refuse_stack``), the SimParams fields whose
meaning it implements (``params``), and how a stalled clock names the stack's resources
it runs (``names``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from looplab.sim.services._errors import Call

if TYPE_CHECKING:
    from looplab.sim.clock import Clock
    from looplab.sim.params import SimParams
    from looplab.stack import Stack

__all__ = ["Api", "EventSink", "Kernel", "Part", "Refusal", "Service"]

EventSink = Callable[[str, str], None]
"""``event(kind, detail)``: one line of the simulator's event log."""

P = TypeVar("P", bound="Part")


class Api(Protocol):
    """What the bridge calls: botocore's parameters in, the parsed reply (without
    ResponseMetadata) out; raises :class:`~looplab.sim.services.ServiceError`."""

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]: ...


class Kernel(Protocol):
    """The simulator as a service sees it while joining, and keeps for its life."""

    clock: Clock
    rng: Random  # the run's one seeded stream: everything random draws from it
    params: SimParams
    stack: Stack
    event_sink: EventSink | None
    """The event log's writer, or None when no log is kept (so a hot path can skip
    formatting its line)."""

    def event(self, kind: str, detail: str) -> None:
        """Write one line to the event log, if one is kept."""
        ...

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None = None,
    ) -> None:
        """Send ``body`` to whatever ``arn`` names (any service's target)."""
        ...

    def dispatch(
        self, service: str, operation: str, params: dict[str, Any], trace_header: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one SDK call (a handler's, routed back from its environment)."""
        ...

    def running(self) -> AbstractContextManager[None]:
        """While open, handler code the clock runs may call back (``bridge.running``)."""
        ...

    def part(self, kind: type[P]) -> P:
        """The joined part of that type (a service joined earlier in the registry)."""
        ...


class Part:
    """A service joined to one simulator. A subclass overrides what its service adds;
    the defaults add nothing."""

    api: Api | None = None

    def handles(self) -> Mapping[str, Any]:
        """Objects the simulator shows as attributes of that name (for tests, notebooks)."""
        return {}

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None,
    ) -> bool:
        """Take a delivery to ``arn`` if it names one of this service's targets (True)."""
        return False

    def sample(self, now: float) -> None:
        """Record what is sampled once a metric period (called at each period's start)."""

    def caller(self) -> str | None:
        """The logical ID of this service's resource whose code is running now (Lambda's
        function), which makes the SDK calls dispatched meanwhile; None when none runs."""
        return None

    def close(self) -> None:
        """Release what outlives a run otherwise (processes, files)."""


@dataclass(frozen=True)
class Refusal:
    """One thing of a template the simulator would run wrongly (looplab.sim.refusals)."""

    path: str  # Resources.<id> or Resources.<id>.Properties.<name>
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


RefuseResource = Callable[["Stack", str, str, Mapping[str, Any]], Iterable[Refusal]]
"""``refuse(stack, logical_id, resource type, properties)``: one resource's refusals."""


@dataclass(frozen=True)
class Service:
    """One AWS service of the simulator, as its folder's ``service.py`` declares it."""

    name: str
    """botocore's service name: the bridge routes calls so named to the part's ``api``."""

    join: Callable[[Kernel], Part]
    """Build the service's state for one simulator (called in the registry's order)."""

    calls: tuple[str, ...] = ()
    """The experimenter's calls it answers: methods of its part, each also a public method
    of the simulator of the same name (which hands the call on)."""

    params: tuple[str, ...] = ()
    """The SimParams fields whose meaning this service implements (each field has one)."""

    refuse: RefuseResource | None = None
    """What of one template resource this service cannot model (in template order)."""

    refuse_stack: Callable[[Stack], Iterable[Refusal]] | None = None
    """What it cannot model across resources (reported before the per-resource ones)."""

    principal: str | None = None
    """The service principal of an AWS::Lambda::Permission that lets this service invoke
    a function (``sns.amazonaws.com``); None when it invokes none."""

    names: Mapping[type, Callable[[Any], str]] = field(default_factory=dict)
    """How a stalled clock names a stack resource this service runs, by its spec's type."""
