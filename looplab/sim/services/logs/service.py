"""How CloudWatch Logs joins the simulator: the log store functions write to, answered as
``logs`` (FilterLogEvents, DescribeLogStreams), and read by the experimenter."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from looplab.sim.services._descriptor import Kernel, Part, Service
from looplab.sim.services.logs.api import LogsApi
from looplab.sim.services.logs.store import LogEvent, Logs

__all__ = ["SERVICE", "LogsPart"]


class LogsPart(Part):
    """One simulator's log store (``sim.logs``), spilled to a file it closes. The groups a
    template creates are added by the service whose resources they log (Lambda's)."""

    def __init__(self, kernel: Kernel) -> None:
        stack = kernel.stack
        self.logs = Logs(region=stack.region, account=stack.account_id)
        self.api = LogsApi(self.logs, kernel.clock, kernel.params)

    def handles(self) -> Mapping[str, Any]:
        return {"logs": self.logs}

    def log_events(self, since: float, until: float | None = None) -> Iterator[LogEvent]:
        return self.logs.events(since, until)

    def read_logs(self, position: int) -> tuple[list[LogEvent], int]:
        return self.logs.read_from(position)

    def close(self) -> None:
        self.logs.close()


SERVICE = Service(
    name="logs",
    join=LogsPart,
    calls=("log_events", "read_logs"),
    params=("log_ingestion_delay", "log_filter_scan_events"),
)
