"""AWS lateness: fetch the settled CloudWatch values of a run that ended ``pending``.

CloudWatch publishes a minute's Lambda and SQS datapoints minutes late, so an aws run
that ends soon after its last invocation records series that are still filling in (its
journal's ``timeline.metrics.pending``). Collecting later fetches the run's window with
ONE GetMetricData call (the queries the journal recorded, at most 500, AWS's limit per
call) and writes ``collected.json`` beside the journal. The journal is never modified:
it stays what the run saw, and collected.json says what CloudWatch said afterwards.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from looplab._files import COLLECTED, read_json, write_atomic
from looplab.journal import RunRecord

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
    start, end = tl.window
    try:
        client = client_factory(region)
        reply = client.get_metric_data(
            MetricDataQueries=list(tl.metric_queries),
            StartTime=datetime.fromtimestamp(start // 60 * 60, UTC),
            EndTime=datetime.fromtimestamp((end // 60 + 1) * 60, UTC),
            ScanBy="TimestampAscending",
        )
    except Exception as exc:  # no credentials, no network, access denied: still pending
        return Settled("pending", f"GetMetricData failed: {type(exc).__name__}: {exc}")
    data = _collected(record, reply)
    _write(folder / COLLECTED_NAME, data)
    return Settled("collected", data=data)


def _collected(record: RunRecord, reply: dict[str, Any]) -> dict[str, Any]:
    by_id = {q["Id"]: q for q in record.timeline.metric_queries}
    results, totals = [], {}
    for result in reply.get("MetricDataResults", []):
        query = by_id.get(result.get("Id"), {})
        stat = query.get("MetricStat", {})
        metric = stat.get("Metric", {}).get("MetricName", "?")
        values = [float(v) for v in result.get("Values", [])]
        stamps = [
            t.timestamp() if hasattr(t, "timestamp") else t for t in result.get("Timestamps", [])
        ]
        results.append(
            {
                "id": result.get("Id"),
                "label": result.get("Label") or query.get("Label"),
                "metric": metric,
                "stat": stat.get("Stat"),
                "status": result.get("StatusCode"),
                "points": [[s, v] for s, v in zip(stamps, values, strict=False)],
            }
        )
        if stat.get("Stat") == "Sum":
            totals[metric] = totals.get(metric, 0.0) + sum(values)
    return {
        "ok": True,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "journal": record.path.name,
        "window": list(record.timeline.window or ()),
        "queries": list(record.timeline.metric_queries),
        # One call per run by design; a NextToken means AWS cut the answer short.
        "complete": not reply.get("NextToken"),
        "results": results,
        "totals": totals,
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(data, indent=1) + "\n")
