"""The run's start minute: what an earlier run did in it must not leak into this run's figures
(issue 21, "the run's first-minute baseline is read before that minute's datapoints arrive").

CloudWatch counts per minute, so the minute a run starts in also holds whatever happened in
it before the start, and on AWS that minute's datapoints arrive minutes later: a baseline
read at the start sees none of it, and back-to-back runs leak into each other. No read can
split a minute, so the aws backend keeps the run out of its start minute instead: its
first action waits for that minute to end, its figures count whole minutes from the next
one, and the start minute is re-read until it settles and journalled as what was excluded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _support.aws_live import answer
from _support.aws_stubs import QUEUE_URL, Aws
from _support.fakes import QUEUE
from _support.simkit import repo_stack

from looplab.backends.aws import AwsBackend, Calls, SimulatorClock, StackRecord
from looplab.backends.local import LocalBackend
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import Simulator

ROOT = Path(__file__).resolve().parents[1]
LATE = 120.0  # CloudWatch publishes a minute's datapoint this long after the minute ends


def minute(t: float) -> float:
    return t // 60 * 60


def test_the_first_action_waits_for_the_start_minute_to_end() -> None:
    aws = Aws()
    backend = aws.backend()
    since = aws.clock.t  # 20 s into a minute
    aws.metrics()
    aws.logs([])
    backend.observations(since)  # the run's baseline read: its since is the run's start
    sent_at: list[float] = []
    aws.clients["sqs"].meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch", lambda **_: sent_at.append(aws.clock.t)
    )
    aws.ok(
        "sqs",
        "send_message_batch",
        {"Successful": [{"Id": "0", "MessageId": "m", "MD5OfMessageBody": "x"}], "Failed": []},
    )
    backend.seed(QUEUE, '{"counter": 5}')
    assert sent_at and minute(sent_at[0]) == minute(since) + 60


def test_a_purge_or_a_read_does_not_wait() -> None:
    # Only what makes the stack run is held: emptying a queue makes no invocation.
    aws = Aws()
    backend = aws.backend()
    before = aws.clock.t
    aws.counts(visible=3)
    aws.ok("sqs", "purge_queue", {}, QueueUrl=QUEUE_URL)
    backend.purge(QUEUE)
    assert aws.clock.t == before


class CloudWatch:
    """Invocations by the clock, as CloudWatch publishes them: an earlier run's 16 in the
    start minute, this run's 5 in the next; each minute readable LATE s after it ends."""

    def __init__(self, aws: Aws, per_minute: dict[float, float]) -> None:
        self.clock = aws.clock
        self.per_minute = per_minute
        answer(aws, "cloudwatch", "GetMetricData", self._answer)

    def _answer(self, asked: dict[str, Any]) -> dict[str, Any]:
        start, end = asked["StartTime"].timestamp(), asked["EndTime"].timestamp()
        shown = {
            m: v
            for m, v in self.per_minute.items()
            if start <= m < end and m + 60 + LATE <= self.clock.t
        }
        minutes = sorted(shown)
        results = []
        for q in asked["MetricDataQueries"]:
            mine = q["Id"] == "f0_invocations"
            results.append(
                {
                    "Id": q["Id"],
                    "Timestamps": [datetime.fromtimestamp(m, UTC) for m in minutes] if mine else [],
                    "Values": [shown[m] for m in minutes] if mine else [],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results}


def test_an_earlier_run_s_activity_in_the_start_minute_is_not_counted() -> None:
    aws = Aws()
    since = aws.clock.t
    first = minute(since)
    CloudWatch(aws, {first: 16.0, first + 60: 5.0})
    answer(aws, "logs", "FilterLogEvents", lambda _: {"events": []})
    backend = aws.backend()
    baseline = backend.observations(since)
    assert baseline.invocations == 0  # nothing of the start minute is published yet
    for _ in range(10):  # the run's reads, a minute apart: both minutes published, held
        aws.clock.sleep(60)
        obs = backend.observations(since)
    assert obs.invocations - baseline.invocations == 5  # this run's own, not 21
    excluded = backend.start_minute()
    assert excluded["excluded"]["invocations"] == 16 and excluded["settled"]


# -- the simulator: back to back, an earlier run's invocations seconds before the start ---


def _scenario(name: str) -> Any:
    stack = repo_stack()
    return build_scenario(validate_file(ROOT / "scenarios.yaml", stack), name, [], stack)


def test_invocations_just_before_the_run_in_its_minute_do_not_leak(tmp_path: Path) -> None:
    stack = repo_stack()
    local_backend = LocalBackend(stack, seed=0)
    try:
        local = run_scenario(
            _scenario("loop-detection"),
            local_backend,
            results=tmp_path / "local",
            queues=sorted(stack.queues),
        )
    finally:
        local_backend.close()
    sim = Simulator(stack, seed=0)
    try:
        record = StackRecord.from_dict(sim.stack_record())
        calls = Calls(sim.session(), region=record.region, stage=record.stage)
        mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
        backend = AwsBackend(record, calls, SimulatorClock(sim), mappings=mappings, budget=200)
        # An earlier run's tail: seven invocations 5 s into a minute; this run starts 25 s
        # later, in the same minute, before CloudWatch has published any of them.
        sim.advance(60 - sim.now % 60 + 5)
        name = record.function_name("RecursiveLambdaFunction")
        for _ in range(7):
            sim.session().client("lambda").invoke(FunctionName=name, Payload=b"{}")
        sim.advance(25)
        aws = run_scenario(
            _scenario("loop-detection"),
            backend,
            results=tmp_path / "aws",
            queues=sorted(stack.queues),
        )
        assert aws.status == local.status == "completed", aws.doc["reason"]
        assert aws.doc["observations"]["invocations"] == local.doc["observations"]["invocations"]
        start_minute = aws.doc["backend_finish"]["start_minute"]
        assert start_minute["excluded"]["invocations"] == 7 and start_minute["settled"]
        assert aws.doc["definition"]["backend"]["metrics_count_from"] == "next-minute"
    finally:
        sim.close()
