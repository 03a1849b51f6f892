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
"""

from __future__ import annotations

from typing import Any

from looplab.sim.ids import jitter
from looplab.sim.lambda_service import Function, LambdaService
from looplab.sim.sqs import Queue, Received, SqsModel
from looplab.sim.sqs_api import system_attributes
from looplab.stack import MappingSpec


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
        self.enabled = spec.enabled
        self.limit = spec.maximum_concurrency or default_concurrency
        self.busy = 0
        self.scheduled = False
        function.on_free.append(self.wake)

    def set_enabled(self, enabled: bool) -> None:
        self.enabled = enabled
        if enabled:
            self.wake()

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
        received = self.sqs.receive(self.queue, self.spec.batch_size)
        if not received:
            return
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
        if outcome == "success":
            failed: set[str] | None = set()
            if self.spec.report_batch_item_failures:
                failed = _batch_item_failures(result, {r.message.message_id for r in received})
            if failed is not None:
                for r in received:
                    if r.message.message_id not in failed:
                        self.sqs.delete(self.queue, r.receipt_handle)
        elif outcome == "throttled":
            retry = self.lambdas.params.throttle_retry_interval
            if retry is not None:
                held = [(r, r.message.receipt) for r in received]
                self.lambdas.clock.after(retry, self._retry, held)
        self.wake()

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
                    "binaryValue": value.get("BinaryValue"),
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
