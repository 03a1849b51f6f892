"""Late log lines: a line CloudWatch Logs ingests long after its timestamp is still counted,
and counted once (issue 21, "Late data read as final").

FilterLogEvents selects by an event's timestamp, while an event becomes visible only once
ingested; AWS documents no bound on the gap (each event says when it was ingested:
``ingestionTime``). Two views of it here: a log group answered the way AWS answers
FilterLogEvents (tests/_support/aws_live.py: botocore builds and validates every request; the
reply holds the events ingested by the clock's time whose timestamps are in the asked
range), and the simulator's
own Logs API with a 60 s ingestion delay under a whole scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _support.aws_live import answer
from _support.aws_stubs import Aws
from _support.simkit import repo_stack

from looplab.backends.aws import AwsBackend, AwsParams, Calls, SimulatorClock, StackRecord
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import SimParams, Simulator

ROOT = Path(__file__).resolve().parents[1]


class LogGroup:
    """One function's log group as FilterLogEvents shows it at the clock's time: only the
    events ingested by then, only those whose timestamp is in [startTime, endTime]."""

    def __init__(self, aws: Aws) -> None:
        self.clock = aws.clock
        self.events: list[dict[str, Any]] = []
        self.asked = answer(aws, "logs", "FilterLogEvents", self._answer)

    def line(self, t: float, message: str, late: float) -> None:
        """A line stamped ``t`` that CloudWatch Logs ingests ``late`` seconds after it."""
        self.events.append(
            {
                "eventId": f"e{len(self.events)}",
                "logStreamName": "2026/12/01/[$LATEST]abc",
                "timestamp": int(t * 1000),
                "ingestionTime": int((t + late) * 1000),
                "message": message,
            }
        )

    def _answer(self, asked: dict[str, Any]) -> dict[str, Any]:
        now_ms = int(self.clock.t * 1000)
        start, end = asked.get("startTime", 0), asked.get("endTime", 2**62)
        found = [
            e
            for e in sorted(self.events, key=lambda e: e["timestamp"])
            if e["ingestionTime"] <= now_ms and start <= e["timestamp"] <= end
        ]
        return {"events": found, "searchedLogStreams": []}


def start_line(i: int) -> str:
    return f"START RequestId: r{i} Version: $LATEST"


@pytest.fixture
def aws() -> Aws:
    return Aws()


def test_a_start_line_60_s_late_is_counted_once_by_the_budget(aws: Aws) -> None:
    group = LogGroup(aws)
    backend = aws.backend(budget=100)
    since = aws.clock.t
    group.line(since + 1, start_line(1), late=1)
    group.line(since + 2, start_line(2), late=1)
    group.line(since + 3, start_line(3), late=60)  # stamped at +3 s, searchable at +63 s
    counts = []
    for _ in range(30):  # the budget's reads, every 5 s for 150 s
        aws.clock.sleep(5)
        counts.append(backend.observer.starts(since))
    assert counts[0] == 2  # seconds late: seen at once
    assert counts[-1] == 3  # the late one too
    assert max(counts) == 3  # and never twice, however many reads overlap it


def test_a_late_sending_count_reaches_the_observations_once(aws: Aws) -> None:
    group = LogGroup(aws)
    backend = aws.backend(params=AwsParams(metric_refresh_seconds=0, log_refresh_seconds=0))
    since = aws.clock.t
    group.line(since + 1, "Sending count 999", late=1)
    group.line(since + 2, "Sending count 1000", late=60)
    seen = []
    for _ in range(24):
        aws.clock.sleep(5)
        aws.metrics()
        seen.append(backend.observations(since).counters_sent)
    assert seen[0] == [999]
    assert seen[-1] == [999, 1000]


def test_logs_are_not_settled_within_the_lateness_they_allow(aws: Aws) -> None:
    # A count that held 10 s is not final when a line can still be a minute late: the
    # logs' figures settle only once they held over the window a late line can take.
    group = LogGroup(aws)
    backend = aws.backend(params=AwsParams(metric_refresh_seconds=0, log_refresh_seconds=0))
    since = aws.clock.t
    group.line(since + 1, "Sending count 6", late=1)
    settled = []
    for _ in range(4):
        aws.clock.sleep(5)
        aws.metrics()
        settled.append(backend.observations(since).provenance["counters_sent"].settled)
    assert settled == [False] * 4


def test_the_lateness_seen_is_journalled(aws: Aws) -> None:
    group = LogGroup(aws)
    backend = aws.backend(budget=100)
    since = aws.clock.t
    group.line(since + 1, start_line(1), late=42)
    for _ in range(20):
        aws.clock.sleep(5)
        backend.observer.starts(since)
    logs = backend.observer.log_report()
    assert logs["lateness_max_seen"] == 42
    assert logs["overlap"] >= 42  # the re-read now reaches that far back


# -- the simulator: every line 60 s late, through a whole scenario -------------------------


def test_protection_off_with_logs_a_minute_late_counts_every_invocation_once(
    tmp_path: Path,
) -> None:
    stack = repo_stack()
    sim = Simulator(stack, seed=0, params=SimParams(log_ingestion_delay=60.0))
    try:
        record = StackRecord.from_dict(sim.stack_record())
        calls = Calls(sim.session(), region=record.region, stage=record.stage)
        mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
        scenario = build_scenario(
            validate_file(ROOT / "scenarios.yaml", stack), "protection-off", [], stack
        )
        backend = AwsBackend(
            record,
            calls,
            SimulatorClock(sim),
            mappings=mappings,
            allow_recursion=True,
            budget=1500,  # protection-off's stop_when budget
        )
        result = run_scenario(scenario, backend, results=tmp_path, queues=sorted(stack.queues))
        invoked = int(sim.metrics.total("AWS/Lambda", "Invocations", 0))
        doc = result.doc
        assert result.status == "completed", doc["reason"]
        assert doc["observations"]["max_counter_sent"] == 1000  # "Sending count 1000" seen
        # The budget's count from the logs: every START line, none twice.
        assert doc["backend_finish"]["budget"]["invocations_seen"] == invoked
        assert doc["backend_finish"]["logs"]["lateness_max_seen"] == pytest.approx(60.0)
    finally:
        sim.close()
