"""Event source mappings from the control plane: State transitions seen by polling
GetEventSourceMapping, the poller's grace after Disabled, updates, and the EventCount
metrics each mapping emits (per UUID, only with MetricsConfig EventCount)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import (
    build_stack,
    function_resource,
    mapping_resource,
    queue_resource,
    write_handler,
)
from botocore.exceptions import ClientError

from looplab.sim import SimParams, Simulator

pytestmark = pytest.mark.usefixtures("replies_match_botocore")

COUNT = """\
def handler(event, context):
    for record in event["Records"]:
        print("got", record["body"])
"""

FAIL = """\
def handler(event, context):
    raise RuntimeError("no")
"""


def make(tmp_path: Path, source: str = COUNT, metrics: bool = True, **params) -> Simulator:
    handler = write_handler(tmp_path, "h", source)
    mapping = {"MetricsConfig": {"Metrics": ["EventCount"]}} if metrics else {}
    resources = {
        "Q": queue_resource("esm-q"),
        "F": function_resource("esm-fn", handler, {}),
        "M": mapping_resource("Q", "F", **mapping),
    }
    return Simulator(build_stack(resources, tmp_path), seed=5, params=SimParams(**params))


def poll_states(sim: Simulator, lam, uuid: str, seconds: float, step: float = 0.5) -> list:
    """(virtual time since start, State) each time State changes, polling as Terraform does."""
    start, seen = sim.now, []
    while sim.now - start <= seconds:
        state = lam.get_event_source_mapping(UUID=uuid)["State"]
        if not seen or seen[-1][1] != state:
            seen.append((round(sim.now - start, 3), state))
        sim.advance(step)
    return seen


def invocations(sim: Simulator) -> float:
    return sim.metrics.total("AWS/Lambda", "Invocations", 0)


def test_disable_goes_through_disabling_and_the_poller_keeps_a_grace(tmp_path: Path) -> None:
    with make(tmp_path, mapping_transition=4.0, mapping_disable_grace=2.0) as sim:
        lam = sim.session().client("lambda")
        uuid = sim.stack.mappings["M"].uuid
        reply = lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        assert reply["State"] == "Disabling"
        assert reply["ResponseMetadata"]["HTTPStatusCode"] == 202
        # Still delivering while Disabling and during the grace after Disabled.
        sim.advance(5.0)  # Disabled at 4.0, grace until 6.0
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
        sim.send("Q", "during grace")
        sim.advance(0.5)
        assert invocations(sim) == 1
        sim.advance(1.0)  # past the grace
        sim.send("Q", "after grace")
        sim.advance(60)
        assert invocations(sim) == 1
        assert sim.queues["Q"].visible == 1


def test_an_update_during_the_grace_does_not_extend_it(tmp_path: Path) -> None:
    """Found in review: a BatchSize update sent during the grace after Disabled restarted
    the grace at the update's end, so pollers delivered far past mapping_disable_grace."""
    with make(tmp_path, mapping_transition=4.0, mapping_disable_grace=2.0) as sim:
        lam = sim.session().client("lambda")
        uuid = sim.stack.mappings["M"].uuid
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        sim.advance(4.5)  # Disabled at 4.0; the grace ends at 6.0
        lam.update_event_source_mapping(UUID=uuid, BatchSize=5)  # Updating until 8.5
        sim.advance(2.0)  # 6.5: past the grace
        sim.send("Q", "after the grace")
        sim.advance(60)
        assert invocations(sim) == 0
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"


def test_transitions_observed_by_polling_get_event_source_mapping(tmp_path: Path) -> None:
    with make(tmp_path) as sim:  # the default transition
        lam = sim.session().client("lambda")
        uuid = sim.stack.mappings["M"].uuid
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        transition = sim.params.mapping_transition
        assert poll_states(sim, lam, uuid, transition + 2) == [
            (0.0, "Disabling"),
            (transition, "Disabled"),
        ]
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        sim.send("Q", "while enabling")
        assert poll_states(sim, lam, uuid, transition + 2) == [
            (0.0, "Enabling"),
            (transition, "Enabled"),
        ]
        assert invocations(sim) == 1  # delivered once Enabled, not before
        lam.update_event_source_mapping(UUID=uuid, BatchSize=5)
        assert poll_states(sim, lam, uuid, transition + 2) == [
            (0.0, "Updating"),
            (transition, "Enabled"),
        ]
        assert lam.get_event_source_mapping(UUID=uuid)["BatchSize"] == 5


def test_nothing_is_delivered_while_enabling(tmp_path: Path) -> None:
    with make(tmp_path, mapping_transition=10.0) as sim:
        sim.set_mapping("M", False)  # a scenario step: immediate, no transition
        lam = sim.session().client("lambda")
        uuid = sim.stack.mappings["M"].uuid
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
        sim.send("Q", "x")
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        sim.advance(9.9)
        assert invocations(sim) == 0
        assert sim.queues["Q"].visible == 1  # not even received
        sim.advance(1.1)  # Enabled at 10: poll, cold start, run
        assert invocations(sim) == 1


def test_updates_in_transition_are_refused_and_bad_values_rejected(tmp_path: Path) -> None:
    with make(tmp_path) as sim:
        lam = sim.session().client("lambda")
        uuid = sim.stack.mappings["M"].uuid
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        with pytest.raises(ClientError) as err:
            lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        assert err.value.response["Error"]["Code"] == "ResourceInUseException"
        assert "Disabling" in err.value.response["Error"]["Message"]
        sim.advance(sim.params.mapping_transition)
        for params, words in [
            ({"BatchSize": 11}, "batch window"),
            ({"ScalingConfig": {"MaximumConcurrency": 1001}}, "between 2 and 1000"),
            ({"FilterCriteria": {"Filters": []}}, "does not model FilterCriteria"),
            ({"MaximumBatchingWindowInSeconds": 5}, "does not model"),
        ]:
            with pytest.raises(ClientError) as err:
                lam.update_event_source_mapping(UUID=uuid, **params)
            assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
            assert words in err.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as err:
            lam.update_event_source_mapping(UUID="0" * 36, Enabled=True)
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_scaling_config_caps_then_uncaps_concurrency(tmp_path: Path) -> None:
    with make(tmp_path) as sim:
        lam = sim.session().client("lambda")
        uuid = sim.stack.mappings["M"].uuid
        lam.update_event_source_mapping(UUID=uuid, ScalingConfig={"MaximumConcurrency": 2})
        sim.advance(sim.params.mapping_transition)
        assert lam.get_event_source_mapping(UUID=uuid)["ScalingConfig"] == {"MaximumConcurrency": 2}
        assert sim.pollers["M"].limit == 2
        lam.update_event_source_mapping(UUID=uuid, ScalingConfig={})
        sim.advance(sim.params.mapping_transition)
        assert "ScalingConfig" not in lam.get_event_source_mapping(UUID=uuid)
        assert sim.pollers["M"].limit == sim.params.pollers_per_mapping


def esm(sim: Simulator, mapping: str) -> dict[str, float]:
    uuid = sim.stack.mappings[mapping].uuid
    names = ("Polled", "Invoked", "FailedInvoke", "Deleted", "FilteredOut")
    return {
        name: sim.metrics.total("AWS/Lambda", f"{name}EventCount", 0, resource=uuid)
        for name in names
    }


def test_event_counts_for_success_error_and_throttle(tmp_path: Path) -> None:
    with make(tmp_path) as sim:
        sim.send("Q", "a", count=3)
        sim.advance(5)
        assert esm(sim, "M") == {
            "Polled": 3, "Invoked": 3, "FailedInvoke": 0, "Deleted": 3, "FilteredOut": 0
        }  # fmt: skip
    with make(tmp_path, source=FAIL) as sim:
        sim.send("Q", "a")
        sim.advance(65)  # received at 0, 30 and 60: each invocation errs
        assert esm(sim, "M") == {
            "Polled": 3, "Invoked": 3, "FailedInvoke": 3, "Deleted": 0, "FilteredOut": 0
        }  # fmt: skip
    with make(tmp_path) as sim:
        sim.set_reserved_concurrency("F", 0)
        sim.send("Q", "a")
        sim.advance(35)  # received at 0 and 30, throttled both times
        assert esm(sim, "M") == {
            "Polled": 2, "Invoked": 0, "FailedInvoke": 2, "Deleted": 0, "FilteredOut": 0
        }  # fmt: skip


def test_no_event_counts_without_metrics_config(tmp_path: Path) -> None:
    with make(tmp_path, metrics=False) as sim:
        sim.send("Q", "a", count=2)
        sim.advance(5)
        assert invocations(sim) == 2
        assert sum(esm(sim, "M").values()) == 0
