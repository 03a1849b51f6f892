"""SQS event source mappings: the pollers Lambda runs between a queue and a function.

A mapping long-polls its queue, so it is modelled as event-driven: it is woken when a
message becomes visible (or when the function frees a slot) and receives after a short
poll latency. It receives up to BatchSize messages with the queue's visibility timeout,
invokes the function, and then:
- success: deletes the batch; with ReportBatchItemFailures, all but the items the response
  lists, and nothing when the response is invalid (see ``_batch_item_failures``);
- error, stopped by loop detection, or throttled: leaves the batch; it comes back after the
  visibility timeout, its receive count already raised, so the queue's own redrive can move
  it on. Like AWS's pollers, a mapping does not account for the function's reserved
  concurrency: it receives, and the invoke is throttled (``SimParams.throttle_retry_interval``).

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
from looplab.sim.lambda_service import Function, LambdaService
from looplab.sim.services.sqs.model import Queue, Received, SqsModel, system_attributes
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
        self.limit = spec.maximum_concurrency or default_concurrency
        self.busy = 0
        self.scheduled = False
        self._generation = 0  # bumps on every state change: pending transitions compare it
        self._counts = "EventCount" in spec.metrics
        function.on_free.append(self.wake)

    def set_enabled(self, enabled: bool) -> None:
        """Enable or disable at once, with no control-plane transition (the local backend's
        scenario steps; see docs/simulator.md)."""
        self._generation += 1
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
            self.limit = maximum_concurrency or self.default_concurrency
        self.state = "Enabled" if enabled else "Disabled"
        if enabled:
            self.enabled = True
            self.wake()
        elif self.enabled:
            grace = self.lambdas.params.mapping_disable_grace
            self.lambdas.clock.after(grace, self._stop, generation)

    def _stop(self, generation: int) -> None:
        if generation == self._generation:
            self.enabled = False

    def wake(self) -> None:
        if self.enabled and not self.scheduled and self.busy < self.limit and self.queue.visible:
            self.scheduled = True
            delay = jitter(self.lambdas.rng, self.lambdas.params.poll_latency)
            self.lambdas.clock.after(delay, self._poll)

    def _poll(self) -> None:
        self.scheduled = False
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

    def _invoke(self, received: list[Received]) -> None:
        self.busy += 1
        answered = False

        def done(outcome: str, result: Any) -> None:
            nonlocal answered
            answered = True
            self._done(received, outcome, result)

        try:
            # A batch's invocation continues the trace of its first message.
            self.lambdas.invoke(
                self.function,
                {"Records": [self._record(r) for r in received]},
                received[0].message.trace_header,
                self.queue.spec.logical_id,
                done,
            )
        except BaseException:
            if not answered:
                self.busy -= 1  # nothing will answer: the slot must not stay taken
            raise

    def _done(self, received: list[Received], outcome: str, result: Any) -> None:
        self.busy -= 1
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
