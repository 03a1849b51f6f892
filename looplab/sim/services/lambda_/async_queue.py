"""Lambda's asynchronous invocation: the internal queue between an event and a function.

SNS and S3 deliver to functions this way, as does ``Invoke`` with
``InvocationType=Event``: the caller gets 202 at once, Lambda queues the event and invokes
the function later. This module is the one entry point for them (``AsyncQueue.submit``).

What AWS documents ("How Lambda handles errors and retries with asynchronous
invocation"), modelled here:

- a function error is retried ``MaximumRetryAttempts`` times (default 2), "with a
  one-minute wait between the first two attempts, and two minutes between the second and
  third attempts" (``SimParams.async_retry_waits``);
- a throttled attempt returns the event to the queue; "the retry interval increases
  exponentially from 1 second after the first attempt to a maximum of 5 minutes", for as
  long as the event is younger than ``MaximumEventAgeInSeconds`` (default 6 h);
- an event that fails every attempt (condition ``RetriesExhausted``) or grows too old
  (``EventAgeExceeded``) goes to the on-failure destination (an invocation record) and to
  the function's dead-letter queue (the event itself, with RequestID / ErrorCode /
  ErrorMessage attributes), each if configured; a success goes to the on-success
  destination;
- an event that recursive loop detection stops is not retried: it goes to the DLQ or the
  on-failure destination like a failed one (``SimParams.async_stopped_condition``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from looplab.sim.clock import Clock
from looplab.sim.ids import uuid
from looplab.sim.params import SimParams
from looplab.sim.services.lambda_.execution import EventSink, Function, LambdaService
from looplab.stack import EventInvokeSpec

__all__ = ["AsyncQueue", "Deliver"]

Deliver = Callable[..., None]
"""``deliver(target_arn, body, trace_header, source, attributes=None)``: send a
destination's or a DLQ's record to an SQS queue, SNS topic or function of the stack
(Simulator.deliver)."""


@dataclass(eq=False, slots=True)
class _Event:
    request_id: str
    function: str  # logical ID
    payload: dict[str, Any]
    trace: str | None
    source: str
    received: float
    invokes: int = 0  # attempts that ran the function (approximateInvokeCount)
    throttles: int = 0


class AsyncQueue:
    def __init__(
        self,
        clock: Clock,
        lambdas: LambdaService,
        functions: dict[str, Function],
        params: SimParams,
        deliver: Deliver,
        event: EventSink,
    ) -> None:
        self.clock = clock
        self.lambdas = lambdas
        self.functions = functions
        self.params = params
        self.deliver = deliver
        self.event = event
        self.configs: dict[str, EventInvokeSpec] = {}
        """Each function's EventInvokeConfig by its logical ID (Lambda's defaults without)."""
        self.pending = 0  # events queued or running

    def config(self, function: str) -> EventInvokeSpec:
        return self.configs.get(function) or EventInvokeSpec("", function)

    def submit(
        self, function: str, payload: dict[str, Any], trace_header: str | None, source: str
    ) -> str:
        """Queue ``payload`` for ``function`` (logical ID) with the caller's trace header;
        ``source`` names the caller for metrics and the event log (a topic, a bucket,
        "invoke"). Returns the request ID Lambda gives the event."""
        request_id = uuid(self.lambdas.rng)
        now = self.clock.now
        ev = _Event(request_id, function, payload, trace_header, source, now)
        name = self.functions[function].spec.name
        self.metrics.count(now, "AWS/Lambda", "AsyncEventsReceived", name, source)
        self.pending += 1
        self.clock.after(self.params.async_queue_delay, self._attempt, ev)
        return request_id

    @property
    def metrics(self) -> Any:
        return self.lambdas.metrics

    def _attempt(self, ev: _Event) -> None:
        now = self.clock.now
        function = self.functions[ev.function]
        age = now - ev.received
        if age > self.config(ev.function).maximum_event_age:
            self._fail(ev, "EventAgeExceeded", None)
            return
        self.metrics.sample(now, "AWS/Lambda", "AsyncEventAge", function.spec.name, age * 1000)
        self.lambdas.invoke(
            function,
            ev.payload,
            ev.trace,
            ev.source,
            lambda outcome, result: self._done(ev, outcome, result),
        )

    def _done(self, ev: _Event, outcome: str, result: Any) -> None:
        if outcome == "throttled":
            # Back to the queue: 1 s, 2 s, 4 s ... up to 5 minutes, until the event's age.
            delay = min(2.0**ev.throttles, self.params.async_throttle_max_wait)
            ev.throttles += 1
            self.clock.after(delay, self._attempt, ev)
            return
        if outcome == "dropped":
            self._fail(ev, self.params.async_stopped_condition, None)
            return
        ev.invokes += 1
        if outcome == "success":
            self.pending -= 1
            target = self.config(ev.function).on_success
            if target:
                self._send_record(ev, target, "Success", result, error=False)
            return
        retries = self.config(ev.function).maximum_retry_attempts
        if ev.invokes <= retries:
            waits = self.params.async_retry_waits
            wait = waits[min(ev.invokes, len(waits)) - 1]
            if self.event:
                self.event("async-retry", f"{ev.function} {ev.request_id} in {wait:g}s")
            self.clock.after(wait, self._attempt, ev)
            return
        self._fail(ev, "RetriesExhausted", result)

    def _fail(self, ev: _Event, condition: str, result: Any) -> None:
        self.pending -= 1
        function = self.functions[ev.function]
        now = self.clock.now
        self.metrics.count(now, "AWS/Lambda", "AsyncEventsDropped", function.spec.name, ev.source)
        if self.event:
            self.event("async-drop", f"{ev.function} {ev.request_id} {condition}")
        target = self.config(ev.function).on_failure
        if target:
            self._send_record(ev, target, condition, result, error=ev.invokes > 0)
        dlq = function.spec.dead_letter_arn
        if dlq:
            code, message = _dlq_error(condition, result)
            attributes = {"RequestID": ev.request_id, "ErrorCode": code, "ErrorMessage": message}
            try:
                self.deliver(dlq, json.dumps(ev.payload), ev.trace, "lambda", attributes)
            except Exception as exc:  # any refusal of the target counts
                self.metrics.count(now, "AWS/Lambda", "DeadLetterErrors", function.spec.name)
                if self.event:
                    self.event("async-dlq-error", f"{ev.function} {exc}")

    def _send_record(
        self, ev: _Event, target: str, condition: str, result: Any, *, error: bool
    ) -> None:
        function = self.functions[ev.function]
        now = self.clock.now
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": _iso(now),
            "requestContext": {
                "requestId": ev.request_id,
                "functionArn": f"{function.spec.arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": ev.invokes,
            },
            "requestPayload": ev.payload,
        }
        if ev.invokes:
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
            if error:
                context["functionError"] = "Unhandled"
            record["responseContext"] = context
            record["responsePayload"] = result
        try:
            self.deliver(target, json.dumps(record), ev.trace, "lambda")
        except Exception as exc:  # any refusal of the target counts
            self.metrics.count(now, "AWS/Lambda", "DestinationDeliveryFailures", function.spec.name)
            if self.event:
                self.event("async-destination-error", f"{ev.function} {exc}")


def _dlq_error(condition: str, result: Any) -> tuple[str, str]:
    """ErrorCode / ErrorMessage of a DLQ message: the last attempt's status and error."""
    if isinstance(result, dict) and "errorMessage" in result:
        return "200", str(result.get("errorMessage"))
    return "200", condition


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
