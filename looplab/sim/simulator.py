"""The simulator: one stack's services on a virtual clock, and the experimenter's door.

Built from a :class:`looplab.stack.Stack` (the compiled template), so nothing about the
shape of the experiment is assumed. Time only moves in :meth:`Simulator.run_until` /
:meth:`advance`; handlers run (in their environments' processes) during those calls,
their boto3 calls bridged to this simulator. Between those calls, the clients of
:meth:`Simulator.session` are answered at the current virtual time.

This module is the kernel: the clock, the event log, dispatch (every bridged call, routed
by botocore service name), delivery to an ARN, and the experimenter's calls. It names no
service: it joins those of :mod:`looplab.sim.services.registry` in order and reads from
each joined part what the service adds (its api, its delivery targets, what it samples
once a metric period, the handles it shows, the experimenter's calls it answers, what it
closes). Each experimenter's call is a public method here, the one door the local backend
uses, handed on to the part that answers it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import boto3

from looplab.sim import bridge
from looplab.sim._experimenter import experimenter_session, stack_record
from looplab.sim.clock import Clock
from looplab.sim.params import SimParams
from looplab.sim.refusals import check_stack
from looplab.sim.services import (
    Api,
    Call,
    EventSink,
    Part,
    Service,
    ServiceError,
    error_reply,
    not_modelled,
    registry,
    success_status,
)
from looplab.stack import Stack

if TYPE_CHECKING:  # the experimenter's calls' types, for annotations only
    from looplab.sim.services.logs import LogEvent
    from looplab.sim.services.sqs import Message, QueueCounts

__all__ = ["KERNEL_CALLS", "KERNEL_PARAMS", "Simulator"]

P = TypeVar("P", bound=Part)

KERNEL_CALLS = (
    "run_until",
    "advance",
    "next_event_at",
    "session",
    "client",
    "stack_record",
    "dispatch",
    "deliver",
    "event",
    "running",
    "part",
    "close",
)
"""The simulator's public methods that are its own; every other one is a service's call
(``Service.calls``), handed on to the part that answers it."""

KERNEL_PARAMS = ("epoch",)
"""The SimParams fields the kernel reads; every other one is a service's (``Service.params``)."""


class Simulator:
    def __init__(
        self,
        stack: Stack,
        seed: int = 0,
        params: SimParams | None = None,
        event_log: TextIO | None = None,
    ) -> None:
        # What the simulator cannot model is refused before anything runs (by name and
        # template path), never silently left out.
        check_stack(stack)
        self.stack = stack
        self.seed = seed
        self.params = params or SimParams()
        self.rng = random.Random(seed)
        # A loop at one instant is stopped by the clock, naming the resources it went through.
        self.clock = Clock(self.params.epoch, describe=_describe_event)
        self._event_log = event_log
        self.event_sink: EventSink | None = self.event if event_log is not None else None
        """The event log's writer, None when no log is kept (services skip formatting)."""
        self._next_sample = self.clock.now
        self._requests = 0
        self._loader: Any = None
        self._parts: list[Part] = []
        self.services: dict[str, Api] = {}
        """The service table the bridge routes through, by botocore service name."""
        try:
            self._join(registry.SERVICES)
        except BaseException:
            self._close_parts()  # what joined before the failure ends here
            raise
        bridge.ensure_installed()
        self.closed = False
        bridge.opened(self)

    def _join(self, services: tuple[Service, ...]) -> None:
        calls: dict[str, Callable[..., Any]] = {}
        for service in services:
            part = service.join(self)
            self._parts.append(part)
            if part.api is not None:
                self.services[service.name] = part.api
            for name, value in part.handles().items():
                if hasattr(self, name):
                    raise TypeError(
                        f"service {service.name!r} shows a handle {name!r} that the "
                        "simulator already has: rename it"
                    )
                setattr(self, name, value)
            for name in service.calls:
                if name in calls:
                    raise TypeError(f"two services answer the experimenter's call {name!r}")
                calls[name] = getattr(part, name)
        self._calls: Any = SimpleNamespace(**calls)
        # Only the parts that add something are asked: deliver(), the sampler and dispatch()
        # run often.
        self._targets = [p.deliver for p in self._parts if type(p).deliver is not Part.deliver]
        self._samplers = [p.sample for p in self._parts if type(p).sample is not Part.sample]
        self._callers = [p.caller for p in self._parts if type(p).caller is not Part.caller]

    # -- the kernel, as services see it (looplab.sim.services.Kernel) ----------------------

    def event(self, kind: str, detail: str) -> None:
        """Write one line to the event log, if one is kept."""
        if self._event_log is not None:
            self._event_log.write(f"{self.clock.now:.6f}\t{kind}\t{detail}\n")

    def running(self) -> AbstractContextManager[None]:
        """While open, handler code the clock runs may call back into this simulator."""
        return bridge.running(self)

    def part(self, kind: type[P]) -> P:
        """The joined part of that type (a service before the asking one in the registry)."""
        for part in self._parts:
            if isinstance(part, kind):
                return part
        raise LookupError(
            f"no service joined so far gives a {kind.__name__}: a service must come after "
            "the ones it needs in looplab/sim/services/registry.py"
        )

    # -- time ----------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    def run_until(self, until: float) -> None:
        """Run the simulation to virtual time ``until`` (handlers run in here)."""
        period = self.params.metric_period
        with bridge.running(self):
            # What is sampled (queue depths) is sampled once a period, as CloudWatch does.
            while self._next_sample <= until:
                self.clock.run_until(self._next_sample)
                for sample in self._samplers:
                    sample(self.clock.now)
                self._next_sample += period
            self.clock.run_until(until)

    def advance(self, seconds: float) -> None:
        self.run_until(self.clock.now + seconds)

    def next_event_at(self) -> float | None:
        """The virtual time of the next scheduled event, or None when nothing is scheduled:
        a caller that runs to it, then looks, sees every moment at which something ran."""
        return self.clock.next_time()

    # -- the experimenter's calls: each is a service's (Service.calls), handed on ----------
    # (the local backend uses nothing else: not sim.queues, sim.sqs, sim.clock, ...)

    def send(
        self, queue: str, body: str, count: int = 1, trace_header: str | None = None
    ) -> list[str]:
        """Send ``count`` messages as a client outside Lambda: each starts its own chain."""
        return self._calls.send(queue, body, count, trace_header)

    def receive(self, queue: str, max_messages: int = 10) -> list[tuple[Message, str]]:
        return self._calls.receive(queue, max_messages)

    def delete(self, queue: str, receipt_handle: str) -> None:
        self._calls.delete(queue, receipt_handle)

    def purge(self, queue: str) -> None:
        """PurgeQueue, with SQS's once-per-60-seconds rule (raises SqsError)."""
        self._calls.purge(queue)

    def purge_available_at(self, queue: str) -> float:
        """When SQS next allows PurgeQueue on ``queue`` (once every 60 seconds): a virtual
        time at or before now when a purge would be accepted at once."""
        return self._calls.purge_available_at(queue)

    def queue_counts(self, queue: str) -> QueueCounts:
        """``queue``'s messages by state, exact (SQS's approximate counts, without the lag)."""
        return self._calls.queue_counts(queue)

    def set_mapping(self, mapping: str, enabled: bool) -> None:
        self._calls.set_mapping(mapping, enabled)

    def set_recursion(self, function: str, mode: str) -> None:
        self._calls.set_recursion(function, mode)

    def set_reserved_concurrency(self, function: str, value: int | None) -> None:
        self._calls.set_reserved_concurrency(function, value)

    def invoke(
        self, function: str, payload: dict[str, Any], invocation_type: str = "Event"
    ) -> dict[str, Any]:
        """Invoke ``function`` (logical ID) as the experimenter: ``Event`` queues it on
        Lambda's internal queue ({"StatusCode": 202}); ``RequestResponse`` runs it now,
        the clock moving while it runs ({"StatusCode": 200, "Payload": <its JSON value>,
        "FunctionError": "Unhandled" on a handler error})."""
        return self._calls.invoke(function, payload, invocation_type)

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        """Publish to ``topic`` (logical ID) as a client outside Lambda (no trace header:
        each publish starts its own chain); String ``attributes``. Returns the MessageId."""
        return self._calls.publish(topic, message, attributes)

    def put_object(
        self, bucket: str, key: str, body: str | bytes, trace_header: str | None = None
    ) -> None:
        """PutObject into ``bucket`` (logical ID) as the experimenter: its notifications
        start a new chain unless ``trace_header`` continues one."""
        self._calls.put_object(bucket, key, body, trace_header)

    def metric_total(
        self, namespace: str, metric: str, since: float, resource: str | None = None
    ) -> float:
        """The sum of ``metric`` (for ``resource``, else every one) from ``since`` to now."""
        return self._calls.metric_total(namespace, metric, since, resource)

    def metric_series(
        self, since: float, until: float
    ) -> Iterator[tuple[str, str, str, float, float]]:
        """Every metric's per-period points in ``[since, until]``: ``(namespace, metric,
        resource, period_start, value)``, as CloudWatch would return them."""
        return self._calls.metric_series(since, until)

    def log_events(self, since: float, until: float | None = None) -> Iterator[LogEvent]:
        """Every log group's events in ``[since, until]``, in the order they were written."""
        return self._calls.log_events(since, until)

    def read_logs(self, position: int) -> tuple[list[LogEvent], int]:
        """The log events written after ``position`` (0: the first), and the position after
        them: a reader that keeps the position reads each event once, however long the run."""
        return self._calls.read_logs(position)

    # -- the experimenter's clients and records -------------------------------------------

    def session(self) -> boto3.Session:
        """A boto3 Session every client of which this simulator answers, at the current
        virtual time, as the experimenter (outside any function)."""
        session, self._loader = experimenter_session(self, self.stack.region, self._loader)
        return session

    def client(self, service: str) -> Any:
        """A client of :meth:`session` for botocore service ``service`` (for tests and
        notebooks)."""
        return self.session().client(service)

    def stack_record(self) -> dict[str, Any]:
        """The document the plugin writes to .looplab/stacks/ after a deploy, for the
        simulated stack (physical IDs as CloudFormation reports them)."""
        return stack_record(self.stack, self.clock.now)

    # -- the bridge's entry point, and deliveries between services -------------------------

    def dispatch(
        self, service: str, operation: str, params: dict[str, Any], trace_header: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one SDK call: ``(HTTP status, botocore-parsed reply)``, errors included
        in AWS's shape for the service's protocol. The caller is the resource whose code
        is running (a part's :meth:`~looplab.sim.services.Part.caller`: Lambda's function),
        else the experimenter."""
        # Sequential, not random: cheaper, equally unique, and it leaves the seeded stream
        # to the choices that shape the run.
        self._requests += 1
        request_id = f"{self._requests:08x}-0000-4000-8000-000000000000"
        function = None
        for caller in self._callers:
            function = caller()
            if function is not None:
                break
        call = Call(trace_header, function)
        try:
            api = self.services.get(service)
            if api is None:
                raise not_modelled(service, operation, sorted(self.services))
            parsed = api.handle(operation, params, call)
            status = success_status(service, operation)
        except ServiceError as exc:
            status, parsed = exc.status, error_reply(service, operation, exc, request_id)
        parsed["_request_id"] = request_id
        return status, parsed

    def deliver(
        self,
        arn: str,
        body: str,
        trace_header: str | None,
        source: str,
        attributes: dict[str, str] | None = None,
    ) -> None:
        """Send ``body`` to the queue, topic or function ``arn`` names (a destination, a
        dead-letter queue, a subscription): the one place an ARN becomes a target, offered
        to each service's targets in the registry's order. ``attributes`` become String
        message attributes where the target keeps them (a function's DLQ message carries
        RequestID, ErrorCode, ErrorMessage)."""
        for target in self._targets:
            if target(arn, body, trace_header, source, attributes):
                return
        # A target outside the stack leaves the simulated account: recorded, not run.
        self.event("deliver-out", f"{arn} from {source}")

    # -- the end ---------------------------------------------------------------------------

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            bridge.closed(self)
            self._close_parts()

    def _close_parts(self) -> None:
        # Last joined, first closed: a service may use the ones before it while it ends
        # (Lambda's environments stop before the log store they write to closes).
        while self._parts:
            self._parts.pop().close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe_event(fn: Any, args: tuple[Any, ...]) -> str:
    """An event as a stalled clock names it: the callable, and the stack's resources it
    acts on (its object's and its arguments' specs, named as their service names them)."""
    namers = {kind: name for s in registry.SERVICES for kind, name in s.names.items()}
    names: list[str] = []
    for obj in (getattr(fn, "__self__", None), *args):
        namer = namers.get(type(getattr(obj, "spec", None)))
        if namer is not None:
            names.append(namer(obj.spec))
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{name} [{', '.join(names)}]" if names else name
