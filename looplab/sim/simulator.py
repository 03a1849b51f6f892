"""The simulator: one stack's queues, functions and mappings on a virtual clock.

Built from a :class:`looplab.stack.Stack` (the compiled template), so nothing about the
shape of the experiment is assumed. Time only moves in :meth:`Simulator.run_until` /
:meth:`advance`; handlers run (in their environments' processes) during those calls,
their boto3 calls bridged to this simulator. Between those calls, the clients of
:meth:`Simulator.session` are answered at the current virtual time.

Every bridged call reaches :meth:`Simulator.dispatch`, which routes it through
``Simulator.services``, a ``{botocore service name: api}`` table: adding a service is one
entry there (an object with ``handle(operation, params, call) -> dict``).

The experimenter's calls (what it does and what it reads) are the simulator's public API,
the one door the local backend uses: many thin methods, which with every service's wiring
still built here put this module past 400 lines. Moving the wiring into the services'
own folders shrinks it; the public methods stay.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol, TextIO

import boto3

from looplab.sim import bridge
from looplab.sim._experimenter import experimenter_session, stack_record
from looplab.sim._wiring import attach_async_invoke, attach_s3, attach_sns
from looplab.sim.clock import Clock
from looplab.sim.params import SimParams
from looplab.sim.refusals import check_stack
from looplab.sim.services import (
    Call,
    ServiceError,
    error_reply,
    not_modelled,
    success_status,
)
from looplab.sim.services.cloudwatch import CloudWatchApi
from looplab.sim.services.cloudwatch.store import Metrics
from looplab.sim.services.lambda_ import InvokeApi, LambdaApi, LambdaControl
from looplab.sim.services.lambda_.execution import Function, LambdaService
from looplab.sim.services.lambda_.pollers import Poller
from looplab.sim.services.logs import LogsApi
from looplab.sim.services.logs.store import LogEvent, Logs
from looplab.sim.services.sqs import EXPERIMENTER_ID, Message, Queue, SqsApi, SqsModel
from looplab.sim.services.sqs.metrics import count_sqs_event, sample_queues
from looplab.sim.services.sts import StsApi
from looplab.stack import FunctionSpec, MappingSpec, QueueSpec, Stack, TopicSpec


class ServiceApi(Protocol):
    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]: ...


class QueueCounts(NamedTuple):
    """A queue's messages by state (:meth:`Simulator.queue_counts`)."""

    visible: int
    in_flight: int
    delayed: int


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
        self.metrics = Metrics(self.params.metric_period, self.params.epoch)
        # osls compiles a /aws/lambda/<name> log group for every function: they exist
        # from the deploy, before any invocation.
        self.logs = Logs(
            (f"/aws/lambda/{spec.name}" for spec in stack.functions.values()),
            region=stack.region,
            account=stack.account_id,
        )
        self._event_log = event_log
        self.sqs = SqsModel(self.clock, self.rng, stack.region, stack.account_id)
        self.lambdas = LambdaService(
            self.clock,
            self.rng,
            self.params,
            self.metrics,
            self.logs,
            stack.region,
            self._event if event_log is not None else None,
        )
        self.lambdas.router = self  # the handlers' SDK calls come back to dispatch()
        self.queues: dict[str, Queue] = {
            lid: self.sqs.add_queue(spec) for lid, spec in stack.queues.items()
        }
        self.functions: dict[str, Function] = {
            lid: self.lambdas.add_function(spec) for lid, spec in stack.functions.items()
        }
        self.pollers: dict[str, Poller] = {}
        self._pollers_by_queue: dict[int, list[Poller]] = {}
        for lid, spec in stack.mappings.items():
            poller = Poller(
                spec,
                self.queues[spec.source_queue],
                self.functions[spec.function],
                self.sqs,
                self.lambdas,
                self.params.pollers_per_mapping,
            )
            self.pollers[lid] = poller
            self._pollers_by_queue.setdefault(id(poller.queue), []).append(poller)
        events = self._event if event_log is not None else None
        self.async_invoke = attach_async_invoke(self, events)
        """Lambda's internal queue: SNS, S3 and Invoke(Event) reach functions through it."""
        self.sqs.on_visible = self._on_visible
        self.sqs.on_event = self._on_sqs_event
        self._sender = EXPERIMENTER_ID
        self._next_sample = self.clock.now
        self._requests = 0
        self._loader: Any = None
        control = LambdaControl(
            self.lambdas.functions,
            self.pollers,
            stack.region,
            stack.account_id,
            self.set_recursion,
            self.set_reserved_concurrency,
        )
        self._invocations = InvokeApi(control, self.lambdas, self.async_invoke, self.clock)
        self.services: dict[str, ServiceApi] = {
            "sqs": SqsApi(self.sqs, self._sqs_sender),
            "lambda": LambdaApi(control, self.clock.now, self._invocations),
            "sts": StsApi(stack.account_id, self._role_of),
            "cloudwatch": CloudWatchApi(self.metrics, self.clock, self.params),
            "logs": LogsApi(self.logs, self.clock, self.params),
        }
        """The service table the bridge routes through, by botocore service name."""
        self.sns = attach_sns(self, events)
        """SNS: the stack's topics and subscriptions."""
        self.s3 = attach_s3(self, self._event, self._s3_principal)
        """S3: the stack's buckets (by bucket name) and their objects."""
        bridge.ensure_installed()
        self.closed = False
        bridge.opened(self)

    # -- time ----------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    def run_until(self, until: float) -> None:
        """Run the simulation to virtual time ``until`` (handlers run in here)."""
        period = self.params.metric_period
        with bridge.running(self):
            # Queue depths are sampled once a period, as CloudWatch's SQS metrics are.
            while self._next_sample <= until:
                self.clock.run_until(self._next_sample)
                self._sample_queues()
                self._next_sample += period
            self.clock.run_until(until)

    def advance(self, seconds: float) -> None:
        self.run_until(self.clock.now + seconds)

    # -- operations from outside any function (the experimenter's) ------------------------

    def send(
        self, queue: str, body: str, count: int = 1, trace_header: str | None = None
    ) -> list[str]:
        """Send ``count`` messages as a client outside Lambda: each starts its own chain."""
        target = self.queues[queue]
        return [
            self.sqs.send(
                target, body, trace_header=trace_header, sender_id=self._sender
            ).message_id
            for _ in range(count)
        ]

    def receive(self, queue: str, max_messages: int = 10) -> list[tuple[Message, str]]:
        return [
            (r.message, r.receipt_handle)
            for r in self.sqs.receive(self.queues[queue], max_messages)
        ]

    def delete(self, queue: str, receipt_handle: str) -> None:
        self.sqs.delete(self.queues[queue], receipt_handle)

    def purge(self, queue: str) -> None:
        """PurgeQueue, with SQS's once-per-60-seconds rule (raises SqsError)."""
        self.sqs.purge(self.queues[queue])

    def set_mapping(self, mapping: str, enabled: bool) -> None:
        self.pollers[mapping].set_enabled(enabled)
        self._event("mapping", f"{mapping} enabled={int(enabled)}")

    def set_recursion(self, function: str, mode: str) -> None:
        if mode not in ("Allow", "Terminate"):
            raise ValueError(f"RecursiveLoop must be Allow or Terminate, not {mode!r}")
        self.functions[function].recursive_loop = mode
        self._event("recursion", f"{function} {mode}")

    def set_reserved_concurrency(self, function: str, value: int | None) -> None:
        target = self.functions[function]
        target.reserved_concurrency = value
        for wake in target.on_free:
            wake()

    # -- what the experimenter reads: the simulator's state, through its public API --------
    # (the local backend reads nothing else: not sim.queues, sim.sqs, sim.clock, ...)

    def purge_available_at(self, queue: str) -> float:
        """When SQS next allows PurgeQueue on ``queue`` (once every 60 seconds): a virtual
        time at or before now when a purge would be accepted at once."""
        return self.sqs.next_purge_at(self.queues[queue])

    def queue_counts(self, queue: str) -> QueueCounts:
        """``queue``'s messages by state, exact (SQS's approximate counts, without the lag)."""
        target = self.queues[queue]
        return QueueCounts(target.visible, target.inflight, target.delayed)

    def next_event_at(self) -> float | None:
        """The virtual time of the next scheduled event, or None when nothing is scheduled:
        a caller that runs to it, then looks, sees every moment at which something ran."""
        return self.clock.next_time()

    def metric_total(
        self, namespace: str, metric: str, since: float, resource: str | None = None
    ) -> float:
        """The sum of ``metric`` (for ``resource``, else every one) from ``since`` to now."""
        return self.metrics.total(namespace, metric, since, resource=resource)

    def metric_series(
        self, since: float, until: float
    ) -> Iterator[tuple[str, str, str, float, float]]:
        """Every metric's per-period points in ``[since, until]``: ``(namespace, metric,
        resource, period_start, value)``, as CloudWatch would return them."""
        return self.metrics.series(since, until)

    def log_events(self, since: float, until: float | None = None) -> Iterator[LogEvent]:
        """Every log group's events in ``[since, until]``, in the order they were written."""
        return self.logs.events(since, until)

    def read_logs(self, position: int) -> tuple[list[LogEvent], int]:
        """The log events written after ``position`` (0: the first), and the position after
        them: a reader that keeps the position reads each event once, however long the run."""
        return self.logs.read_from(position)

    # -- asynchronous invocation (issue 13) --

    def invoke(
        self, function: str, payload: dict[str, Any], invocation_type: str = "Event"
    ) -> dict[str, Any]:
        """Invoke ``function`` (logical ID) as the experimenter: ``Event`` queues it on
        Lambda's internal queue ({"StatusCode": 202}); ``RequestResponse`` runs it now,
        the clock moving while it runs ({"StatusCode": 200, "Payload": <its JSON value>,
        "FunctionError": "Unhandled" on a handler error})."""
        target = self.functions[function]
        if invocation_type == "Event":
            self.async_invoke.submit(function, payload, None, "invoke")
            return {"StatusCode": 202}
        if invocation_type != "RequestResponse":
            raise ValueError(
                f"invocation_type must be Event or RequestResponse, not {invocation_type!r}"
            )
        with bridge.running(self):
            outcome, value = self.lambdas.invoke_sync(target, payload, None, "invoke")
        reply: dict[str, Any] = {"StatusCode": 200, "Payload": value}
        if outcome == "error":
            reply["FunctionError"] = "Unhandled"
        elif outcome != "success":
            raise RuntimeError(f"{function} was not invoked: {outcome}")
        return reply

    # -- end asynchronous invocation --

    def session(self) -> boto3.Session:
        """A boto3 Session every client of which this simulator answers, at the current
        virtual time, as the experimenter (outside any function)."""
        session, self._loader = experimenter_session(self, self.stack.region, self._loader)
        return session

    def client(self, service: str = "sqs") -> Any:
        """A client of :meth:`session` (for tests and notebooks)."""
        return self.session().client(service)

    def stack_record(self) -> dict[str, Any]:
        """The document the plugin writes to .looplab/stacks/ after a deploy, for the
        simulated stack (physical IDs as CloudFormation reports them)."""
        return stack_record(self.stack, self.clock.now)

    # -- the bridge's entry point ---------------------------------------------------------

    def dispatch(
        self, service: str, operation: str, params: dict[str, Any], trace_header: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one SDK call: ``(HTTP status, botocore-parsed reply)``, errors included
        in AWS's shape for the service's protocol. The caller is the function whose code
        is running (``lambdas.current``), else the experimenter."""
        # Sequential, not random: cheaper, equally unique, and it leaves the seeded stream
        # to the choices that shape the run.
        self._requests += 1
        request_id = f"{self._requests:08x}-0000-4000-8000-000000000000"
        function = self.lambdas.current
        call = Call(trace_header, None if function is None else function.spec.logical_id)
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
        dead-letter queue, a subscription): the one place an ARN becomes a target.
        ``attributes`` become String message attributes where the target keeps them (a
        function's DLQ message carries RequestID, ErrorCode, ErrorMessage)."""
        for queue in self.queues.values():
            if queue.spec.arn == arn:
                sqs_attributes = {
                    k: {"DataType": "String", "StringValue": v}
                    for k, v in (attributes or {}).items()
                }
                self.sqs.send(
                    queue,
                    body,
                    trace_header=trace_header,
                    sender_id=source,
                    message_attributes=sqs_attributes or None,
                )
                return
        for logical_id, function in self.functions.items():
            if arn == function.spec.arn or arn.startswith(f"{function.spec.arn}:"):
                self.async_invoke.submit(logical_id, json.loads(body), trace_header, source)
                return
        topic = self.sns.topics.get(arn)  # -- sns (issue 13): a topic publishes it --
        if topic is not None:
            self.sns.publish(topic, body, trace_header=trace_header)
            return
        # A target outside the stack leaves the simulated account: recorded, not run.
        self._event("deliver-out", f"{arn} from {source}")

    # -- sns (issue 13) --

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        """Publish to ``topic`` (logical ID) as a client outside Lambda (no trace header:
        each publish starts its own chain); String ``attributes``. Returns the MessageId."""
        shaped = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in (attributes or {}).items()
        }
        return self.sns.publish(self.sns.named(topic), message, attributes=shaped)

    # -- end sns (issue 13) --

    def _sqs_sender(self, call: Call) -> str:
        # SQS's SenderId for a role is "<role id>:<session>"; Lambda's session is the function.
        if call.function is None:
            return self._sender
        return f"AROALOOPLAB:{self.functions[call.function].spec.name}"

    def _role_of(self, function: str) -> tuple[str, str]:
        spec = self.functions[function].spec
        role = spec.role.rsplit("/", 1)[-1] or f"{spec.name}-role"
        return role, spec.name

    # -- s3 (issue 13) --

    def put_object(
        self, bucket: str, key: str, body: str | bytes, trace_header: str | None = None
    ) -> None:
        """PutObject into ``bucket`` (logical ID) as the experimenter: its notifications
        start a new chain unless ``trace_header`` continues one."""
        spec = self.stack.buckets.get(bucket)
        if spec is None:
            valid = ", ".join(sorted(self.stack.buckets)) or "(none)"
            raise KeyError(f"no bucket {bucket!r} in the stack; its buckets: {valid}")
        data = body.encode() if isinstance(body, str) else bytes(body)
        self.s3.put(
            spec.name, key, data, trace_header=trace_header, principal=self._s3_principal(Call())
        )

    def _s3_principal(self, call: Call) -> str:
        # S3's userIdentity.principalId: "AWS:" and the caller's unique ID (SQS's SenderId).
        return f"AWS:{self._sqs_sender(call)}"

    # -- end s3 (issue 13) --

    # -- wiring --------------------------------------------------------------------------

    def _on_visible(self, queue: Queue) -> None:
        for poller in self._pollers_by_queue.get(id(queue), ()):
            poller.wake()

    def _sample_queues(self) -> None:
        sample_queues(self.metrics, self.clock.now, self.queues.values())

    def _on_sqs_event(self, kind: str, queue: Queue, message: Message) -> None:
        count_sqs_event(self.metrics, self.clock.now, kind, queue)
        if self._event_log is not None:
            self._event(
                kind,
                f"{queue.spec.logical_id} {message.message_id} "
                f"rc={message.receive_count} {message.body}",
            )

    def _event(self, kind: str, detail: str) -> None:
        if self._event_log is not None:
            self._event_log.write(f"{self.clock.now:.6f}\t{kind}\t{detail}\n")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            bridge.closed(self)
            self.lambdas.close()  # every environment's process ends here
            self.logs.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe_event(fn: Any, args: tuple[Any, ...]) -> str:
    """An event as a stalled clock names it: the callable, and the stack's resources it
    acts on (its object's and its arguments' specs: a mapping, a queue, a function)."""
    names: list[str] = []
    for obj in (getattr(fn, "__self__", None), *args):
        spec = getattr(obj, "spec", None)
        if isinstance(spec, MappingSpec):
            names.append(f"mapping {spec.logical_id} ({spec.source_queue} -> {spec.function})")
        elif isinstance(spec, QueueSpec):
            names.append(f"queue {spec.logical_id}")
        elif isinstance(spec, FunctionSpec):
            names.append(f"function {spec.logical_id}")
        elif isinstance(spec, TopicSpec):
            names.append(f"topic {spec.logical_id}")
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{name} [{', '.join(names)}]" if names else name
