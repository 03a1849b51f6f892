"""SQS event source mappings: the pollers Lambda runs between a queue and a function.

A mapping long-polls its queue, so it is modelled as event-driven: it is woken when a
message becomes visible (or when the function frees a slot) and receives after a short
poll latency. Each of its concurrent pollers (``limit``) receives on its own: as many polls
are in flight at once as there are free pollers and visible batches. A poller receives up
to BatchSize messages with the queue's visibility timeout, invokes the function, and then:
- success: deletes the batch; with ReportBatchItemFailures, all but the items the response
  lists, and nothing when the response is invalid (see ``_batch_item_failures``);
- error, stopped by loop detection, or throttled: leaves the batch; it comes back after the
  visibility timeout, its receive count already raised, so the queue's own redrive can move
  it on. Like AWS's pollers, a mapping does not account for the function's reserved
  concurrency: it receives, and the invoke is throttled (``SimParams.throttle_retry_interval``).

Scaling (Lambda developer guide, services-sqs-scaling, standard queues): a mapping starts
with five concurrent batches; while every poller is busy and messages are still visible it
adds up to 300 a minute, up to 1,000 or the mapping's MaximumConcurrency; with no visible
message for a while it returns to five (``SimParams.mapping_scale_*``). An invocation error
or a throttle holds the next step (``mapping_scale_hold_outcomes``).

A batch can hold messages of several chains; which record's trace the invocation
continues is ``SimParams.batch_trace_rule``.

A mapping's control-plane State (Enabling, Enabled, Disabling, Disabled, Updating) moves
as UpdateEventSourceMapping makes it: the new settings take effect when the transition
ends (``SimParams.mapping_transition``), and a disabled mapping's pollers go on delivering
for ``SimParams.mapping_disable_grace`` after it reports Disabled. With ``EventCount`` in
its MetricsConfig, a mapping counts its events in AWS/Lambda per mapping UUID.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from looplab.sim.ids import jitter
from looplab.sim.services.lambda_.execution import Function, LambdaService
from looplab.sim.services.sqs import Queue, Received, SqsModel, system_attributes
from looplab.sim.trace import TraceHeader
from looplab.stack import MappingSpec

MappingState = Literal["Enabling", "Enabled", "Disabling", "Disabled", "Updating"]
TRANSITIONAL: frozenset[str] = frozenset({"Enabling", "Disabling", "Updating"})


class Poller:
    def __init__(
        self,
        spec: MappingSpec,
        queue: Queue,
        function: Function,
        sqs: SqsModel,
        lambdas: LambdaService,
        default_concurrency: int,
    ) -> None:
        self.spec = spec
        self.queue = queue
        self.function = function
        self.sqs = sqs
        self.lambdas = lambdas
        self.enabled = spec.enabled  # whether its pollers deliver (lags State when disabling)
        self.state: MappingState = "Enabled" if spec.enabled else "Disabled"
        self.last_modified = lambdas.clock.now
        self.batch_size = spec.batch_size
        self.maximum_concurrency = spec.maximum_concurrency
        self.default_concurrency = default_concurrency
        self.limit = min(default_concurrency, self._cap())  # concurrent batches now
        self.busy = 0  # batches being invoked
        self.polling = 0  # polls scheduled, not yet received
        self._scaling = False  # a scaling step is pending on the clock
        self._held = False  # an error or throttle since the last step: no scale-up
        self._last_backlog = lambdas.clock.now
        self._generation = 0  # bumps on every state change: pending transitions compare it
        self._stop_at: float | None = None  # when the grace after Disabled ends, if pending
        self._target = spec.enabled  # the state the latest change is heading for
        self._counts = "EventCount" in spec.metrics
        function.on_free.append(self.wake)

    def set_enabled(self, enabled: bool) -> None:
        """Enable or disable at once, with no control-plane transition (the local backend's
        scenario steps; see docs/simulator.md)."""
        self._generation += 1
        self._stop_at = None
        self._target = enabled
        self.state = "Enabled" if enabled else "Disabled"
        self.last_modified = self.lambdas.clock.now
        self.enabled = enabled
        if enabled:
            self.wake()

    def update(
        self,
        *,
        enabled: bool | None = None,
        batch_size: int | None = None,
        maximum_concurrency: int | None = None,
    ) -> None:
        """UpdateEventSourceMapping: enter Enabling / Disabling / Updating now; the new
        settings apply when the transition ends. The caller refuses an update while a
        transition is under way (AWS: ResourceInUseException)."""
        params = self.lambdas.params
        clock = self.lambdas.clock
        target = self.state == "Enabled" if enabled is None else enabled
        was = self.state == "Enabled"
        self.state = "Updating" if target == was else ("Enabling" if target else "Disabling")
        self._target = target
        self.last_modified = clock.now
        self._generation += 1
        clock.after(
            params.mapping_transition,
            self._settle,
            self._generation,
            target,
            batch_size,
            maximum_concurrency,
        )

    def _settle(
        self,
        generation: int,
        enabled: bool,
        batch_size: int | None,
        maximum_concurrency: int | None,
    ) -> None:
        if generation != self._generation:
            return  # superseded (set_enabled meanwhile)
        if batch_size is not None:
            self.batch_size = batch_size
        if maximum_concurrency is not None:  # 0: the cap removed
            self.maximum_concurrency = maximum_concurrency or None
            self.limit = min(max(self.limit, self.default_concurrency), self._cap())
        self.state = "Enabled" if enabled else "Disabled"
        clock = self.lambdas.clock
        if enabled:
            self._stop_at = None
            self.enabled = True
            self.wake()
        elif self.enabled and self._stop_at is None:
            # The grace runs from the FIRST time Disabled was reported: an update settled
            # meanwhile (BatchSize, say) must not start it again.
            self._stop_at = clock.now + self.lambdas.params.mapping_disable_grace
            clock.at(self._stop_at, self._stop, self._stop_at)

    def _stop(self, at: float) -> None:
        """The grace's end: pollers stop, unless the mapping is being enabled again
        meanwhile (an update that keeps it disabled does not move the grace)."""
        if self._stop_at != at:
            return  # an older grace, cancelled (enabled meanwhile)
        if not self._target:
            self.enabled = False
        self._stop_at = None

    def _cap(self) -> int:
        return self.maximum_concurrency or self.lambdas.params.mapping_max_concurrency

    def wake(self) -> None:
        """Start a poll on every free poller that has a visible batch to take."""
        if not self.enabled:
            return
        queue = self.queue
        free = self.limit - self.busy - self.polling
        wanted = -(-queue.visible // self.batch_size) - self.polling
        if free > 0 and wanted > 0:
            rng, latency, after = self.lambdas.rng, self.lambdas.params.poll_latency, None
            after = self.lambdas.clock.after
            for _ in range(min(free, wanted)):
                self.polling += 1
                after(jitter(rng, latency), self._poll)
        if queue.visible and not self._scaling and self.busy + self.polling >= self.limit:
            self._arm_scaling()

    def _poll(self) -> None:
        self.polling -= 1
        if not self.enabled or self.busy >= self.limit:
            return  # woken again when enabled or when a batch finishes
        # No check of the function's reserved concurrency: AWS's pollers make none either.
        received = self.sqs.receive(self.queue, self.batch_size)
        if not received:
            return
        if self._counts:
            self._count("PolledEventCount", len(received))
        self._invoke(received)
        self.wake()  # more visible messages: another batch in parallel

    # -- scaling -------------------------------------------------------------------------

    def _arm_scaling(self) -> None:
        self._scaling = True
        self.lambdas.clock.after(self.lambdas.params.mapping_scale_interval, self._scale)

    def _scale(self) -> None:
        """One scaling step: up while saturated with a backlog, back to five once idle."""
        self._scaling = False
        params, now = self.lambdas.params, self.lambdas.clock.now
        floor = min(self.default_concurrency, self._cap())
        held, self._held = self._held, False
        if self.queue.visible:
            self._last_backlog = now
            saturated = self.busy + self.polling >= self.limit
            if saturated and not held and self.enabled and self.limit < self._cap():
                step = params.mapping_scale_up_per_minute * params.mapping_scale_interval / 60
                self.limit = min(self._cap(), self.limit + max(1, round(step)))
                self.wake()
        elif self.limit > floor and now - self._last_backlog >= params.mapping_scale_down_idle:
            self.limit = floor
        if not self._scaling and (
            self.limit > floor or (self.queue.visible and self.limit < self._cap())
        ):
            self._arm_scaling()

    def _invoke(self, received: list[Received]) -> None:
        self.busy += 1
        answered = False

        def done(outcome: str, result: Any) -> None:
            nonlocal answered
            answered = True
            self._done(received, outcome, result)

        try:
            self.lambdas.invoke(
                self.function,
                {"Records": [self._record(r) for r in received]},
                self._batch_trace(received),
                self.queue.spec.logical_id,
                done,
            )
        except BaseException:
            if not answered:
                self.busy -= 1  # nothing will answer: the slot must not stay taken
            raise

    def _batch_trace(self, received: list[Received]) -> str | None:
        """The trace header the batch's invocation continues (``SimParams.batch_trace_rule``)."""
        first = received[0].message.trace_header
        rule = self.lambdas.params.batch_trace_rule
        if rule == "first" or len(received) == 1:
            return first
        tag = self.function.tag

        def count(r: Received) -> int:
            header = TraceHeader.parse(r.message.trace_header)
            return header.lineage.get(tag, 0) if header else 0

        # min/max keep the earliest record among equals: SQS's order breaks ties.
        pick = max(received, key=count) if rule == "deepest" else min(received, key=count)
        return pick.message.trace_header

    def _done(self, received: list[Received], outcome: str, result: Any) -> None:
        self.busy -= 1
        if outcome in self.lambdas.params.mapping_scale_hold_outcomes:
            self._held = True
        if self._counts:
            self._count_outcome(outcome, len(received))
        if outcome == "success":
            failed: set[str] | None = set()
            if self.spec.report_batch_item_failures:
                failed = _batch_item_failures(result, {r.message.message_id for r in received})
            if failed is not None:
                deleted = 0
                for r in received:
                    if r.message.message_id not in failed:
                        self.sqs.delete(self.queue, r.receipt_handle)
                        deleted += 1
                if self._counts and deleted:
                    self._count("DeletedEventCount", deleted)
        elif outcome == "throttled":
            retry = self.lambdas.params.throttle_retry_interval
            if retry is not None:
                held = [(r, r.message.receipt) for r in received]
                self.lambdas.clock.after(retry, self._retry, held)
        self.wake()

    def _count(self, metric: str, n: int) -> None:
        self.lambdas.metrics.add(self.lambdas.clock.now, "AWS/Lambda", metric, self.spec.uuid, n)

    def _count_outcome(self, outcome: str, n: int) -> None:
        """InvokedEventCount when the function ran (an error too), FailedInvokeEventCount
        on an error or a throttle; a loop-detection stop per ``mapping_stopped_event_counts``."""
        if outcome == "dropped":
            reading = self.lambdas.params.mapping_stopped_event_counts
            invoked, failed = reading == "invoked-and-failed", reading != "polled-only"
        else:
            invoked, failed = outcome in ("success", "error"), outcome != "success"
        if invoked:
            self._count("InvokedEventCount", n)
        if failed:
            self._count("FailedInvokeEventCount", n)

    def _retry(self, batch: list[tuple[Received, int]]) -> None:
        """Invoke a throttled batch again with the messages this mapping still holds: in
        flight in this queue, not received again since (the receipt generation)."""
        held = [
            r
            for r, receipt in batch
            if r.message.queue is self.queue
            and r.message.state == "inflight"
            and r.message.receipt == receipt
        ]
        if held and self.enabled:
            self._invoke(held)

    def _record(self, r: Received) -> dict[str, Any]:
        m = r.message
        return {
            "messageId": m.message_id,
            "receiptHandle": r.receipt_handle,
            "body": m.body,
            "attributes": system_attributes(m),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": _base64(value.get("BinaryValue")),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in m.message_attributes.items()
            },
            "md5OfBody": m.md5,
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue.spec.arn,
            "awsRegion": self.sqs.region,
        }


def _base64(raw: Any) -> str | None:
    # Lambda's SQS record is JSON: a binary attribute travels as base64 text.
    if isinstance(raw, bytes | bytearray):
        return base64.b64encode(raw).decode()
    return raw


def _batch_item_failures(result: Any, batch: set[str]) -> set[str] | None:
    """The message IDs a ReportBatchItemFailures response names, or None: the whole batch
    failed and nothing is deleted.

    Lambda developer guide, "Handling errors for an SQS event source": a null or empty
    response, or a null or empty ``batchItemFailures`` list, is complete success; an
    invalid response, an empty or null ``itemIdentifier``, a bad key name, or an
    ``itemIdentifier`` that is not a message ID of the batch is complete failure. A result
    that is not an object is not a failure report: complete success.
    """
    if not isinstance(result, dict):
        return set()
    items = result.get("batchItemFailures")
    if not items:
        return set()  # absent, null or empty
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            return None
        identifier = item.get("itemIdentifier")
        if not isinstance(identifier, str) or identifier not in batch:
            return None  # missing, null, empty, or not a message of this batch
        failed.add(identifier)
    return failed
