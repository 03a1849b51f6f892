"""The aws backend end to end against the simulator's own AWS APIs, on its virtual clock.

The simulator answers SQS, Lambda (mappings, recursion config, concurrency), CloudWatch
GetMetricData (with AWS's publication lateness), Logs and STS through ``Simulator.session()``
and describes itself with ``stack_record()``: the aws backend runs there exactly the code it
runs on AWS, while the real handler loops in the simulator. So these tests show, with no
AWS: every shipped scenario gives the same statuses and expectation outcomes as the local
backend; a condition waits for a late metric instead of deciding early; the budget trips
from the logs and brakes; Ctrl-C mid-wait still cleans up.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import repo_stack

from looplab import cli
from looplab.backends.aws import AwsBackend, Calls, SimulatorClock, StackRecord
from looplab.backends.local import LocalBackend
from looplab.engine import RunResult, run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import Simulator

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["loop-detection", "dlq-capture", "dlq-reconnect", "protection-off"]
FUNCTION, QUEUE, DLQ = "RecursiveLambdaFunction", "Queue", "DeadLetterQueue"

if not hasattr(Simulator, "session") or not hasattr(Simulator, "stack_record"):
    pytest.skip(
        "needs Simulator.session() and stack_record() (sim-control, issue 7)",
        allow_module_level=True,
    )


class _Aws:
    """An aws backend on a fresh simulator of the repository's stack."""

    def __init__(self, clock: type[SimulatorClock] = SimulatorClock, **options: Any) -> None:
        self.stack = repo_stack()
        self.sim = Simulator(self.stack, seed=0)
        missing = {"cloudwatch", "logs"} - set(getattr(self.sim, "services", {}))
        if missing:
            self.sim.close()
            pytest.skip(f"the simulator does not answer {', '.join(sorted(missing))} yet")
        record = StackRecord.from_dict(self.sim.stack_record())
        calls = Calls(self.sim.session(), region=record.region, stage=record.stage)
        mappings = {lid: (m.function, m.source_queue) for lid, m in self.stack.mappings.items()}
        self.backend = AwsBackend(record, calls, clock(self.sim), mappings=mappings, **options)

    def client(self, service: str) -> Any:
        return self.sim.session().client(service)

    def mapping_state(self, queue: str) -> str:
        lid = next(k for k, (_, q) in self.backend.mappings.items() if q == queue)
        uuid = self.backend.record.mapping_uuid(lid)
        return self.client("lambda").get_event_source_mapping(UUID=uuid)["State"]

    def recursion(self) -> str:
        name = self.backend.record.function_name(FUNCTION)
        return self.client("lambda").get_function_recursion_config(FunctionName=name)[
            "RecursiveLoop"
        ]


def scenario(name: str, sets: list[str] | None = None, file: Path | None = None) -> Any:
    stack = repo_stack()
    return build_scenario(
        validate_file(file or ROOT / "scenarios.yaml", stack), name, sets or [], stack
    )


def run(
    backend: Any, name: str, tmp: Path, sets: list[str] | None = None, file: Path | None = None
) -> RunResult:
    return run_scenario(
        scenario(name, sets, file), backend, results=tmp, queues=sorted(repo_stack().queues)
    )


def run_local(name: str, tmp: Path, sets: list[str] | None = None) -> RunResult:
    backend = LocalBackend(repo_stack(), seed=0)
    try:
        return run(backend, name, tmp / "local", sets)
    finally:
        backend.close()


def run_aws(
    name: str, tmp: Path, sets: list[str] | None = None, **options: Any
) -> tuple[RunResult, _Aws]:
    aws = _Aws(
        allow_recursion=name == "protection-off",
        budget=cli.invocation_budget(scenario(name, sets)),
        **options,
    )
    try:
        return run(aws.backend, name, tmp / "aws", sets), aws
    finally:
        aws.backend.close()


def outcomes(result: RunResult) -> list[tuple[str, bool]]:
    return [(e["check"], e["passed"]) for e in result.doc["expectations"]]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_gives_the_same_outcomes_on_both_backends(
    name: str, tmp_path: Path
) -> None:
    local = run_local(name, tmp_path)
    aws, env = run_aws(name, tmp_path)
    try:
        assert local.status == "completed", local.doc["reason"]
        assert aws.status == local.status, aws.doc["reason"]
        assert outcomes(aws) == outcomes(local)
        assert aws.doc["cleanup"] == local.doc["cleanup"] == "ok"
        # The same observations once settled (a run's own figures, not its waiting time).
        for key in ("invocations", "errors", "max_counter_sent", "counters_sent"):
            assert aws.doc["observations"][key] == local.doc["observations"][key], key
        assert len(aws.doc["observations"]["log_streams"]) == len(
            local.doc["observations"]["log_streams"]
        )
        # The timeline (results) reads the same invocations from FilterLogEvents.
        assert (
            aws.doc["timeline"]["invocations_total"] == local.doc["timeline"]["invocations_total"]
        )
        # Where every figure came from, and that the backend says where it ran.
        provenance = aws.doc["observations"]["provenance"]
        assert provenance["invocations"]["source"].startswith("cloudwatch:AWS/Lambda Invocations")
        assert provenance["counters_sent"]["source"].startswith("logs:FilterLogEvents")
        info = aws.doc["definition"]["backend"]
        assert info["stack_name"] == env.backend.record.stack_name and info["identity_arn"]
        assert aws.doc["backend_finish"]["recursion"]["left"] == {FUNCTION: "Terminate"}
    finally:
        env.sim.close()


# -- late metrics -------------------------------------------------------------------------

LATE = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}
scenarios:
  late:
    description: a drop happens at once; CloudWatch shows it minutes later
    steps:
      - seed: {queue: queue, body: {counter: 5}}
      - wait: {seconds: 20}
      - expect:
          - {metric: recursive_invocations_dropped, equals: 0, note: false; must not pass early}
  late-wait:
    description: a wait on a late metric holds only once it is published
    steps:
      - seed: {queue: queue, body: {counter: 5}}
      - wait:
          until: {metric: recursive_invocations_dropped, at_least: 1}
          timeout: 600
"""


def test_a_late_metric_is_pending_not_zero_and_an_expectation_waits_for_it(tmp_path: Path) -> None:
    (tmp_path / "late.yaml").write_text(LATE)
    local = run(
        LocalBackend(repo_stack(), seed=0), "late", tmp_path / "l", file=tmp_path / "late.yaml"
    )
    aws = _Aws()
    try:
        backend = aws.backend
        since = backend.now()
        backend.seed(QUEUE, '{"counter": 5}')
        backend.advance(20)
        early = backend.observations(since)
        # The simulator dropped the 17th invocation seconds ago; CloudWatch does not show it.
        assert aws.sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", since) == 1
        assert early.recursive_invocations_dropped == 0
        assert early.provenance["recursive_invocations_dropped"].settled is False
    finally:
        aws.sim.close()
    aws = _Aws()
    try:
        result = run(aws.backend, "late", tmp_path / "a", file=tmp_path / "late.yaml")
    finally:
        aws.sim.close()
    # Both backends judge the same, late figure: the expect waited for it instead of passing.
    assert local.status == result.status == "failed"
    [entry] = result.doc["expectations"]
    assert entry["actual"] == 1 and not entry["passed"]
    expect = result.doc["steps"][2]
    assert expect["clock_end"] - expect["clock_start"] >= 120  # CloudWatch's lateness, waited


def test_a_wait_until_on_a_late_metric_ends_when_it_is_published(tmp_path: Path) -> None:
    (tmp_path / "late.yaml").write_text(LATE)
    local = run(
        LocalBackend(repo_stack(), seed=0), "late-wait", tmp_path / "l", file=tmp_path / "late.yaml"
    )
    aws = _Aws()
    try:
        result = run(aws.backend, "late-wait", tmp_path / "a", file=tmp_path / "late.yaml")
    finally:
        aws.sim.close()
    waited_local = local.doc["steps"][1]["output"]["waited"]
    waited_aws = result.doc["steps"][1]["output"]["waited"]
    assert local.doc["steps"][1]["output"]["held"] and result.doc["steps"][1]["output"]["held"]
    assert waited_local < 60 <= waited_aws < 600  # later, but held: not a timeout


# -- the invocation budget ----------------------------------------------------------------


def test_a_budget_below_the_cap_trips_from_the_logs_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    result, aws = run_aws("protection-off", tmp_path, ["budget=100"])
    try:
        doc = result.doc
        assert result.status == "aborted" and result.exit_code == 1
        assert "invocation budget spent" in doc["reason"] and "budget 100" in doc["reason"]
        budget = doc["backend_finish"]["budget"]
        assert budget["tripped"] and budget["invocations_at_trip"] >= 100
        assert budget["overshoot"] == budget["invocations_after"] - 100 >= 0
        # The cap, the function's mappings listed, both mappings off and confirmed Disabled.
        assert [(a["action"], a["ok"]) for a in budget["brake"]] == [
            ("lambda:PutFunctionConcurrency", True),
            ("lambda:ListEventSourceMappings", True),
            ("lambda:UpdateEventSourceMapping", True),
            ("lambda:UpdateEventSourceMapping", True),
        ]
        assert [a["result"] for a in budget["brake"][2:]] == ["Disabled", "Disabled"]
        # The brake waited out the running invocations, so finally's purge left the queues
        # empty: the cap is released and the main mapping is as it was before the brake.
        assert budget["concurrency_cap"] == "released (the queues stayed empty)"
        assert budget["mappings_restored"] == ["RecursiveEventSourceMappingSQSQueue"]
        assert doc["cleanup"] == "ok"
        assert aws.recursion() == "Terminate"
        # The chain stopped well before the cap, and nothing runs afterwards.
        assert doc["observations_after_finally"]["max_counter_sent"] < 1000
        before = aws.sim.metrics.total("AWS/Lambda", "Invocations", 0)
        aws.sim.advance(600)
        assert aws.sim.metrics.total("AWS/Lambda", "Invocations", 0) == before
        assert aws.mapping_state(QUEUE) == "Enabled" and aws.mapping_state(DLQ) == "Disabled"
        assert aws.backend.queue_state(QUEUE).total == aws.backend.queue_state(DLQ).total == 0
    finally:
        aws.sim.close()


# -- Ctrl-C --------------------------------------------------------------------------------


class _CtrlC(SimulatorClock):
    """Presses Ctrl-C once, 60 virtual seconds into the run's sleeping."""

    after = 60.0

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.slept = 0.0
        self.sent = False

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.slept += seconds
        if not self.sent and self.slept >= self.after:
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.usefixtures("sigint_default")
def test_ctrl_c_mid_wait_runs_finally_disables_the_dlq_mapping_and_keeps_terminate(
    tmp_path: Path,
) -> None:
    aws = _Aws(clock=_CtrlC, budget=200)
    try:
        assert aws.mapping_state(DLQ) == "Disabled"
        result = run(aws.backend, "dlq-reconnect", tmp_path)
        doc = result.doc
        assert result.status == "interrupted" and result.exit_code == 130
        assert doc["steps"][-1]["kind"] == "wait" and doc["steps"][-1]["status"] == "interrupted"
        assert [s["kind"] for s in doc["finally"]] == ["disconnect", "purge"]
        assert doc["cleanup"] == "ok"
        assert aws.mapping_state(DLQ) == "Disabled"
        assert aws.recursion() == "Terminate"
        assert doc["backend_finish"]["recursion"]["left"] == {FUNCTION: "Terminate"}
    finally:
        aws.sim.close()


def test_a_budget_trip_in_dlq_reconnect_leaves_the_dlq_mapping_finally_disabled(
    tmp_path: Path,
) -> None:
    # The brake fires with the DLQ mapping Enabled; finally disconnects it; the release
    # after finally must not turn it back on.
    aws = _Aws(budget=5)
    try:
        result = run(aws.backend, "dlq-reconnect", tmp_path)
        budget = result.doc["backend_finish"]["budget"]
        assert budget["tripped"] and budget["mappings_before"][
            "RecursiveEventSourceMappingSQSDeadLetterQueue"
        ] in ("Enabled", "Enabling")
        assert "RecursiveEventSourceMappingSQSDeadLetterQueue" not in budget.get(
            "mappings_restored", []
        )
        assert aws.mapping_state(DLQ) == "Disabled"
    finally:
        aws.sim.close()
