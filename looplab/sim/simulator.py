"""The simulator: one stack's queues, functions and mappings on a virtual clock.

Built from a :class:`looplab.stack.Stack` (the compiled template), so nothing about the
shape of the experiment is assumed. Time only moves in :meth:`Simulator.run_until` /
:meth:`advance`; handlers run (in their environments' processes) during those calls,
their boto3 calls bridged to this simulator.
"""

from __future__ import annotations

import random
from typing import Any, TextIO

import boto3

from looplab.sim import bridge
from looplab.sim.clock import Clock
from looplab.sim.lambda_service import Function, LambdaService
from looplab.sim.params import SimParams
from looplab.sim.pollers import Poller
from looplab.sim.signals import Logs, Metrics
from looplab.sim.sqs import Message, Queue, SqsError, SqsModel
from looplab.sim.sqs_api import SqsApi
from looplab.stack import Stack


class Simulator:
    def __init__(
        self,
        stack: Stack,
        seed: int = 0,
        params: SimParams | None = None,
        event_log: TextIO | None = None,
    ) -> None:
        self.stack = stack
        self.seed = seed
        self.params = params or SimParams()
        self.rng = random.Random(seed)
        self.clock = Clock(self.params.epoch)
        self.metrics = Metrics(self.params.metric_period, self.params.epoch)
        self.logs = Logs()
        self._event_log = event_log
        self.sqs = SqsModel(self.clock, self.rng, stack.region, stack.account_id)
        self.sqs_api = SqsApi(self.sqs)
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
        self.sqs.on_visible = self._on_visible
        self.sqs.on_event = self._on_sqs_event
        self._sender = "AIDALOOPLABSEEDER"
        self._next_sample = self.clock.now
        self._requests = 0
        bridge.ensure_installed()
        self.closed = False

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

    def client(self, service: str = "sqs") -> Any:
        """A boto3 client whose calls this simulator answers (for tests and notebooks).

        Calls made through it run at the current virtual time, outside any function, so
        no trace header is added unless the caller's process sets one.
        """
        session = boto3.Session(
            aws_access_key_id="looplab",
            aws_secret_access_key="looplab",
            region_name=self.stack.region,
        )
        client = session.client(service)
        client.meta.events.register_last("before-call", self._client_call)
        return client

    def _client_call(self, model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
        return bridge.call(self, model, params)

    # -- the bridge's entry point ---------------------------------------------------------

    def dispatch(
        self, service: str, operation: str, params: dict[str, Any], trace_header: str | None
    ) -> tuple[int, dict[str, Any]]:
        # Sequential, not random: cheaper, equally unique, and it leaves the seeded stream
        # to the choices that shape the run.
        self._requests += 1
        request_id = f"{self._requests:08x}-0000-4000-8000-000000000000"
        if service != "sqs":
            reply = bridge.error_reply(
                "NotImplemented",
                f"looplab's simulator does not model {service}:{operation}; it models SQS "
                "only (run the scenario with --backend aws for other services)",
            )
            reply["_request_id"] = request_id
            return 501, reply
        function = self.lambdas.current
        # SQS's SenderId for a role is "<role id>:<session>"; Lambda's session is the function.
        sender = self._sender if function is None else f"AROALOOPLAB:{function.spec.name}"
        try:
            parsed = self.sqs_api.handle(operation, params, trace_header, sender)
            status = 200
        except SqsError as exc:
            status, parsed = (
                (400 if exc.sender else 500),
                bridge.error_reply(exc.code, exc.message, exc.shape),
            )
        parsed["_request_id"] = request_id
        return status, parsed

    # -- wiring --------------------------------------------------------------------------

    def _on_visible(self, queue: Queue) -> None:
        for poller in self._pollers_by_queue.get(id(queue), ()):
            poller.wake()

    def _sample_queues(self) -> None:
        now, gauge = self.clock.now, self.metrics.gauge
        for queue in self.queues.values():
            name = queue.spec.name
            gauge(now, "AWS/SQS", "ApproximateNumberOfMessagesVisible", name, queue.visible)
            gauge(now, "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", name, queue.inflight)
            gauge(now, "AWS/SQS", "ApproximateNumberOfMessagesDelayed", name, queue.delayed)

    def _on_sqs_event(self, kind: str, queue: Queue, message: Message) -> None:
        metric = _SQS_METRICS.get(kind)
        if metric:
            self.metrics.add(self.clock.now, "AWS/SQS", metric, queue.spec.name)
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
            self.lambdas.close()  # every environment's process ends here
            self.logs.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SQS_METRICS = {
    "send": "NumberOfMessagesSent",
    "receive": "NumberOfMessagesReceived",
    "delete": "NumberOfMessagesDeleted",
}
