"""What CloudWatch stores of the services' metrics: per-period statistic sets, on the virtual clock.

Bounded by simulated time, not by the number of invocations: metrics are summed into
one-minute buckets, so 100,000 invocations do not grow the process. The store only
records; what CloudWatch would *answer* (statistics, lateness, pages) is :mod:`.model`,
which reads it through :meth:`Metrics.statistic_sets`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

MetricKey = tuple[str, str, str, str]  # namespace, metric, resource, source ("" for none)
StatisticSet = tuple[float, float, float, float]  # sum, sample count, minimum, maximum


class Metrics:
    """Per-period statistic sets, as CloudWatch stores what a service publishes.

    Three kinds of series, each kept as cheaply as its statistics allow:

    - counters (:meth:`count`, :meth:`add`): a sum per period. :meth:`count` records unit
      samples (one per event: Invocations), so the sample count IS the sum and min = max = 1;
      :meth:`add` outside AWS/SQS also keeps the sample count and extrema. AWS/SQS publishes
      one aggregated value per queue per minute, so there one period is one sample.
    - gauges (:meth:`gauge`, :meth:`gauge_span`): the maximum per period, one sample.
    - distributions (:meth:`sample`): sum, count, min and max per period (Duration).
    """

    def __init__(self, period: int, epoch: float) -> None:
        self.period = period
        self.epoch = epoch
        self._sums: dict[MetricKey, dict[int, float]] = defaultdict(dict)
        self._gauges: dict[MetricKey, dict[int, float]] = defaultdict(dict)
        # [sample count, min, max] per period for add()'s non-unit samples.
        self._extrema: dict[MetricKey, dict[int, list[float]]] = defaultdict(dict)
        # [sum, sample count, min, max] per period for sample().
        self._dists: dict[MetricKey, dict[int, list[float]]] = defaultdict(dict)

    def _bucket(self, t: float) -> int:
        return int((t - self.epoch) // self.period)

    def add(
        self,
        t: float,
        namespace: str,
        metric: str,
        resource: str,
        value: float = 1.0,
        source: str = "",
    ) -> None:
        key = (namespace, metric, resource, source)
        buckets = self._sums[key]
        b = self._bucket(t)
        buckets[b] = buckets.get(b, 0.0) + value
        if namespace != "AWS/SQS":  # SQS: one aggregated sample per minute, see class doc
            extrema = self._extrema[key]
            seen = extrema.get(b)
            if seen is None:
                extrema[b] = [1.0, value, value]
            else:
                seen[0] += 1.0
                if value < seen[1]:
                    seen[1] = value
                if value > seen[2]:
                    seen[2] = value

    def sample(self, t: float, namespace: str, metric: str, resource: str, value: float) -> None:
        """One observation of a distribution (an invocation's Duration)."""
        buckets = self._dists[(namespace, metric, resource, "")]
        b = self._bucket(t)
        seen = buckets.get(b)
        if seen is None:
            buckets[b] = [value, 1.0, value, value]
        else:
            seen[0] += value
            seen[1] += 1.0
            if value < seen[2]:
                seen[2] = value
            if value > seen[3]:
                seen[3] = value

    def count(self, t: float, namespace: str, metric: str, resource: str, source: str) -> None:
        """One event counted both per resource and per (resource, source)."""
        b = self._bucket(t)
        for key in ((namespace, metric, resource, ""), (namespace, metric, resource, source)):
            buckets = self._sums[key]
            buckets[b] = buckets.get(b, 0.0) + 1.0

    def gauge(self, t: float, namespace: str, metric: str, resource: str, value: float) -> None:
        buckets = self._gauges[(namespace, metric, resource, "")]
        b = self._bucket(t)
        if value > buckets.get(b, -1.0):
            buckets[b] = value

    def gauge_span(
        self, t0: float, t1: float, namespace: str, metric: str, resource: str, value: float
    ) -> None:
        """A gauge that held at least ``value`` from ``t0`` to ``t1``: every period between."""
        buckets = self._gauges[(namespace, metric, resource, "")]
        for b in range(self._bucket(t0), self._bucket(t1) + 1):
            if value > buckets.get(b, -1.0):
                buckets[b] = value

    def total(
        self,
        namespace: str,
        metric: str,
        since: float,
        until: float | None = None,
        resource: str | None = None,
        source: str | None = None,
    ) -> float:
        lo = self._bucket(since)
        hi = self._bucket(until) if until is not None else None
        result = 0.0
        for (ns, name, res, src), buckets in self._sums.items():
            if ns != namespace or name != metric:
                continue
            if resource is not None and res != resource:
                continue
            if source is not None and src != source:
                continue
            if source is None and src:
                continue  # per-source keys duplicate the plain ones
            result += sum(v for b, v in buckets.items() if b >= lo and (hi is None or b <= hi))
        return result

    def keys(self, namespace: str, metric: str) -> list[MetricKey]:
        return [k for k in self._sums if k[0] == namespace and k[1] == metric]

    def resources(self, namespace: str, metric: str) -> list[str]:
        """Resources with any datapoint of ``metric`` (per-source duplicates left out)."""
        found = {
            key[2]
            for store in (self._sums, self._gauges, self._dists)
            for key in store
            if key[0] == namespace and key[1] == metric and not key[3]
        }
        return sorted(found)

    def statistic_sets(self, namespace: str, metric: str, resource: str) -> dict[int, StatisticSet]:
        """Period index -> (sum, sample count, min, max) of one series, as published.

        A period without activity has no entry: Lambda publishes no datapoint for it. (The
        zeros an active SQS queue publishes are the CloudWatch api's to add.)
        """
        key = (namespace, metric, resource, "")
        dists = self._dists.get(key)
        if dists:
            return {b: (v[0], v[1], v[2], v[3]) for b, v in dists.items()}
        gauges = self._gauges.get(key)
        if gauges:
            return {b: (v, 1.0, v, v) for b, v in gauges.items()}
        sums = self._sums.get(key)
        if not sums:
            return {}
        if namespace == "AWS/SQS":
            return {b: (v, 1.0, v, v) for b, v in sums.items()}
        extrema = self._extrema.get(key, {})
        sets: dict[int, StatisticSet] = {}
        for b, v in sums.items():
            seen = extrema.get(b)
            # No extrema: count()'s unit samples, one per event.
            sets[b] = (v, v, 1.0, 1.0) if seen is None else (v, seen[0], seen[1], seen[2])
        return sets

    def period_start(self, b: int) -> float:
        return self.epoch + b * self.period

    def series(self, since: float, until: float) -> Iterator[tuple[str, str, str, float, float]]:
        """Yield ``(namespace, metric, resource, period_start, value)``, sorted. SQS's depth
        gauges are carried forward over quiet periods (a queue's depth persists while
        nothing moves); other gauges (ConcurrentExecutions) have a point only for periods
        with activity, as CloudWatch reports them."""
        lo, hi = self._bucket(since), self._bucket(until)
        rows: list[tuple[str, str, str, float, float]] = []
        for (ns, name, res, src), buckets in self._sums.items():
            if src:
                continue
            rows += [
                (ns, name, res, self.epoch + b * self.period, v)
                for b, v in buckets.items()
                if lo <= b <= hi
            ]
        for (ns, name, res, _), buckets in self._gauges.items():
            if name not in _CARRIED:
                rows += [
                    (ns, name, res, self.epoch + b * self.period, v)
                    for b, v in buckets.items()
                    if lo <= b <= hi
                ]
                continue
            last = 0.0
            for b in range(min([lo, *buckets]), hi + 1):
                last = buckets.get(b, last)
                if b >= lo:
                    rows.append((ns, name, res, self.epoch + b * self.period, last))
        yield from sorted(rows)


# Sampled queue depths: state, not activity. (ApproximateAgeOfOldestMessage is not carried:
# an empty queue has no oldest message.)
_CARRIED = frozenset(
    {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    }
)
