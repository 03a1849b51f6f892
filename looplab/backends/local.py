"""The local backend: the Backend protocol on the embedded simulator.

Waits cost no wall time (the virtual clock moves), and a run with the same seed is the
same run. Everything here is translation: logical IDs to the simulator's calls, simulator
signals to the Backend's observation types. It reads the simulator only through the
Simulator's public methods (tests/test_backend_local.py holds it to that): one door into
the simulator, whatever moves behind it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from looplab.backends._timeline import sent_counter
from looplab.backends.base import (
    ASYNC_METRICS,
    FUNCTION_METRICS,
    SOURCE_METRICS,
    TOPIC_METRICS,
    AsyncCounts,
    BackendError,
    Brakeable,
    BrakeAction,
    DrainedMessage,
    DropRecord,
    FunctionCounts,
    FunctionLogEvent,
    InvocationType,
    MetricPoint,
    Observations,
    Provenance,
    QueueState,
    RecursiveLoop,
    SourceCounts,
    TimelineSource,
    TopicCounts,
    Watchable,
)
from looplab.sim import SimParams, Simulator, SqsError, system_attributes
from looplab.stack import Stack

_PROGRESS_STEP = 10.0  # virtual seconds between progress callbacks


class LocalBackend(Watchable, Brakeable, TimelineSource):
    name = "local"
    metric_settle_seconds = 0.0  # the simulator's metrics are final when written

    def __init__(
        self,
        stack: Stack,
        seed: int = 0,
        params: SimParams | None = None,
        event_log: TextIO | None = None,
    ) -> None:
        self.stack = stack
        self.params = params or SimParams()
        self._seed = seed
        # The simulator's event stream is tapped for the stopped invocations (exact times,
        # for the journal's timeline), and still reaches the caller's event_log.
        self._tap = _DropTap(event_log)
        self.sim = Simulator(stack, seed=seed, params=self.params, event_log=self._tap)
        self._log_position = 0
        self._sent: list[tuple[float, int]] = []  # (time, counter) from "Sending count N"
        self._streams: dict[str, float] = {}  # log stream -> time of its latest event
        self._watch: Callable[[], None] | None = None

    def now(self) -> float:
        return self.sim.now

    def close(self) -> None:
        self.sim.close()

    # -- actions -------------------------------------------------------------------------

    def seed(self, queue: str, body: str, count: int = 1) -> list[str]:
        self._queue(queue)
        try:
            return self.sim.send(queue, body, count)
        except SqsError as exc:
            raise BackendError(f"seeding {queue}: {exc.code}: {exc.message}") from exc

    def purge(self, queue: str) -> None:
        self._queue(queue)
        allowed = self.sim.purge_available_at(queue)
        if allowed > self.sim.now:
            # SQS allows one purge a minute; wait it out as a client on AWS has to.
            self._run_until(allowed)
        self.sim.purge(queue)

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        self._named(topic, "topic", self.stack.topics)
        with _refused("publish"):
            return str(self.sim.publish(topic, message, attributes))

    def put_object(self, bucket: str, key: str, body: str | bytes) -> None:
        self._named(bucket, "bucket", self.stack.buckets)
        with _refused("put_object"):
            self.sim.put_object(bucket, key, body)

    def invoke(
        self, function: str, payload: Any, invocation_type: InvocationType = "Event"
    ) -> dict[str, Any]:
        self._function(function)
        with _refused("invoke"):
            return dict(self.sim.invoke(function, payload, invocation_type))

    def set_mapping(self, function: str, source_queue: str, enabled: bool) -> None:
        self._function(function)
        self._queue(source_queue)
        try:
            mapping = self.stack.mapping_for(function, source_queue)
        except KeyError as exc:
            raise BackendError(str(exc.args[0])) from exc
        self.sim.set_mapping(mapping.logical_id, enabled)

    def set_recursion(self, function: str, mode: RecursiveLoop) -> None:
        self._function(function)
        try:
            self.sim.set_recursion(function, mode)
        except ValueError as exc:
            raise BackendError(str(exc)) from exc

    def watch(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` after every moment of virtual time at which an event ran, while
        time moves (waits, a purge's wait); None stops watching.

        This is what makes a stop condition exact here: the engine's callback reads the
        figures and raises at the first moment one holds, and the clock stays at that
        moment. Without a watch, time moves in whole slices (no per-event cost).
        """
        self._watch = callback

    def brake(self) -> list[BrakeAction]:
        """The emergency brake (as the aws backend's budget trip): every function's reserved
        concurrency to 0 and every mapping disabled, so nothing more is invoked. What is
        already running finishes; the simulator is discarded with the backend. The actions
        are named and their resources written as the aws backend's brake writes them."""
        actions = []
        for lid, function in sorted(self.stack.functions.items()):
            self.sim.set_reserved_concurrency(lid, 0)
            actions.append(BrakeAction("lambda:PutFunctionConcurrency", function.name))
        for lid, mapping in sorted(self.stack.mappings.items()):
            self.sim.set_mapping(lid, False)
            actions.append(
                BrakeAction("lambda:UpdateEventSourceMapping", f"{lid} ({mapping.uuid})")
            )
        return actions

    def _run_until(self, until: float) -> None:
        """Move the clock to ``until``: in one go, or event by event while watched."""
        # The watch may end itself (watch(None) from inside the callback): re-read it.
        while (
            self._watch is not None and (at := self.sim.next_event_at()) is not None and at <= until
        ):
            self.sim.run_until(at)  # every event due at that moment
            self._watch()
        self.sim.run_until(until)

    def advance(self, seconds: float, progress: Callable[[float], None] | None = None) -> None:
        start, end = self.sim.now, self.sim.now + seconds
        while self.sim.now < end:
            self._run_until(min(end, self.sim.now + _PROGRESS_STEP))
            if progress:
                progress(self.sim.now - start)

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        poll: float = 1.0,
        progress: Callable[[float], None] | None = None,
    ) -> bool:
        start = self.sim.now
        end = start + timeout
        while not predicate():
            if self.sim.now >= end:
                return False
            self._run_until(min(end, self.sim.now + poll))
            if progress:
                progress(self.sim.now - start)
        return True

    # -- reading -------------------------------------------------------------------------

    def queue_state(self, queue: str) -> QueueState:
        self._queue(queue)
        counts = self.sim.queue_counts(queue)
        return QueueState(
            visible=counts.visible, in_flight=counts.in_flight, delayed=counts.delayed
        )

    def drain(self, queue: str, max_messages: int = 10) -> list[DrainedMessage]:
        self._queue(queue)
        drained: list[DrainedMessage] = []
        while len(drained) < max_messages:
            batch = self.sim.receive(queue, min(10, max_messages - len(drained)))
            if not batch:
                break
            for message, handle in batch:
                drained.append(
                    DrainedMessage(
                        queue=queue,
                        message_id=message.message_id,
                        body=message.body,
                        receive_count=message.receive_count,
                        attributes=system_attributes(message),
                    )
                )
                self.sim.delete(queue, handle)
        return drained

    def observations(self, since: float | None = None) -> Observations:
        since = self.params.epoch if since is None else since
        total = self.sim.metric_total
        obs = Observations()
        for lid, spec in self.stack.functions.items():
            counts = FunctionCounts(
                **{
                    name: int(total("AWS/Lambda", metric, since, resource=spec.name))
                    for name, metric in FUNCTION_METRICS.items()
                }
            )
            obs.by_function[lid] = counts
            for name in FUNCTION_METRICS:
                setattr(obs, name, getattr(obs, name) + getattr(counts, name))
        # Per source: the event source mapping metrics, keyed by the mapping's UUID exactly
        # as AWS publishes them (dimension EventSourceMappingUUID), summed per source queue.
        for mapping in self.stack.mappings.values():
            counts = SourceCounts(
                **{
                    name: int(total("AWS/Lambda", metric, since, resource=mapping.uuid))
                    for name, metric in SOURCE_METRICS.items()
                }
            )
            obs.by_source.setdefault(mapping.source_queue, SourceCounts()).add(counts)
        for lid, spec in self.stack.functions.items():
            obs.async_by_function[lid] = AsyncCounts(
                **{
                    name: int(total("AWS/Lambda", metric, since, resource=spec.name))
                    for name, metric in ASYNC_METRICS.items()
                }
            )
        for lid, topic in self.stack.topics.items():
            obs.by_topic[lid] = TopicCounts(
                **{
                    name: int(total("AWS/SNS", metric, since, resource=topic.name))
                    for name, metric in TOPIC_METRICS.items()
                }
            )
        exact = Provenance("simulator metrics (exact, at once)")
        obs.provenance = {name: exact for name in (*FUNCTION_METRICS, *SOURCE_METRICS)}
        self._read_new_logs()
        obs.counters_sent = [n for t, n in self._sent if t >= since]
        obs.log_streams = sorted(s for s, last in self._streams.items() if last >= since)
        logs = Provenance("simulator logs (exact, at once)")
        obs.provenance.update(counters_sent=logs, log_streams=logs)
        return obs

    def settle(self) -> None:
        """The simulator's figures are exact the moment they happen: nothing to wait for."""

    def finish(self) -> dict[str, Any]:
        return {}

    def _read_new_logs(self) -> None:
        # Incremental: polling observations during a long wait reads each event once.
        events, self._log_position = self.sim.read_logs(self._log_position)
        for event in events:
            self._streams[event.stream] = event.timestamp
            sent = sent_counter(event.message)
            if sent is not None:
                self._sent.append((event.timestamp, sent))

    def log_events(self, since: float, until: float | None = None) -> Iterator[FunctionLogEvent]:
        """Every function's log events in ``[since, until]``, for the run's timeline."""
        groups = {f"/aws/lambda/{spec.name}": lid for lid, spec in self.stack.functions.items()}
        for event in self.sim.log_events(since, until):
            function = groups.get(event.group)
            if function is not None:
                yield FunctionLogEvent(event.timestamp, event.stream, event.message, function)

    def dropped_invocations(self, since: float, until: float | None = None) -> list[DropRecord]:
        """Each stopped recursive invocation, at its exact virtual time."""
        return [
            d
            for d in self._tap.drops
            if d.timestamp >= since and (until is None or d.timestamp <= until)
        ]

    def describe(self) -> dict[str, Any]:
        """The simulator's parameters and seed: with the stack, they define the run."""
        return {"simulator": dataclasses.asdict(self.params), "seed": self._seed}

    def metric_series(self, since: float, until: float) -> list[MetricPoint]:
        return [
            MetricPoint(ns, metric, resource, minute, value)
            for ns, metric, resource, minute, value in self.sim.metric_series(since, until)
        ]

    # -- names ---------------------------------------------------------------------------

    def _queue(self, name: str) -> None:
        if name not in self.stack.queues:
            raise BackendError(
                f"unknown queue {name!r}; the stack has: {', '.join(sorted(self.stack.queues))}"
            )

    @staticmethod
    def _named(name: str, kind: str, known: dict[str, Any]) -> None:
        if name not in known:
            have = ", ".join(sorted(known)) or "none"
            raise BackendError(f"unknown {kind} {name!r}; the stack has: {have}")

    def _function(self, name: str) -> None:
        if name not in self.stack.functions:
            have = ", ".join(sorted(self.stack.functions))
            raise BackendError(f"unknown function {name!r}; the stack has: {have}")


@contextmanager
def _refused(method: str) -> Iterator[None]:
    """A name or value the simulator refuses in ``method`` is the step's BackendError."""
    try:
        yield
    except (KeyError, ValueError) as exc:
        raise BackendError(f"{method}: {exc}") from exc


class _DropTap:
    """A write-only text stream for the simulator's event log that keeps its ``drop`` lines
    (``<time>\tdrop\t<function> from <source> lineage=<n>``) and forwards every line."""

    def __init__(self, inner: TextIO | None) -> None:
        self.inner = inner
        self.drops: list[DropRecord] = []

    def write(self, text: str) -> int:
        if "\tdrop\t" in text:
            t, _, detail = text.rstrip("\n").split("\t", 2)
            function, _, rest = detail.partition(" from ")
            self.drops.append(DropRecord(float(t), function, rest.split(" ", 1)[0] or None))
        if self.inner is not None:
            self.inner.write(text)
        return len(text)

    def flush(self) -> None:
        if self.inner is not None:
            self.inner.flush()
