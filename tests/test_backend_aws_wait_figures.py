"""On AWS a wait says what it is waiting on (issue 21, "Waits that cost hours"): each time it
reads the figures again, it prints them, so a run against an endpoint where nothing runs
shows "invocations 0 ... Queue 0/0/0" instead of minutes of "waiting N/900 s".

Against the simulator's own AWS APIs on its virtual clock (what the aws backend runs on
AWS), with the backend's ``say`` collecting the lines.
"""

from __future__ import annotations

from pathlib import Path

from _support.simkit import repo_stack

from looplab.backends.aws import AwsBackend, AwsParams, Calls, SimulatorClock, StackRecord
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import Simulator

NOTHING_RUNS = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}
scenarios:
  idle:
    description: nothing is seeded, so nothing runs; the wait times out
    steps:
      - wait:
          until: {metric: invocations, at_least: 1}
          timeout: 300
"""


def _run(tmp_path: Path, yaml: str, name: str, lines: list[str]) -> dict:
    stack = repo_stack()
    (tmp_path / "s.yaml").write_text(yaml)
    scenario = build_scenario(validate_file(tmp_path / "s.yaml", stack), name, [], stack)
    sim = Simulator(stack, seed=0)
    try:
        record = StackRecord.from_dict(sim.stack_record())
        calls = Calls(sim.session(), region=record.region, stage=record.stage)
        mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
        backend = AwsBackend(
            record, calls, SimulatorClock(sim), mappings=mappings, say=lines.append
        )
        result = run_scenario(scenario, backend, results=tmp_path, queues=sorted(stack.queues))
        return result.doc
    finally:
        sim.close()


def test_a_wait_where_nothing_runs_shows_its_figures_each_time_it_reads_them(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    doc = _run(tmp_path, NOTHING_RUNS, "idle", lines)
    assert doc["steps"][0]["status"] == "timeout"
    # One line per CloudWatch refresh (every 30 s of the 300 s wait), each with the figures.
    every = AwsParams().metric_refresh_seconds
    assert len(lines) >= 300 / every - 1
    assert all("invocations 0" in line for line in lines), lines
    assert "/300 s" in lines[-1]


def test_the_queues_a_wait_reads_are_shown_with_their_three_counts(tmp_path: Path) -> None:
    yaml = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}
scenarios:
  idle-queue:
    description: waits for a message that never comes
    steps:
      - wait:
          until: {metric: visible, queue: dlq, at_least: 1}
          timeout: 120
"""
    lines: list[str] = []
    _run(tmp_path, yaml, "idle-queue", lines)
    assert lines and all("DeadLetterQueue 0/0/0" in line for line in lines), lines
    assert "visible/in flight/delayed" in lines[0]
