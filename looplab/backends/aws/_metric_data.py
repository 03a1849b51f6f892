"""GetMetricData as AWS documents it, for both readers: the live observer and collect-results.

Two rules of the API (botocore's cloudwatch model, GetMetricData and MetricDataResult):

- One request can come back in pages: a reply with a ``NextToken`` is followed until none
  is left, and a query's datapoints are joined across pages by its Id. A query whose
  ``StatusCode`` is still ``PartialData`` ("an incomplete set of data points were
  returned") or ``InternalError`` at the end is not complete, and nothing built on it
  may be taken as final.
- CloudWatch keeps 1-minute datapoints for 15 days, 5-minute ones for 63 days and 1-hour
  ones for 455 days; for a StartTime older than 15 days the Period must be a multiple of
  300, older than 63 days a multiple of 3,600, "or no data points in that time range is
  returned". :func:`period_for_age` picks the period a run of that age can still be read
  with, and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MetricData", "get_metric_data", "period_for_age"]

DAY = 86_400.0
# (age limit in days, the period AWS serves up to it): "Data points with a period of 60
# seconds (1-minute) are available for 15 days ... 300 seconds (5-minute) ... for 63 days
# ... 3600 seconds (1 hour) ... for 455 days (15 months)".
RETENTION = ((15, 60), (63, 300), (455, 3600))
# A run just under a limit is asked with the next period up: the request must not cross
# the limit while it is made (a coarser period still gives the same sums).
_MARGIN = 3600.0
MAX_PAGES = 100  # a token that never ends is CloudWatch's problem, not a loop here


@dataclass
class MetricData:
    """One GetMetricData request's answer, every page joined."""

    points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # Id -> (t, v)
    status: dict[str, str] = field(default_factory=dict)  # Id -> the last page's StatusCode
    labels: dict[str, str] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    cut: bool = False  # MAX_PAGES pages and still a NextToken

    def incomplete(self) -> list[str]:
        """The query Ids whose data is not complete (PartialData, InternalError, cut)."""
        if self.cut:
            return sorted(self.status)
        return sorted(i for i, s in self.status.items() if s != "Complete")


def get_metric_data(call: Callable[..., dict[str, Any]], **params: Any) -> MetricData:
    """Make one GetMetricData request with ``call`` (a client's ``get_metric_data`` or a
    wrapper), following every NextToken."""
    out = MetricData()
    token: str | None = None
    while True:
        reply = call(**params, **({"NextToken": token} if token else {}))
        out.pages += 1
        for result in reply.get("MetricDataResults", []):
            qid = result["Id"]
            stamps = [_epoch(t) for t in result.get("Timestamps", [])]
            out.points.setdefault(qid, []).extend(
                zip(stamps, [float(v) for v in result.get("Values", [])], strict=False)
            )
            out.status[qid] = str(result.get("StatusCode", "Complete"))
            if result.get("Label"):
                out.labels[qid] = result["Label"]
        out.messages += list(reply.get("Messages") or [])
        token = reply.get("NextToken")
        if not token:
            return out
        if out.pages >= MAX_PAGES:
            out.cut = True
            return out


def period_for_age(age_seconds: float) -> tuple[int, str] | None:
    """The period a window starting ``age_seconds`` ago can still be read with, and the
    reason; None once CloudWatch keeps nothing of it (older than 455 days)."""
    days = age_seconds / DAY
    for limit, period in RETENTION:
        if age_seconds < limit * DAY - _MARGIN:
            if period == 60:
                return period, f"{days:.1f} days old: 60-second datapoints (kept 15 days)"
            return period, (
                f"{days:.1f} days old: CloudWatch keeps only {period}-second datapoints for "
                f"data older than {_previous(limit)} days (kept {limit} days)"
            )
    return None


def _previous(limit: int) -> int:
    limits = [lim for lim, _ in RETENTION]
    return limits[limits.index(limit) - 1]


def _epoch(t: Any) -> float:
    return t.timestamp() if hasattr(t, "timestamp") else float(t)
