"""AWS lateness: fetch the settled CloudWatch values of a run that ended ``pending``.

CloudWatch publishes a minute's Lambda and SQS datapoints minutes late, so an aws run
that ends soon after its last invocation records series that are still filling in (its
journal's ``timeline.metrics.pending``). Collecting later fetches the run's window with
ONE GetMetricData request (the queries the journal recorded, at most 500, AWS's limit per
call; every page of the answer) and writes ``collected.json`` beside the journal, only
when every query came back Complete: a PartialData answer stays pending and is asked
again. The period is the one CloudWatch still keeps for the run's age (60 s up to 15
days, then 300 s, then 3,600 s; nothing after 455 days), and collected.json says which.
The journal is never modified: it stays what the run saw, and collected.json says what
CloudWatch said afterwards.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from looplab._files import COLLECTED, read_json, write_atomic
from looplab.journal import RunRecord

if TYPE_CHECKING:
    from looplab.backends.aws import MetricData

__all__ = ["COLLECTED_NAME", "Settled", "settle"]

COLLECTED_NAME = "collected.json"
ClientFactory = Callable[[str | None], Any]  # region -> a boto3 "cloudwatch" client


@dataclass(frozen=True)
class Settled:
    state: str  # "not-needed", "collected", "pending"
    detail: str = ""
    data: dict[str, Any] | None = None


def load_collected(folder: Path) -> dict[str, Any] | None:
    path = folder / COLLECTED_NAME
    try:
        data = read_json(path, COLLECTED)  # bounded: a FIFO or /dev/zero is "none"
    except (OSError, ValueError):
        return None
    # A damaged one is as good as none (fetched again when CloudWatch can be asked): its
    # totals replace the run's own figures, so they must be what _collected writes.
    if not isinstance(data, dict) or not data.get("ok"):
        return None
    totals = data.get("totals")
    if not isinstance(totals, dict) or not all(_finite(v) for v in totals.values()):
        return None
    return data


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def settle(record: RunRecord, client_factory: ClientFactory | None) -> Settled:
    """Make sure a pending aws run has its collected.json, if CloudWatch can be asked."""
    tl = record.timeline
    if not tl.metrics_pending:
        return Settled("not-needed")
    folder = record.path.parent
    have = load_collected(folder)
    if have is not None:
        return Settled("collected", data=have)
    if not tl.metric_queries or tl.window is None:
        return Settled("pending", "the journal recorded no CloudWatch queries")
    if tl.settle_at is not None and time.time() < tl.settle_at:
        at = datetime.fromtimestamp(tl.settle_at, UTC).strftime("%H:%M:%S UTC")
        return Settled("pending", f"CloudWatch settles after {at}; collect again then")
    if client_factory is None:
        return Settled("pending", "no CloudWatch client (offline)")
    region = ((record.definition.get("stack") or {}).get("region")) or None
    # Imported here: botocore loads only when CloudWatch is really asked.
    from looplab.backends.aws import get_metric_data, period_for_age

    start, end = tl.window
    age = time.time() - start
    chosen = period_for_age(age)
    if chosen is None:
        return Settled(
            "pending",
            f"CloudWatch keeps datapoints for 455 days and this run is {age / 86_400:.0f} "
            "days old: nothing is left to collect",
        )
    period, why = chosen
    # Whole periods: CloudWatch rounds StartTime down to the period's clock interval. A run
    # that kept out of its start minute (the aws backend's definition says so) counted from
    # the next minute: the same minutes here, while 1-minute datapoints are kept.
    backend = record.definition.get("backend")
    if (
        period == 60
        and isinstance(backend, dict)
        and backend.get("metrics_count_from") == ("next-minute")
    ):
        start = -(-start // 60) * 60
    first = start // period * period
    window = [first, max((end // period + 1) * period, first + period)]
    queries = [_with_period(q, period) for q in tl.metric_queries]
    try:
        client = client_factory(region)
        data = get_metric_data(
            client.get_metric_data,
            MetricDataQueries=queries,
            StartTime=datetime.fromtimestamp(window[0], UTC),
            EndTime=datetime.fromtimestamp(window[1], UTC),
            ScanBy="TimestampAscending",
        )
    except Exception as exc:  # no credentials, no network, access denied: still pending
        return Settled("pending", f"GetMetricData failed: {type(exc).__name__}: {exc}")
    missing = data.incomplete()
    if missing:
        # Not written: a collected.json is trusted forever, so only a complete answer is.
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return Settled(
            "pending",
            f"CloudWatch answered PartialData for {len(missing)} of {len(queries)} "
            f"queries ({shown}); collect again later",
        )
    collected = _collected(record, data, queries, period, why, window)
    _write(folder / COLLECTED_NAME, collected)
    return Settled("collected", data=collected)


def _with_period(query: dict[str, Any], period: int) -> dict[str, Any]:
    stat = dict(query.get("MetricStat") or {})
    return {**query, "MetricStat": {**stat, "Period": period}} if stat else dict(query)


def _collected(
    record: RunRecord,
    data: MetricData,
    queries: list[dict[str, Any]],
    period: int,
    why: str,
    window: list[float],
) -> dict[str, Any]:
    results, totals = [], {}
    for query in queries:
        qid = query.get("Id")
        if qid not in data.points:
            continue
        stat = query.get("MetricStat", {})
        metric = stat.get("Metric", {}).get("MetricName", "?")
        points = data.points[qid]
        results.append(
            {
                "id": qid,
                "label": data.labels.get(qid) or query.get("Label"),
                "metric": metric,
                "stat": stat.get("Stat"),
                "status": data.status.get(qid),
                "points": [[t, v] for t, v in points],
            }
        )
        if stat.get("Stat") == "Sum":
            totals[metric] = totals.get(metric, 0.0) + sum(v for _, v in points)
    return {
        "ok": True,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "journal": record.path.name,
        "window": list(record.timeline.window or ()),
        # What was asked: the run's window widened to whole periods, at the period
        # CloudWatch still keeps for the run's age (a 5-minute or 1-hour bucket can hold
        # activity from just before or after the run).
        "fetched_window": window,
        "period": period,
        "period_reason": why,
        "queries": queries,
        "complete": True,  # every page read, every query Complete
        "pages": data.pages,
        "messages": data.messages,
        "results": results,
        "totals": totals,
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, indent=1) + "\n")
