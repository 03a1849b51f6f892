"""The functions' log events, read while a run goes on: seconds late as a rule, by no bound.

FilterLogEvents selects events by their timestamp, but an event is searchable only once
CloudWatch Logs has ingested it, and every event says when that was (``ingestionTime``,
API_FilteredLogEvent). AWS documents no bound on the gap. A reader that re-reads a fixed
few seconds behind its last read never sees a line ingested later than that (the budget
undercounts; protection-off's "Sending count 1000" can be missed for good). So the watch:

- re-reads an overlap sized to the lateness it has seen: the longest
  ``ingestionTime - timestamp`` of any event so far, times ``log_lateness_factor``, and
  never less than ``log_overlap_min_seconds``;
- every ``log_sweep_seconds`` re-reads from the start instead: a line later than anything
  seen before is found there (and the overlap grows to cover its lateness from then on);
- keeps each event once, by its ``eventId`` (overlapping reads return events again);
- calls a figure read from the logs settled only once it has held over the overlap plus
  a sweep, the longest a late line can still take to be found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._params import AwsParams
from looplab.backends.aws._record import StackRecord
from looplab.backends.base import FunctionLogEvent

__all__ = ["LogEvent", "LogWatch"]

LogEvent = tuple[float, str, str]  # (timestamp, stream, message)


@dataclass
class _Slot:
    """One reader's view of one function's log group from ``since`` on."""

    since: float
    events: dict[str, LogEvent] = field(default_factory=dict)  # eventId -> event
    read_at: float | None = None  # the backend clock at the last read
    swept_at: float | None = None  # ... at the last read from ``since``


class LogWatch:
    """Every function's log events, per (function, since): the budget reads from the run's
    start and the probe from its own since, a little later; one slot each, so neither
    resets the other's events nor throttles it into an unread state."""

    def __init__(
        self,
        calls: Calls,
        record: StackRecord,
        now: Callable[[], float],
        params: AwsParams,
    ) -> None:
        self.calls = calls
        self.record = record
        self.now = now
        self.params = params
        self.lateness = 0.0  # the longest ingestion lateness seen (seconds)
        self.requests = 0  # FilterLogEvents calls made
        self.sweeps = 0  # reads from a slot's start
        self._slots: dict[tuple[str, float], _Slot] = {}

    def overlap(self) -> float:
        """How far behind its last read each read starts (seconds)."""
        p = self.params
        return max(p.log_overlap_min_seconds, p.log_lateness_factor * self.lateness)

    def settle_window(self) -> float:
        """How long a figure from the logs must hold before it is taken as final."""
        return self.overlap() + self.params.log_sweep_seconds

    def read(
        self, function: str, since: float, *, force: bool = False, full: bool = False
    ) -> dict[str, LogEvent]:
        """``function``'s events from ``since`` (eventId -> event), read again unless read
        within ``log_refresh_seconds`` (``force``: read anyway; ``full``: from ``since``)."""
        slot = self._slots.setdefault((function, since), _Slot(since))
        now = self.now()
        p = self.params
        if not force and slot.read_at is not None and now - slot.read_at < p.log_refresh_seconds:
            return slot.events
        sweep = full or slot.swept_at is None or now - slot.swept_at >= p.log_sweep_seconds
        start = since
        if not sweep and slot.read_at is not None:
            start = max(since, slot.read_at - self.overlap())
        for event in self._filter(function, start):
            key = event.get("eventId") or (
                f"{event['logStreamName']}:{event['timestamp']}:{event['message']}"
            )
            slot.events[key] = (event["timestamp"] / 1000, event["logStreamName"], event["message"])
        slot.read_at = now
        if sweep:
            slot.swept_at = now
            self.sweeps += 1
        return slot.events

    def between(self, since: float, until: float | None = None) -> list[FunctionLogEvent]:
        """Every function's events in ``[since, until]`` (a fresh read, paginated), in time
        order: the run's timeline."""
        out = [
            FunctionLogEvent(e["timestamp"] / 1000, e["logStreamName"], e["message"], lid)
            for lid in self.record.functions
            for e in self._filter(lid, since, until)
        ]
        return sorted(out, key=lambda e: (e.timestamp, e.stream))

    def report(self) -> dict[str, Any]:
        """The journal's account of the reading: what lateness was seen, what it cost."""
        return {
            "lateness_max_seen": round(self.lateness, 3),
            "overlap": round(self.overlap(), 3),
            "sweep_every": self.params.log_sweep_seconds,
            "settle_window": round(self.settle_window(), 3),
            "filter_log_events_requests": self.requests,
            "sweeps": self.sweeps,
        }

    def _filter(
        self, function: str, start: float, until: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """FilterLogEvents on ``function``'s group from ``start``, every page (a page can be
        empty while a token is still given); a group not made yet (no invocation has
        logged) has no events. Each event's lateness is noted."""
        group = self.record.log_group(function)
        params: dict[str, Any] = {"logGroupName": group, "startTime": int(start * 1000)}
        if until is not None:
            params["endTime"] = int(until * 1000) + 1
        while True:
            self.requests += 1
            try:
                page = self.calls("logs", "FilterLogEvents", group, **params)
            except AwsCallError as exc:
                if exc.code == "ResourceNotFoundException":
                    return
                raise
            for event in page.get("events", []):
                ingested = event.get("ingestionTime")
                if ingested is not None:
                    self.lateness = max(self.lateness, (ingested - event["timestamp"]) / 1000)
                yield event
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token
