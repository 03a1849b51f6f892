"""Read the metrics that conditions name, from the backend and from what the run recorded.

One Probe per run. Each evaluation round (a wait's poll, an expect step) asks the backend
for observations at most once, because on AWS that is a CloudWatch call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from looplab.backends.base import (
    Backend,
    DrainedMessage,
    FunctionCounts,
    Observations,
    QueueState,
    SourceCounts,
)
from looplab.scenarios import (
    ASYNC_METRICS,
    MAPPING_METRICS,
    OBSERVATION_METRICS,
    QUEUE_METRICS,
    RUN_METRICS,
    TOPIC_METRICS,
    Condition,
)
from looplab.scenarios.kinds import counter_of, message_json, state_json

# Comparators a still-rising (unsettled) count can already satisfy: counts only grow.
_SAFE_WHEN_PENDING = frozenset({"at_least"})

COUNTERS_LISTED = 1_000  # counters_sent in the observations: the first this many


@dataclass
class Reading:
    """A metric's value now, or None with the reason it has none."""

    value: float | None
    why_none: str = ""


class Probe:
    def __init__(self, backend: Backend, since: float) -> None:
        self.backend = backend
        self.since = since
        self.drained: dict[str, list[DrainedMessage]] = {}
        self.snapshots: dict[str, dict[str, QueueState]] = {}
        self._obs: Observations | None = None
        self.baseline: Observations | None = None
        self._snapshots_json: dict[str, tuple[dict[str, QueueState], dict[str, Any]]] = {}

    def start(self) -> None:
        """Read the baseline (the runner calls this first, so a failure lands in the journal).

        Backends count in per-minute buckets (CloudWatch does, and so does the simulator's
        metric store), so "since the start" also covers the start's whole minute: what an
        earlier run did in it would leak in. Readings are deltas from this baseline.
        """
        self.baseline = self.backend.observations(since=self.since)

    def fresh(self) -> None:
        """Start a new evaluation round: forget the cached observations."""
        self._obs = None

    def observations(self) -> Observations:
        if self.baseline is None:
            raise RuntimeError("no baseline: the observations at the start could not be read")
        if self._obs is None:
            self._obs = _minus(self.backend.observations(since=self.since), self.baseline)
        return self._obs

    def read(self, cond: Condition) -> Reading:
        metric = cond.metric
        if metric in OBSERVATION_METRICS or metric in MAPPING_METRICS:
            obs = self.observations()
            if metric in obs.pending() and cond.op not in _SAFE_WHEN_PENDING:
                where = obs.provenance[metric].source
                return Reading(None, f"{cond.subject()} has not settled yet ({where})")
            if metric in MAPPING_METRICS:
                source = obs.by_source.get(cond.source or "", SourceCounts())
                return Reading(getattr(source, metric))
            if cond.function is not None:
                counts = obs.by_function.get(cond.function, FunctionCounts())
                return Reading(getattr(counts, metric))
            return Reading(getattr(obs, metric))
        if metric in ASYNC_METRICS or metric in TOPIC_METRICS:
            return self._shape_metric(cond)
        if metric in QUEUE_METRICS:
            return self._queue_metric(cond)
        if metric.startswith("drained"):
            return self._drained_metric(cond)
        obs = self.observations()
        if metric == "max_counter_sent":
            if not obs.counters_sent:
                return Reading(None, "the handler logged no counter as sent")
            return Reading(max(obs.counters_sent))
        if metric == "log_streams":
            return Reading(len(obs.log_streams))
        raise ValueError(f"metric {metric!r} has no reader")  # the validator prevents this

    def _shape_metric(self, cond: Condition) -> Reading:
        """An async (per function, or all) or topic metric; a backend that does not read
        them leaves them out, and the check fails as not observed rather than as zero."""
        obs = self.observations()
        if cond.metric in obs.pending() and cond.op not in _SAFE_WHEN_PENDING:
            where = obs.provenance[cond.metric].source
            return Reading(None, f"{cond.subject()} has not settled yet ({where})")
        if cond.metric in TOPIC_METRICS:
            topic = obs.by_topic.get(cond.topic or "")
            if topic is None:
                return Reading(None, f"the backend reported no SNS metrics for {cond.topic}")
            return Reading(getattr(topic, cond.metric))
        if cond.function is not None:
            counts = obs.async_by_function.get(cond.function)
            if counts is None:
                return Reading(None, f"the backend reported no async metrics for {cond.function}")
            return Reading(getattr(counts, cond.metric))
        if not obs.async_by_function:
            return Reading(None, "the backend reported no asynchronous-invocation metrics")
        return Reading(sum(getattr(c, cond.metric) for c in obs.async_by_function.values()))

    def _queue_metric(self, cond: Condition) -> Reading:
        assert cond.queue is not None
        if cond.snapshot is not None:
            taken = self.snapshots.get(cond.snapshot)
            if taken is None:
                return Reading(None, f"snapshot {cond.snapshot!r} was not taken (yet)")
            state = taken.get(cond.queue)
            if state is None:
                return Reading(None, f"snapshot {cond.snapshot!r} did not include {cond.queue}")
        else:
            state = self.backend.queue_state(cond.queue)
            if not state.settled and cond.op not in _SAFE_WHEN_PENDING:
                return Reading(None, f"{cond.queue}'s approximate counts have not settled yet")
        if cond.metric == "total":
            return Reading(state.total)
        return Reading(getattr(state, cond.metric))

    def _drained_metric(self, cond: Condition) -> Reading:
        assert cond.queue is not None
        messages = self.drained.get(cond.queue, [])
        if cond.metric == "drained":
            return Reading(len(messages))
        if not messages:
            return Reading(None, f"no message was drained from {cond.queue}")
        if cond.metric == "drained_receive_count":
            return Reading(max(m.receive_count for m in messages))
        counters = [c for c in (counter_of(m.body) for m in messages) if c is not None]
        if not counters:
            return Reading(None, f"no message drained from {cond.queue} had a JSON counter")
        return Reading(max(counters))

    def check(self, cond: Condition) -> dict[str, Any]:
        """One expectation's journal entry: check, expected, actual, passed (and why not)."""
        reading = self.read(cond)
        passed = cond.holds(reading.value)
        entry: dict[str, Any] = {
            **cond.to_json(),
            "actual": _plain(reading.value),
            "passed": passed,
        }
        if not passed:
            entry["reason"] = reading.why_none or (
                f"{cond.subject()} is {_plain(reading.value)}, expected {cond.expected()}"
            )
        return entry

    def holds_all(self, conds: tuple[Condition, ...]) -> bool:
        """Whether every condition holds, in this round (the caller calls fresh())."""
        # Cheap readings first: a queue count that fails spares a CloudWatch-like query.
        slow = OBSERVATION_METRICS + MAPPING_METRICS + RUN_METRICS
        ordered = sorted(conds, key=lambda c: c.metric in slow)
        return all(cond.holds(self.read(cond).value) for cond in ordered)

    def first_holding(self, conds: tuple[Condition, ...]) -> Condition | None:
        """The first condition that holds, in this round (the caller calls fresh())."""
        for cond in conds:
            if cond.holds(self.read(cond).value):
                return cond
        return None

    def summary(self, queues: list[str]) -> dict[str, Any]:
        """The journal's ``observations`` section, as of now."""
        self.fresh()
        obs = self.observations()
        return {
            "since": self.since,
            "invocations": obs.invocations,
            "errors": obs.errors,
            "recursive_invocations_dropped": obs.recursive_invocations_dropped,
            "throttles": obs.throttles,
            "by_function": {k: asdict(v) for k, v in obs.by_function.items()},
            "by_source": {k: asdict(v) for k, v in obs.by_source.items()},
            "async_by_function": {k: asdict(v) for k, v in obs.async_by_function.items()},
            "by_topic": {k: asdict(v) for k, v in obs.by_topic.items()},
            "max_counter_sent": max(obs.counters_sent) if obs.counters_sent else None,
            # Bounded (this section is rewritten after every step); the timeline has them all.
            "counters_sent": list(obs.counters_sent[:COUNTERS_LISTED]),
            "counters_sent_total": len(obs.counters_sent),
            "log_streams": list(obs.log_streams),
            "provenance": {k: asdict(v) for k, v in sorted(obs.provenance.items())},
            "queues": {q: state_json(self.backend.queue_state(q)) for q in queues},
            "drained": {q: [message_json(m) for m in ms] for q, ms in self.drained.items()},
            "snapshots": self.snapshots_json(),
        }

    def snapshots_json(self) -> dict[str, dict[str, dict[str, int]]]:
        """Each snapshot's JSON, built once and then the same object (the journal seals
        it: a run of many snapshots must not re-encode them all after every step)."""
        for name, states in self.snapshots.items():
            have = self._snapshots_json.get(name)
            if have is None or have[0] is not states:
                self._snapshots_json[name] = (
                    states,
                    {q: state_json(s) for q, s in states.items()},
                )
        return {name: self._snapshots_json[name][1] for name in self.snapshots}


def _minus(now: Observations, base: Observations) -> Observations:
    def counts(a: Any, b: Any) -> Any:
        if b is None:
            return replace(a)
        return replace(a, **{f.name: getattr(a, f.name) - getattr(b, f.name) for f in fields(a)})

    def after(items: list[Any], prefix: list[Any]) -> list[Any]:
        return items[len(prefix) :] if items[: len(prefix)] == prefix else list(items)

    seen = set(base.log_streams)
    return Observations(
        invocations=now.invocations - base.invocations,
        errors=now.errors - base.errors,
        recursive_invocations_dropped=(
            now.recursive_invocations_dropped - base.recursive_invocations_dropped
        ),
        throttles=now.throttles - base.throttles,
        by_function={k: counts(v, base.by_function.get(k)) for k, v in now.by_function.items()},
        by_source={k: counts(v, base.by_source.get(k)) for k, v in now.by_source.items()},
        async_by_function={
            k: counts(v, base.async_by_function.get(k)) for k, v in now.async_by_function.items()
        },
        by_topic={k: counts(v, base.by_topic.get(k)) for k, v in now.by_topic.items()},
        counters_sent=after(list(now.counters_sent), list(base.counters_sent)),
        # A stream is an execution environment: count the ones that appeared during the run.
        log_streams=[s for s in now.log_streams if s not in seen],
        provenance=dict(now.provenance),
    )


def _plain(value: float | None) -> float | int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
