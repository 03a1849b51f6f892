"""FilterLogEvents and DescribeLogStreams: the caller's parameters in, botocore's reply out.

Followed as AWS documents them: a group named by ``logGroupName`` or
``logGroupIdentifier`` (name or ARN), not both; ``logStreamNames`` or
``logStreamNamePrefix``, not both; ``startTime``/``endTime`` in ms, both inclusive;
``limit`` up to 10,000 events (and 1 MB) a page, fewer or none when a call's search slice
ends, with a ``nextToken`` until the range is exhausted; ``searchedLogStreams`` always
empty ("As of May 15, 2020, this parameter is no longer supported"); ``interleaved``
ignored (always interleaved). DescribeLogStreams orders by name or by last event time,
either way round, 50 streams a page, and refuses a prefix with ``LastEventTime`` ordering.
Events and streams appear only ``SimParams.log_ingestion_delay`` seconds after their
timestamps.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from looplab.sim.clock import Clock
from looplab.sim.params import SimParams
from looplab.sim.services import Call
from looplab.sim.services.logs.errors import invalid_parameter, no_such_group, not_modelled
from looplab.sim.services.logs.model import event_id, search, stream_view
from looplab.sim.services.logs.pattern import compile_pattern
from looplab.sim.services.logs.store import Logs

MAX_EVENTS = 10_000
MAX_STREAMS = 50
_FAR_FUTURE_MS = 2**62


class LogsApi:
    """The simulator's CloudWatch Logs, over its log store."""

    def __init__(self, logs: Logs, clock: Clock, params: SimParams) -> None:
        self.logs = logs
        self.clock = clock
        self.params = params

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        if operation == "FilterLogEvents":
            return self._filter_log_events(params)
        if operation == "DescribeLogStreams":
            return self._describe_log_streams(params)
        raise not_modelled(f"logs:{operation}")

    def _group(self, params: dict[str, Any]) -> str:
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name is not None and identifier is not None:
            raise invalid_parameter(
                "LogGroup name and LogGroup ARN are mutually exclusive parameters."
            )
        if name is None and identifier is None:
            raise invalid_parameter("Either logGroupName or logGroupIdentifier is required.")
        if name is None:
            # "arn:aws:logs:<region>:<account>:log-group:<name>", optionally ":*" at the end.
            name = identifier
            if identifier.startswith("arn:"):
                parts = identifier.removesuffix(":*").split(":", 6)
                if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
                    raise invalid_parameter(f"Invalid log group ARN: {identifier}")
                name = parts[6]
        if name not in self.logs.groups:
            raise no_such_group()
        return name

    def _filter_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise invalid_parameter(
                "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
            )
        if params.get("startFromHead") is False:
            raise not_modelled("FilterLogEvents with startFromHead false (newest first)")
        limit = params.get("limit", MAX_EVENTS)
        if limit > MAX_EVENTS:
            raise invalid_parameter(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_EVENTS}"
            )
        start_ms = params.get("startTime", 0)
        end_ms = params.get("endTime", _FAR_FUTURE_MS)
        if end_ms < start_ms:
            raise invalid_parameter(
                f"endTime ({end_ms}) must not be earlier than startTime ({start_ms})."
            )
        delay = self.params.log_ingestion_delay
        # What has been ingested by now: an event shows ``delay`` after its timestamp.
        visible_ms = int((self.clock.now - delay) * 1000)
        digest = _digest(params, ("nextToken", "limit"))
        after = None
        if "nextToken" in params:
            t, sequence = _read_token(params["nextToken"], digest, 2)
            after = (float(t), int(sequence))
        page, cursor = search(
            self.logs,
            group,
            streams=frozenset(names) if names is not None else None,
            prefix=prefix,
            start_ms=start_ms,
            end_ms=min(end_ms, visible_ms),
            match=compile_pattern(params.get("filterPattern")),
            limit=limit,
            after=after,
            scan=self.params.log_filter_scan_events,
        )
        delay_ms = int(delay * 1000)
        reply: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": found.stream,
                    "timestamp": int(found.timestamp * 1000),
                    "message": found.message,
                    "ingestionTime": int(found.timestamp * 1000) + delay_ms,
                    "eventId": event_id(found.sequence),
                }
                for found in page
            ],
            "searchedLogStreams": [],
        }
        if cursor is not None:
            reply["nextToken"] = _write_token([cursor[0], cursor[1]], digest)
        return reply

    def _describe_log_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(params)
        prefix = params.get("logStreamNamePrefix")
        order = params.get("orderBy", "LogStreamName")
        if order not in ("LogStreamName", "LastEventTime"):
            raise invalid_parameter(
                f"1 validation error detected: Value '{order}' at 'orderBy' failed to satisfy "
                "constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]"
            )
        if order == "LastEventTime" and prefix is not None:
            raise invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = params.get("limit", MAX_STREAMS)
        if limit > MAX_STREAMS:
            raise invalid_parameter(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_STREAMS}"
            )
        now, delay = self.clock.now, self.params.log_ingestion_delay
        rows = []
        for name, info in self.logs.stream_info.get(group, {}).items():
            if prefix is not None and not name.startswith(prefix):
                continue
            view = stream_view(info, now, delay)
            if view is not None:
                rows.append((name, view))
        if order == "LogStreamName":
            rows.sort(key=lambda row: row[0])
        else:
            rows.sort(key=lambda row: (row[1][2], row[0]))
        if params.get("descending", False):
            rows.reverse()
        digest = _digest(params, ("nextToken", "limit"))
        offset = 0
        if "nextToken" in params:
            (offset,) = _read_token(params["nextToken"], digest, 1)
        arn = f"arn:aws:logs:{self.logs.region}:{self.logs.account}:log-group:{group}"
        reply: dict[str, Any] = {
            "logStreams": [
                {
                    "logStreamName": name,
                    "creationTime": created,
                    "firstEventTimestamp": first,
                    "lastEventTimestamp": last,
                    "lastIngestionTime": ingested,
                    "arn": f"{arn}:log-stream:{name}",
                    "storedBytes": 0,  # "always reported as zero" since June 2019
                }
                for name, (created, first, last, ingested) in rows[offset : offset + limit]
            ]
        }
        if offset + limit < len(rows):
            reply["nextToken"] = _write_token([offset + limit], digest)
        return reply


def _digest(params: dict[str, Any], unbound: tuple[str, ...]) -> str:
    same = {k: v for k, v in params.items() if k not in unbound}
    return hashlib.sha256(json.dumps(same, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _write_token(values: list[Any], digest: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([digest, *values]).encode()).decode()


def _read_token(token: str, digest: str, count: int) -> list[Any]:
    try:
        bound, *values = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        bound, values = None, []
    if bound != digest or len(values) != count:
        # AWS's wording for a token from another request or a garbled one.
        raise invalid_parameter("The specified nextToken is invalid.")
    return values
