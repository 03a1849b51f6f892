"""The aws backend drives every loop shape end to end against the simulator's own AWS APIs
(SNS, S3, Lambda Invoke, SQS, CloudWatch, Logs, STS through ``Simulator.session()``): the
same code that runs on a deployed shape, on the virtual clock. Each gives the outcomes the
local backend gives, and reads the topic and asynchronous-invocation metrics from
GetMetricData."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from looplab import cli
from looplab.backends.aws import AwsBackend, Calls, SimulatorClock, StackRecord
from looplab.backends.local import LocalBackend
from looplab.engine import RunResult, run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import Simulator

ROOT = Path(__file__).resolve().parents[1]
SHAPE_SCENARIOS = ["sns-loop", "sns-sqs-loop", "s3-loop", "lambda-loop", "chain-loop"]


def _prepared(name: str) -> tuple[Any, Any]:
    _, stack, stacks = cli.scenario_stacks(ROOT, ROOT / "scenarios.yaml", name, "dev", None)
    sfile = validate_file(ROOT / "scenarios.yaml", stacks)
    return stack, build_scenario(sfile, name, [], stacks)


def _run(backend: Any, scenario: Any, stack: Any, tmp: Path) -> RunResult:
    return run_scenario(scenario, backend, results=tmp, queues=sorted(stack.queues))


def outcomes(result: RunResult) -> list[tuple[str, bool]]:
    return [(e["check"], e["passed"]) for e in result.doc["expectations"]]


@pytest.mark.parametrize("name", SHAPE_SCENARIOS)
def test_each_shape_gives_the_same_outcomes_through_the_aws_backend(
    name: str, tmp_path: Path
) -> None:
    stack, scenario = _prepared(name)
    local_backend = LocalBackend(stack, seed=0)
    try:
        local = _run(local_backend, scenario, stack, tmp_path / "local")
    finally:
        local_backend.close()
    sim = Simulator(stack, seed=0)
    try:
        record = StackRecord.from_dict(sim.stack_record())
        calls = Calls(sim.session(), region=record.region, stage=record.stage)
        mappings = {lid: (m.function, m.source_queue) for lid, m in stack.mappings.items()}
        backend = AwsBackend(record, calls, SimulatorClock(sim), mappings=mappings)
        try:
            aws = _run(backend, scenario, stack, tmp_path / "aws")
        finally:
            backend.close()
    finally:
        sim.close()
    assert local.status == "completed", local.doc["reason"]
    assert aws.status == "completed", aws.doc["reason"]
    assert outcomes(aws) == outcomes(local)
    assert all(passed for _, passed in outcomes(aws))
    for key in ("invocations", "recursive_invocations_dropped", "by_topic", "async_by_function"):
        assert aws.doc["observations"][key] == local.doc["observations"][key], key
