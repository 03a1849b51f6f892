"""Every loop shape's shipped scenario, end to end on the simulator: scenarios.yaml ->
python -m looplab -> the shape's own osls config compiled by `sls package` -> the simulator
(SNS, S3, asynchronous invocation, SQS) -> the journal, with the AWS-documented outcome:
the chain stops after about 16 invocations and the stopped event reaches the DLQ or
on-failure destination the stack configures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _support.fakes import fake_stack

from looplab import cli
from looplab.scenarios import SHAPES, build_scenario, validate_file

ROOT = Path(__file__).resolve().parent.parent

# scenario -> (function, where the stopped event must end up, or None when it is redriven)
SCENARIOS = {
    "sns-loop": ("RelayLambdaFunction", "RelayDeadLetterQueue"),
    "sns-sqs-loop": ("RelayLambdaFunction", None),
    "s3-loop": ("RelayLambdaFunction", "RelayFailureQueue"),
    "lambda-loop": ("RelayLambdaFunction", "RelayFailureQueue"),
    "chain-loop": ("FirstLambdaFunction", None),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_shape_stops_and_its_stopped_event_lands(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOKE_LOOPLAB_RESULTS", str(tmp_path))  # as invoke.yaml's results
    code = cli.main(["scenario", "--name", name])
    assert code == 0
    (journal,) = tmp_path.glob("runs/*/journal.json")
    doc = json.loads(journal.read_text())
    assert doc["status"] == "completed"
    assert doc["stack"] == name.removesuffix("-loop")
    checks = doc["expectations"]
    assert checks and all(c["passed"] for c in checks)
    function, landing = SCENARIOS[name]
    # The simulator's threshold is exact (16 per function per chain; SimParams).
    ran = doc["observations"]["by_function"][function]
    assert (ran["invocations"], ran["recursive_invocations_dropped"]) == (16, 1)
    if landing is not None:
        assert {"check": f"drained[queue={landing}]", "actual": 1, "passed": True}.items() <= next(
            c for c in checks if c["check"] == f"drained[queue={landing}]"
        ).items()


def test_shipped_file_has_a_scenario_per_shape() -> None:
    # The post's scenarios against the toy stack; the others against their contract names.
    sfile = validate_file(ROOT / "scenarios.yaml", {"sqs": fake_stack()})
    shapes = {sfile.shape(n) for n in sfile.names}
    assert shapes == set(SHAPES)
    for name in sfile.names:
        if sfile.shape(name) != "sqs":
            scenario = build_scenario(sfile, name, [], {"sqs": fake_stack()})
            assert "invocation-recursion" in scenario.description
