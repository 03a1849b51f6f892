"""Observation on AWS: CloudWatch metrics (ONE GetMetricData per poll) and the functions' logs.

Per function: AWS/Lambda Invocations, Errors, RecursiveInvocationsDropped, Throttles by
FunctionName. Per source: the event source mapping metrics by EventSourceMappingUUID.
Counters sent and log streams come from FilterLogEvents on each function's log group
(seconds late as a rule, where metrics are minutes late; read by :mod:`._logwatch`, which
sizes its re-reads to the lateness it sees). Every figure carries its provenance and
whether it has settled: a value is settled once it has held over a window of reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from looplab.backends._timeline import sent_counter
from looplab.backends.aws._calls import Calls
from looplab.backends.aws._logwatch import LogWatch
from looplab.backends.aws._metric_data import MetricData, get_metric_data
from looplab.backends.aws._params import AwsParams
from looplab.backends.aws._record import StackRecord
from looplab.backends.base import (
    ASYNC_METRICS,
    FUNCTION_METRICS,
    SOURCE_METRICS,
    TOPIC_METRICS,
    AsyncCounts,
    FunctionCounts,
    FunctionLogEvent,
    MetricPoint,
    Observations,
    Provenance,
    SourceCounts,
    TopicCounts,
)
from looplab.journal import metric_query

__all__ = ["Observer", "Stability"]

_LAMBDA, _SNS, _TOPIC = "AWS/Lambda", "AWS/SNS", "AWS::SNS::Topic"
_START = re.compile(r"^START RequestId: ")


class Stability:
    """Whether a reading has held still for ``window`` seconds of reads (per key)."""

    def __init__(self) -> None:
        self._since: dict[str, tuple[Any, float]] = {}

    def observe(self, key: str, value: Any, now: float, window: float) -> bool:
        seen = self._since.get(key)
        if seen is None or seen[0] != value:
            self._since[key] = (value, now)
            return window <= 0
        return now - seen[1] >= window


class Observer:
    def __init__(
        self,
        calls: Calls,
        record: StackRecord,
        mapping_sources: dict[str, str],
        now: Callable[[], float],
        params: AwsParams,
    ) -> None:
        self.calls = calls
        self.record = record
        self.mapping_sources = mapping_sources  # mapping logical ID -> source queue logical ID
        self.now = now
        self.params = params
        self.stability = Stability()
        self.metric_calls = 0  # GetMetricData requests made (one per refresh)
        self._metrics_cache: tuple[float, float, dict[str, float]] | None = None
        self._incomplete: set[str] = set()  # fields whose last answer was PartialData
        self._start_minutes: dict[float, dict[str, float]] = {}  # since -> field -> sum
        self.logs = LogWatch(calls, record, now, params)

    # -- metrics -------------------------------------------------------------------------

    def namespaces(self) -> set[str]:
        """The CloudWatch namespaces this stack's figures come from."""
        return {ns for _, ns, *_ in self._queries()}

    def _queries(self) -> list[tuple[str, str, str, str, str, str]]:
        """(id, namespace, metric, dimension, value, key) for every metric a poll reads."""
        out = []
        for i, lid in enumerate(self.record.functions):
            name = self.record.function_name(lid)
            for field_name, metric in {**FUNCTION_METRICS, **ASYNC_METRICS}.items():
                out.append(
                    (
                        f"f{i}_{field_name}",
                        _LAMBDA,
                        metric,
                        "FunctionName",
                        name,
                        f"f:{lid}:{field_name}",
                    )
                )
        for i, lid in enumerate(self.record.mappings):
            uuid = self.record.mapping_uuid(lid)
            for field_name, metric in SOURCE_METRICS.items():
                out.append(
                    (
                        f"m{i}_{field_name}",
                        _LAMBDA,
                        metric,
                        "EventSourceMappingUUID",
                        uuid,
                        f"m:{lid}:{field_name}",
                    )
                )
        for i, lid in enumerate(self.record.of_type(_TOPIC)):
            # A topic's physical ID is its ARN; AWS/SNS names it by TopicName.
            name = self.record.resources[lid]["physicalId"].rsplit(":", 1)[-1]
            for field_name, metric in TOPIC_METRICS.items():
                out.append(
                    (f"t{i}_{field_name}", _SNS, metric, "TopicName", name, f"t:{lid}:{field_name}")
                )
        return out

    def _get_metric_data(
        self, queries: list[dict[str, Any]], start: float, end: float
    ) -> MetricData:
        """One GetMetricData request, every page of it (:mod:`._metric_data`)."""
        self.metric_calls += 1

        def call(**params: Any) -> dict[str, Any]:
            return self.calls("cloudwatch", "GetMetricData", self.record.stack_name, **params)

        return get_metric_data(
            call,
            MetricDataQueries=queries,
            StartTime=_utc(start),
            EndTime=_utc(end),
            ScanBy="TimestampAscending",
        )

    def _window(self, since: float, until: float) -> tuple[float, float]:
        period = self.params.period
        start = (since // period) * period
        end = (until // period) * period + period
        return start, end

    def counted_from(self, since: float) -> float:
        """The first whole minute a run started at ``since`` counts: the next one. The start
        minute also holds what happened in it before the run, which no per-minute read can
        tell apart, so the backend keeps the run out of it (AwsBackend holds its first
        action until then) and leaves it out of the run's figures."""
        period = self.params.period
        return since if since % period == 0 else (since // period + 1) * period

    def metric_totals(self, since: float) -> dict[str, float]:
        """key -> sum over the whole minutes from counted_from(since) to now, refreshed at
        most every metric_refresh. The start minute is read too and kept apart."""
        now = self.now()
        cached = self._metrics_cache
        if cached and cached[0] == since and now - cached[1] < self.params.metric_refresh_seconds:
            return cached[2]
        specs = self._queries()
        queries = [
            _query(qid, metric, dim, value, "Sum", self.params.period, ns)
            for qid, ns, metric, dim, value, _ in specs
        ]
        start, end = self._window(since, now)
        data = self._get_metric_data(queries, start, end) if queries else MetricData()
        first = self.counted_from(since)
        totals: dict[str, float] = {}
        before: dict[str, float] = {}
        for qid, *_, key in specs:
            points = data.points.get(qid, [])
            totals[key] = sum(v for t, v in points if t >= first)
            field = key.rsplit(":", 1)[1]
            before[field] = before.get(field, 0.0) + sum(v for t, v in points if t < first)
        self._start_minutes[since] = before
        self.stability.observe(
            f"start-minute:{since}", tuple(sorted(before.items())), now, self._slowest_window()
        )
        # A figure one of whose queries came back incomplete cannot be final.
        missing = set(data.incomplete())
        self._incomplete = {key.rsplit(":", 1)[1] for qid, *_, key in specs if qid in missing}
        self._metrics_cache = (since, now, totals)
        return totals

    def start_minute(self, since: float) -> dict[str, Any]:
        """What the start minute of a run from ``since`` held (left out of its figures: an
        earlier run's tail, if anything), as last read, and whether that had settled."""
        minute = since // self.params.period * self.params.period
        out: dict[str, Any] = {"minute": _utc(minute).isoformat().replace("+00:00", "Z")}
        if minute == self.counted_from(since):
            return {**out, "excluded": {}, "settled": True, "note": "the run began on a minute"}
        before = self._start_minutes.get(since)
        if before is None:
            return {**out, "excluded": {}, "settled": False, "note": "never read"}
        settled = self.stability.observe(
            f"start-minute:{since}",
            tuple(sorted(before.items())),
            self.now(),
            self._slowest_window(),
        )
        return {**out, "excluded": {k: int(v) for k, v in before.items() if v}, "settled": settled}

    def _slowest_window(self) -> float:
        return max(self.params.metric_settle_for(ns) for ns in self.namespaces() | {_LAMBDA})

    # -- logs (looplab/backends/aws/_logwatch.py) ------------------------------------------

    def log_events(self, since: float, until: float | None = None) -> list[FunctionLogEvent]:
        """Every function's log events in ``[since, until]`` (a fresh, paginated read), in
        time order, for the run's timeline."""
        return self.logs.between(since, until)

    def starts(self, since: float, final: bool = False) -> int:
        """Invocations counted from the logs' START lines (seconds late): the budget's view.
        ``final``: read from ``since`` (the count the journal keeps)."""
        total = 0
        for lid in self.record.functions:
            events = self.logs.read(lid, since, force=True, full=final)
            total += sum(1 for _, _, msg in events.values() if _START.match(msg))
        return total

    def log_report(self) -> dict[str, Any]:
        return self.logs.report()

    # -- the Backend's observations ------------------------------------------------------

    def observations(self, since: float) -> Observations:
        now = self.now()
        totals = self.metric_totals(since)
        window = self.params.metric_settle_for(_LAMBDA)
        obs = Observations()
        for lid in self.record.functions:
            counts = FunctionCounts(
                **{f: int(totals.get(f"f:{lid}:{f}", 0)) for f in FUNCTION_METRICS}
            )
            obs.by_function[lid] = counts
            for f in FUNCTION_METRICS:
                setattr(obs, f, getattr(obs, f) + getattr(counts, f))
        for lid in self.record.mappings:
            counts = SourceCounts(**{f: int(totals.get(f"m:{lid}:{f}", 0)) for f in SOURCE_METRICS})
            source = self.mapping_sources.get(lid, lid)
            obs.by_source.setdefault(source, SourceCounts()).add(counts)
        for lid in self.record.functions:
            obs.async_by_function[lid] = AsyncCounts(
                **{f: int(totals.get(f"f:{lid}:{f}", 0)) for f in ASYNC_METRICS}
            )
        for lid in self.record.of_type(_TOPIC):
            obs.by_topic[lid] = TopicCounts(
                **{f: int(totals.get(f"t:{lid}:{f}", 0)) for f in TOPIC_METRICS}
            )
        for f, metric in FUNCTION_METRICS.items():
            value = (getattr(obs, f), tuple(getattr(c, f) for c in obs.by_function.values()))
            settled = self.stability.observe(f"metric:{f}:{since}", value, now, window)
            obs.provenance[f] = Provenance(
                f"cloudwatch:AWS/Lambda {metric} by FunctionName", settled
            )
        for f, metric in ASYNC_METRICS.items():
            value = tuple(sorted((k, getattr(c, f)) for k, c in obs.async_by_function.items()))
            settled = self.stability.observe(f"metric:{f}:{since}", value, now, window)
            obs.provenance[f] = Provenance(
                f"cloudwatch:AWS/Lambda {metric} by FunctionName", settled
            )
        # A stack without a topic has no SNS figure to wait for (none is read).
        for f, metric in TOPIC_METRICS.items() if obs.by_topic else ():
            value = tuple(sorted((k, getattr(c, f)) for k, c in obs.by_topic.items()))
            settled = self.stability.observe(
                f"metric:{f}:{since}", value, now, self.params.metric_settle_for(_SNS)
            )
            obs.provenance[f] = Provenance(f"cloudwatch:AWS/SNS {metric} by TopicName", settled)
        for f, metric in SOURCE_METRICS.items():
            value = tuple(sorted((k, getattr(c, f)) for k, c in obs.by_source.items()))
            settled = self.stability.observe(f"metric:{f}:{since}", value, now, window)
            obs.provenance[f] = Provenance(
                f"cloudwatch:AWS/Lambda {metric} by EventSourceMappingUUID", settled
            )
        for f in self._incomplete & obs.provenance.keys():
            obs.provenance[f] = replace(
                obs.provenance[f], settled=False, note="CloudWatch answered PartialData"
            )
        sent: list[tuple[float, int]] = []
        streams: set[str] = set()
        groups = []
        for lid in self.record.functions:
            events = self.logs.read(lid, since)
            groups.append(self.record.log_group(lid))
            for t, stream, msg in events.values():
                if t < since:
                    continue
                streams.add(stream)
                counter = sent_counter(msg)
                if counter is not None:
                    sent.append((t, counter))
        obs.counters_sent = [n for _, n in sorted(sent)]
        obs.log_streams = sorted(streams)
        # Final only once it held as long as a late line can take to be found.
        logs_settled = self.stability.observe(
            f"logs:{since}", (len(sent), len(streams)), now, self.logs.settle_window()
        )
        for name in ("counters_sent", "log_streams"):
            obs.provenance[name] = Provenance(
                f"logs:FilterLogEvents {', '.join(groups)}", logs_settled
            )
        return obs

    def series(self, since: float, until: float) -> list[MetricPoint]:
        specs = self._queries()
        queries = [
            _query(qid, metric, dim, value, "Sum", self.params.period, ns)
            for qid, ns, metric, dim, value, _ in specs
        ]
        sqs = []
        for i, lid in enumerate(self.record.queues):
            name = self.record.queue_name(lid)
            for j, metric in enumerate(_SQS_GAUGES):
                qid = f"q{i}_{j}"
                sqs.append((qid, metric, name))
                queries.append(
                    _query(qid, metric, "QueueName", name, "Maximum", self.params.period, "AWS/SQS")
                )
        start, end = self._window(since, until)
        data = self._get_metric_data(queries, start, end).points
        points = []
        for qid, ns, metric, _dim, value, _ in specs:
            points += [MetricPoint(ns, metric, value, t, v) for t, v in data.get(qid, [])]
        for qid, metric, name in sqs:
            points += [MetricPoint("AWS/SQS", metric, name, t, v) for t, v in data.get(qid, [])]
        return sorted(points, key=lambda p: (p.namespace, p.metric, p.resource, p.minute))


_SQS_GAUGES = (
    "ApproximateNumberOfMessagesVisible",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def _query(
    qid: str, metric: str, dim: str, value: str, stat: str, period: int, ns: str = "AWS/Lambda"
) -> dict[str, Any]:
    return metric_query(qid, ns, metric, dim, value, stat, period)


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)
