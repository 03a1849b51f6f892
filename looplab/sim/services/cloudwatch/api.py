"""GetMetricData: the caller's parameters in, botocore's parsed reply out.

What AWS documents is followed (API_GetMetricData): at most 500 queries and 100,800
datapoints a call, StartTime rounded down to the minute and inclusive, EndTime exclusive,
ScanBy (newest first by default), MaxDatapoints paging with NextToken and a PartialData
status on the queries a page cut short, Label defaulting to the metric's name, ReturnData
false leaving a query out. What AWS does not document is chosen here, each once:

- every page lists every returned query (in request order), with that page's datapoints,
  so a reader that joins pages by Id gets each series whole;
- the pages of one paged call all answer as of the first page's time (the token carries
  it), so datapoints published meanwhile cannot shift the pages;
- MaxDatapoints above 100,800 is refused rather than capped: code that passes here then
  cannot depend on a larger page AWS may not give.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from typing import Any, cast

from botocore.utils import parse_timestamp, parse_to_aware_datetime

from looplab.sim.clock import Clock
from looplab.sim.params import SimParams
from looplab.sim.services import Call
from looplab.sim.services.cloudwatch.errors import (
    invalid_next_token,
    not_modelled,
    validation,
)
from looplab.sim.services.cloudwatch.model import STATS, MetricStat, Stat, datapoints
from looplab.sim.services.cloudwatch.store import Metrics

MAX_QUERIES = 500
MAX_DATAPOINTS = 100_800
SCAN_BY = ("TimestampDescending", "TimestampAscending")
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)

_ID = re.compile(r"[a-z][A-Za-z0-9_]*\Z")
# Extended statistics AWS accepts (percentiles, trimmed/winsorized means, ...): not modelled.
_EXTENDED = re.compile(r"(p|tm|wm|tc|ts|pr)\d|(TM|WM|TC|TS|PR)\(|IQM\Z")


class CloudWatchApi:
    """The simulator's CloudWatch: GetMetricData over its metric store."""

    def __init__(self, metrics: Metrics, clock: Clock, params: SimParams) -> None:
        self.metrics = metrics
        self.clock = clock
        self.params = params

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        if operation != "GetMetricData":
            raise not_modelled(f"cloudwatch:{operation}")
        return self._get_metric_data(params)

    def _get_metric_data(self, params: dict[str, Any]) -> dict[str, Any]:
        raw_queries = params.get("MetricDataQueries") or []
        if len(raw_queries) > MAX_QUERIES:
            raise validation(
                f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
            )
        if not raw_queries:
            raise validation("The parameter MetricDataQueries must hold at least one query.")
        start, end = _time(params["StartTime"]), _time(params["EndTime"])
        if start == end:
            raise validation("The parameter StartTime must not equal parameter EndTime.")
        if start > end:
            raise validation("The parameter EndTime must be greater than StartTime.")
        start = math.floor(start / 60) * 60  # "Round down to the nearest whole minute"
        scan_by = params.get("ScanBy", "TimestampDescending")
        if scan_by not in SCAN_BY:
            raise validation(
                f"1 validation error detected: Value '{scan_by}' at 'scanBy' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{', '.join(SCAN_BY)}]"
            )
        page = params.get("MaxDatapoints", MAX_DATAPOINTS)
        if not 1 <= page <= MAX_DATAPOINTS:
            raise validation(
                f"The parameter MaxDatapoints must be between 1 and {MAX_DATAPOINTS}, not {page}."
            )
        queries = [_query(i, q) for i, q in enumerate(raw_queries, 1)]
        seen: set[str] = set()
        for i, (query_id, _, _, _) in enumerate(queries, 1):
            if query_id in seen:
                raise validation(
                    f"The value {query_id} for parameter MetricDataQueries.member.{i}.Id is "
                    "a duplicate: Ids must be unique within one call."
                )
            seen.add(query_id)

        digest = _digest(params)
        offset, now = 0, self.clock.now
        if "NextToken" in params:
            offset, now = _read_token(params["NextToken"], digest)
        delay = self.params.metric_publication_delay
        results: list[dict[str, Any]] = []
        position, budget, total = 0, page, 0
        for query_id, label, stat, returned in queries:
            if not returned:
                continue
            points = datapoints(self.metrics, stat, start, end, now, delay)
            if scan_by == "TimestampDescending":
                points.reverse()
            total += len(points)
            skip = max(offset - position, 0)
            taken = points[skip : skip + budget] if budget > 0 else []
            budget -= len(taken)
            position += len(points)
            results.append(
                {
                    "Id": query_id,
                    "Label": label,
                    "Timestamps": [parse_timestamp(t) for t, _ in taken],
                    "Values": [float(v) for _, v in taken],  # doubles, as botocore parses
                    "StatusCode": "Complete" if skip + len(taken) >= len(points) else "PartialData",
                }
            )
        reply: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
        delivered = offset + page - budget
        if delivered < total:
            reply["NextToken"] = _write_token(delivered, now, digest)
        return reply


def _query(i: int, q: dict[str, Any]) -> tuple[str, str, MetricStat, bool]:
    """(Id, Label, what to read, ReturnData) of query number ``i`` (1-based, as AWS counts)."""
    where = f"MetricDataQueries.member.{i}"
    query_id = q["Id"]
    if not _ID.match(query_id):
        raise validation(
            f"The value {query_id} for parameter {where}.Id is not valid: an Id starts with a "
            "lowercase letter and holds only letters, numbers and underscores."
        )
    if "Expression" in q:
        if "MetricStat" in q:
            raise validation(f"Exactly one of MetricStat and Expression is allowed in {where}.")
        raise not_modelled(f"metric math and Metrics Insights expressions ({where}.Expression)")
    if "MetricStat" not in q:
        raise validation(f"The parameter {where}.MetricStat is required.")
    if "AccountId" in q:
        raise not_modelled(f"cross-account queries ({where}.AccountId)")
    ms = q["MetricStat"]
    metric = ms["Metric"]
    for field in ("Namespace", "MetricName"):
        if field not in metric:
            raise validation(f"The parameter {where}.MetricStat.Metric.{field} is required.")
    period = ms["Period"]
    if period in HIGH_RESOLUTION_PERIODS:
        raise not_modelled(
            f"high-resolution periods ({where}.MetricStat.Period {period}): every simulated "
            "metric has standard (60 s) resolution"
        )
    if period % 60:
        raise validation(
            f"The parameter {where}.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple "
            f"of 60, not {period}."
        )
    stat = ms["Stat"]
    if stat not in STATS:
        if _EXTENDED.match(stat):
            raise not_modelled(f"extended statistics ({where}.MetricStat.Stat {stat})")
        raise validation(
            f"The value {stat} for parameter {where}.MetricStat.Stat is not a statistic; "
            f"valid: {', '.join(STATS)} or an extended statistic."
        )
    label = q.get("Label")
    if label is not None and "${" in label:
        raise not_modelled(f"dynamic labels ({where}.Label)")
    dimensions = tuple((d["Name"], d["Value"]) for d in metric.get("Dimensions", ()))
    read = MetricStat(
        metric["Namespace"],
        metric["MetricName"],
        dimensions,
        period,
        cast(Stat, stat),
        ms.get("Unit"),
    )
    return query_id, label or metric["MetricName"], read, q.get("ReturnData", True)


def _time(value: Any) -> float:
    # botocore accepts a datetime (naive = UTC), an ISO 8601 string or epoch seconds.
    return parse_to_aware_datetime(value).timestamp()


def _digest(params: dict[str, Any]) -> str:
    """What a token is bound to: the request, less the token and the page size."""
    same = {k: v for k, v in params.items() if k not in ("NextToken", "MaxDatapoints")}
    for key in ("StartTime", "EndTime"):
        same[key] = _time(same[key])
    text = json.dumps(same, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_token(offset: int, now: float, digest: str) -> str:
    body = json.dumps({"o": offset, "n": now, "h": digest}).encode()
    return base64.urlsafe_b64encode(body).decode()


def _read_token(token: str, digest: str) -> tuple[int, float]:
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, now, bound = int(body["o"]), float(body["n"]), body["h"]
    except (ValueError, TypeError, KeyError):
        raise invalid_next_token() from None
    if bound != digest or offset < 0:
        raise invalid_next_token()
    return offset, now
