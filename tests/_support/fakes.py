"""Test doubles for the engine: a fake Stack and a toy in-memory Backend.

The toy backend is not a simulator: it plays the seed post's outcomes in a few lines (a
chain from counter c is stopped after 16 invocations; the stopped message comes back
after the visibility timeout and redrive moves it to the DLQ; a DLQ mapping keeps it in
flight; RecursiveLoop Allow runs to the cap), enough to drive the engine and the shipped
scenarios without looplab.sim. ``realtime`` makes each simulated second cost real time,
for the interruption tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from looplab.backends.base import (
    AsyncCounts,
    BackendError,
    DrainedMessage,
    FunctionCounts,
    MetricPoint,
    Observations,
    QueueState,
    SourceCounts,
    TopicCounts,
)
from looplab.backends.registry import BackendFactory, BackendKind, Override

QUEUE, DLQ, FUNCTION = "Queue", "DeadLetterQueue", "RecursiveLambdaFunction"
TOPIC, BUCKET = "LoopTopic", "LoopBucket"


def fake_kind(factory: BackendFactory, label: str = "a fake backend") -> BackendKind:
    """A fake backend's registry entry (``cli.BACKENDS[name] = fake_kind(factory)``): the
    stack's and the simulator's overrides (--param, --sim) accepted, --endpoint-url not (it
    makes no AWS calls), no simulator's refusals, no recursion guard, no late metrics."""
    return BackendKind(factory, label, overrides=frozenset({Override.PARAM, Override.SIM}))


def fake_stack() -> SimpleNamespace:
    """The parts of looplab.stack.Stack the engine, the validator and the simulator's
    refusals read: its resources' dicts and an empty template (nothing to refuse)."""
    # No redrive: the simulator's refusals (cli's check_simulable) look for redrive cycles.
    queues = {
        QUEUE: SimpleNamespace(name="q", redrive_target=None),
        DLQ: SimpleNamespace(name="dlq", redrive_target=None),
    }
    functions = {FUNCTION: SimpleNamespace(name="f", environment={"COUNTER_CAP": "1000"})}
    mappings = {
        "RecursiveEventSourceMappingSQSQueue": SimpleNamespace(
            function=FUNCTION, source_queue=QUEUE, enabled=True
        ),
        "RecursiveEventSourceMappingSQSDeadLetterQueue": SimpleNamespace(
            function=FUNCTION, source_queue=DLQ, enabled=False
        ),
    }
    topics = {TOPIC: SimpleNamespace(name="loop-topic")}
    buckets = {BUCKET: SimpleNamespace(name="loop-bucket")}
    return SimpleNamespace(
        template={},
        queues=queues,
        functions=functions,
        mappings=mappings,
        topics=topics,
        buckets=buckets,
    )


@dataclass
class _Msg:
    id: str
    queue: str
    body: str
    receive_count: int = 0
    visible_at: float = 0.0  # in flight until then
    chained: bool = False  # the toy loop already ran for it


@dataclass
class FakeBackend:
    name: str = "fake"
    threshold: int = 16
    cap: int = 1000
    visibility: float = 30.0
    realtime: float = 0.0  # wall seconds per simulated second
    fail: dict[str, Exception] = field(default_factory=dict)
    clock: float = 1000.0
    calls: list[str] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self.messages: dict[str, _Msg] = {}
        self.mapping = {QUEUE: True, DLQ: False}
        self.recursion = "Terminate"
        self.function = FunctionCounts()
        # Per source queue, as the event source mapping metrics would count (a stopped event:
        # polled and failed-invoke, the toy's guess at what AWS does not document).
        self.counts: dict[str, SourceCounts] = {}
        self.counters_sent: list[int] = []
        self._ids = 0
        # The other loop shapes, played as the post's: a chain started by publish,
        # put-object or an Event invoke runs ``threshold`` asynchronous invocations of the
        # function, then its next event is dropped (counted as AsyncEventsDropped here,
        # the toy's choice), and, when a DLQ is wired, sent there.
        self.async_counts = AsyncCounts()
        self.topic = TopicCounts()
        self.objects: dict[tuple[str, str], str] = {}

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise self.fail[name]

    def now(self) -> float:
        return self.clock

    def close(self) -> None:
        self.closed = True

    def seed(self, queue: str, body: str, count: int = 1) -> list[str]:
        self._call("seed")
        ids = []
        for _ in range(count):
            self._ids += 1
            msg = _Msg(f"m{self._ids}", queue, body, visible_at=self.clock)
            self.messages[msg.id] = msg
            ids.append(msg.id)
        return ids

    def purge(self, queue: str) -> None:
        self._call("purge")
        self.messages = {k: m for k, m in self.messages.items() if m.queue != queue}

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        self._call("publish")
        if topic != TOPIC:
            raise BackendError(f"unknown topic {topic}")
        hops = self._async_chain(message)
        self.topic.published += hops + 1  # the step's publish, then one per invocation
        self.topic.delivered += hops + 1  # the last one reaches Lambda, which drops it
        self._ids += 1
        return f"sns-{self._ids}"

    def put_object(self, bucket: str, key: str, body: str | bytes) -> None:
        self._call("put_object")
        if bucket != BUCKET:
            raise BackendError(f"unknown bucket {bucket}")
        self.objects[(bucket, key)] = body if isinstance(body, str) else body.decode()
        self._async_chain(self.objects[(bucket, key)])

    def invoke(self, function: str, payload: Any, invocation_type: str = "Event") -> dict[str, Any]:
        self._call("invoke")
        if function != FUNCTION:
            raise BackendError(f"unknown function {function}")
        if invocation_type == "Event":
            self._async_chain(json.dumps(payload))
            return {"StatusCode": 202}
        self.function.invocations += 1
        return {"StatusCode": 200, "Payload": {"counter": payload.get("counter", 0) + 1}}

    def _async_chain(self, body: str) -> int:
        start = json.loads(body).get("counter", 0)
        hops = self.threshold
        self.function.invocations += hops
        self.function.recursive_invocations_dropped += 1
        self.async_counts.async_events_received += hops + 1
        self.async_counts.async_events_dropped += 1
        self.counters_sent += list(range(start + 1, start + hops + 1))
        return hops

    def set_mapping(self, function: str, source_queue: str, enabled: bool) -> None:
        self._call("set_mapping")
        self.mapping[source_queue] = enabled

    def set_recursion(self, function: str, mode: str) -> None:
        self._call("set_recursion")
        self.recursion = mode

    def advance(self, seconds: float, progress: Callable[[float], None] | None = None) -> None:
        self._call("advance")
        done = 0.0
        while done < seconds:
            tick = min(1.0, seconds - done)
            if self.realtime:
                time.sleep(tick * self.realtime)
            self.clock += tick
            done += tick
            self._tick()
            if progress:
                progress(done)

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        poll: float = 1.0,
        progress: Callable[[float], None] | None = None,
    ) -> bool:
        self._call("wait_until")
        waited = 0.0
        while True:
            if predicate():
                return True
            if waited >= timeout:
                return False
            step = min(poll, timeout - waited)
            self.advance(step)
            waited += step
            if progress:
                progress(waited)

    def queue_state(self, queue: str) -> QueueState:
        self._call("queue_state")
        if queue not in (QUEUE, DLQ):
            raise BackendError(f"unknown queue {queue}")
        mine = [m for m in self.messages.values() if m.queue == queue]
        visible = sum(m.visible_at <= self.clock for m in mine)
        return QueueState(visible=visible, in_flight=len(mine) - visible, delayed=0)

    def drain(self, queue: str, max_messages: int = 10) -> list[DrainedMessage]:
        self._call("drain")
        out = []
        for msg in list(self.messages.values()):
            if msg.queue == queue and msg.visible_at <= self.clock and len(out) < max_messages:
                del self.messages[msg.id]
                out.append(DrainedMessage(queue, msg.id, msg.body, msg.receive_count + 1))
        return out

    def observations(self, since: float | None = None) -> Observations:
        self._call("observations")
        total = self.function
        return Observations(
            invocations=total.invocations,
            errors=total.errors,
            recursive_invocations_dropped=total.recursive_invocations_dropped,
            by_function={FUNCTION: FunctionCounts(**vars(total))} if self.counts else {},
            by_source={k: SourceCounts(**vars(v)) for k, v in self.counts.items()},
            counters_sent=list(self.counters_sent),
            log_streams=["stream-1"] if total.invocations else [],
            async_by_function={FUNCTION: AsyncCounts(**vars(self.async_counts))},
            by_topic={TOPIC: TopicCounts(**vars(self.topic))},
        )

    def metric_series(self, since: float, until: float) -> list[MetricPoint]:
        return []

    def settle(self) -> None:
        self._call("settle")

    def describe(self) -> dict[str, Any]:
        return {"kind": "fake"}

    def finish(self) -> dict[str, Any]:
        self._call("finish")
        return {}

    def _source(self, queue: str) -> SourceCounts:
        return self.counts.setdefault(queue, SourceCounts())

    def _drop(self, queue: str) -> None:
        self.function.recursive_invocations_dropped += 1
        self._source(queue).polled_events += 1
        self._source(queue).failed_invoke_events += 1

    def _tick(self) -> None:
        for msg in list(self.messages.values()):
            if msg.visible_at > self.clock or not self.mapping.get(msg.queue):
                continue
            if msg.queue == QUEUE and msg.receive_count >= 1:
                msg.queue = DLQ  # maxReceiveCount 1: redrive on this receive
                msg.visible_at = self.clock
                continue
            msg.receive_count += 1
            if msg.queue == DLQ or msg.chained:
                self._drop(msg.queue)
                msg.visible_at = self.clock + self.visibility
                continue
            self._chain(msg)

    def _chain(self, msg: _Msg) -> None:
        start = json.loads(msg.body).get("counter", 0)
        hops = self.cap - start + 1 if self.recursion == "Allow" else self.threshold
        last = min(start + hops, self.cap)
        self.function.invocations += hops
        source = self._source(QUEUE)
        source.polled_events += hops
        source.invoked_events += hops
        source.deleted_events += hops
        self.counters_sent += list(range(start + 1, last + 1))
        if self.recursion == "Allow":
            del self.messages[msg.id]
            return
        self._drop(QUEUE)
        msg.body = json.dumps({"counter": last})
        msg.chained = True
        msg.visible_at = self.clock + self.visibility


# -- the aws backend's doubles ------------------------------------------------------------

ACCOUNT, REGION, STAGE = "123456789012", "eu-central-1", "unit"
MAPPINGS = {
    "RecursiveEventSourceMappingSQSQueue": (FUNCTION, QUEUE),
    "RecursiveEventSourceMappingSQSDeadLetterQueue": (FUNCTION, DLQ),
}
MAIN_UUID, DLQ_UUID = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def fake_record(**changes: Any) -> dict[str, Any]:
    """A stack record in the plugin's shape (stack-file.js), for stage ``unit``."""
    base = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}"
    doc: dict[str, Any] = {
        "formatVersion": 1,
        "service": "looplab",
        "stackName": f"looplab-{STAGE}",
        "stackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/looplab-{STAGE}/abc",
        "stackStatus": "CREATE_COMPLETE",
        "stage": STAGE,
        "region": REGION,
        "account": ACCOUNT,
        "outputs": {"QueueMappingUuid": MAIN_UUID, "DeadLetterQueueMappingUuid": DLQ_UUID},
        "resources": {
            QUEUE: {"type": "AWS::SQS::Queue", "physicalId": f"{base}/looplab-{STAGE}-queue"},
            DLQ: {"type": "AWS::SQS::Queue", "physicalId": f"{base}/looplab-{STAGE}-dlq"},
            FUNCTION: {"type": "AWS::Lambda::Function", "physicalId": f"looplab-{STAGE}-recursive"},
            "RecursiveEventSourceMappingSQSQueue": {
                "type": "AWS::Lambda::EventSourceMapping",
                "physicalId": MAIN_UUID,
            },
            "RecursiveEventSourceMappingSQSDeadLetterQueue": {
                "type": "AWS::Lambda::EventSourceMapping",
                "physicalId": DLQ_UUID,
            },
        },
        "recordedAt": "2026-12-01T00:00:00.000Z",
    }
    doc.update(changes)
    return doc


@dataclass
class ManualClock:
    """The clock seam for tests without a simulator: sleeping only moves a number."""

    t: float = 1_700_000_000.0
    slept: list[float] = field(default_factory=list)
    on_sleep: Callable[[float], None] | None = None

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        if self.on_sleep:
            self.on_sleep(self.t)
