"""Lambda's asynchronous invocation: the internal queue between an event and a function.

SNS and S3 deliver to functions this way, as does ``Invoke`` with
``InvocationType=Event``: the caller gets 202 at once, Lambda queues the event and invokes
the function later. This module is the one entry point for them (``AsyncQueue.submit``);
retries (MaximumRetryAttempts), event age (MaximumEventAgeInSeconds), on-failure
destinations and function dead-letter queues belong here.

SKELETON (lead, 2026-12-01): ``submit`` invokes at once and forgets the outcome. The
asynchronous-invocation branch replaces the body; the signature is the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from looplab.sim.clock import Clock
from looplab.sim.ids import uuid
from looplab.sim.lambda_service import EventSink, Function, LambdaService
from looplab.sim.params import SimParams

__all__ = ["AsyncQueue", "Deliver"]

Deliver = Callable[[str, str, "str | None", str], None]
"""``deliver(target_arn, body, trace_header, source)``: send a destination's or a DLQ's
record to an SQS queue, SNS topic or function of the stack (Simulator.deliver)."""


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

    def submit(
        self, function: str, payload: dict[str, Any], trace_header: str | None, source: str
    ) -> str:
        """Queue ``payload`` for ``function`` (logical ID) with the caller's trace header;
        ``source`` names the caller for metrics and the event log (a topic, a bucket,
        "invoke"). Returns the request ID Lambda gives the event."""
        request_id = uuid(self.lambdas.rng)
        self.lambdas.invoke(
            self.functions[function], payload, trace_header, source, lambda outcome, result: None
        )
        return request_id
