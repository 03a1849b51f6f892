"""How the event sources beyond SQS join a simulator: asynchronous invocation, SNS and S3.

Each service's model and api know nothing of the simulator (looplab.sim.services); what
joins them to it is here, one function per service: which of the simulator's parts each
model is given (clock, seeded stream, metrics, SimParams' delays), where its deliveries go
(Lambda's internal queue, the stack's queues) and which api the bridge routes to. Kept
apart from simulator.py, so that module reads as the simulator's own surface (time, the
experimenter's operations, the bridge's entry point) and a new event source adds a
function here rather than a block there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from looplab.sim.services import Call
from looplab.sim.services.lambda_.async_queue import AsyncQueue
from looplab.sim.services.lambda_.execution import EventSink
from looplab.sim.services.s3 import Notifier, S3Api, S3Model
from looplab.sim.services.sns import SnsApi, SnsModel

if TYPE_CHECKING:  # simulator.py imports this module
    from looplab.sim.simulator import Simulator

__all__ = ["attach_async_invoke", "attach_s3", "attach_sns"]


def attach_async_invoke(sim: Simulator, event: EventSink) -> AsyncQueue:
    """Lambda's internal queue: SNS, S3 and Invoke(Event) reach functions through it; its
    destinations and dead-letter targets go through :meth:`Simulator.deliver`."""
    queue = AsyncQueue(sim.clock, sim.lambdas, sim.functions, sim.params, sim.deliver, event)
    # Only $LATEST runs here (no versions are published): a config of an alias or a
    # version applies to invocations the simulator never makes.
    queue.configs.update(
        (lid, spec) for lid, spec in sim.stack.invoke_configs.items() if spec.qualifier == "$LATEST"
    )
    return queue


def attach_sns(sim: Simulator, event: EventSink) -> SnsModel:
    """The stack's topics and subscriptions, answered as ``sns``: a Lambda subscription is
    an asynchronous invoke, an SQS one a send to the stack's queue."""
    sns = SnsModel(
        sim.clock,
        sim.rng,
        sim.metrics,
        sim.params.sns_delivery_delay,
        sim.stack.region,
        sim.stack.account_id,
        invoke=sim.async_invoke.submit,
        enqueue=lambda queue, body, attributes, trace, sender: sim.sqs.send(
            sim.queues[queue],
            body,
            trace_header=trace,
            message_attributes=attributes,
            sender_id=sender,
        ),
    )
    sns.add_stack(sim.stack.topics.values(), sim.stack.subscriptions.values())
    if event is not None:
        sns.on_event = event
    sim.services["sns"] = SnsApi(sns)
    return sns


def attach_s3(
    sim: Simulator, log: Callable[[str, str], None], principal: Callable[[Call], str]
) -> S3Model:
    """The stack's buckets (by bucket name) and their objects, answered as ``s3``; an
    object's notifications invoke their functions asynchronously. ``principal`` names a
    call's caller as S3 does (userIdentity.principalId); ``log`` is the event log."""
    s3 = S3Model(sim.clock, sim.stack.buckets)
    s3.on_event = Notifier(
        sim.clock,
        sim.rng,
        sim.params.s3_notification_delay,
        sim.stack.region,
        # Looked up per event: whatever AsyncQueue the simulator holds then.
        lambda *args: sim.async_invoke.submit(*args),
        log,
    )
    sim.services["s3"] = S3Api(s3, principal)
    return s3
