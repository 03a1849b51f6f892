"""Lambda's control plane through real boto3 clients from Simulator.session(): functions,
recursion config, reserved concurrency, mapping lookups; AWS's errors for unknown names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import (
    FORWARDER,
    build_stack,
    function_resource,
    mapping_resource,
    queue_resource,
    write_handler,
)
from botocore.exceptions import ClientError

from looplab.sim import Simulator

pytestmark = pytest.mark.usefixtures("replies_match_botocore")

ACCOUNT, REGION = "123456789012", "eu-central-1"
ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ctl-fn"


@pytest.fixture
def sim(tmp_path: Path):
    handler = write_handler(tmp_path, "fwd", FORWARDER)
    resources = {
        "Q": queue_resource("ctl-q"),
        "Q2": queue_resource("ctl-q2"),
        "F": function_resource(
            "ctl-fn",
            handler,
            {"TARGET_URL": {"Ref": "Q"}, "CAP": "40"},
            MemorySize=256,
            Description="forwards n + 1",
        ),
        "M": mapping_resource("Q", "F", MetricsConfig={"Metrics": ["EventCount"]}),
        "M2": mapping_resource("Q2", "F", Enabled=False),
    }
    with Simulator(build_stack(resources, tmp_path), seed=3) as simulator:
        yield simulator


@pytest.fixture
def lam(sim: Simulator):
    return sim.session().client("lambda")


def error_of(call, **params) -> dict:
    with pytest.raises(ClientError) as err:
        call(**params)
    return err.value.response


@pytest.mark.parametrize(
    "name", ["ctl-fn", ARN, f"{ACCOUNT}:function:ctl-fn", "ctl-fn:$LATEST", f"{ARN}:$LATEST"]
)
def test_get_function_configuration_accepts_every_name_form_aws_does(lam, name: str) -> None:
    config = lam.get_function_configuration(FunctionName=name)
    assert config["FunctionName"] == "ctl-fn"
    assert config["FunctionArn"] == ARN
    assert (config["Runtime"], config["Handler"]) == ("python3.12", "fns/fwd.handler")
    assert (config["Timeout"], config["MemorySize"]) == (6, 256)
    assert config["Environment"]["Variables"] == {
        "TARGET_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/ctl-q",
        "CAP": "40",
    }
    assert config["Description"] == "forwards n + 1"
    assert config["LoggingConfig"]["LogGroup"] == "/aws/lambda/ctl-fn"
    assert config["Version"] == "$LATEST" and config["State"] == "Active"


def test_get_function_wraps_the_configuration_and_shows_reserved_concurrency(lam) -> None:
    got = lam.get_function(FunctionName="ctl-fn")
    assert got["Configuration"]["FunctionArn"] == ARN
    assert got["Code"]["RepositoryType"] == "S3"
    assert "Concurrency" not in got
    lam.put_function_concurrency(FunctionName="ctl-fn", ReservedConcurrentExecutions=3)
    got = lam.get_function(FunctionName="ctl-fn")
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 3}


def test_get_function_role_is_the_templates_role(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "fwd", FORWARDER)
    role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "ctl-role"}}
    fn = function_resource("r-fn", handler, {}, Role={"Fn::GetAtt": ["Role", "Arn"]})
    with Simulator(build_stack({"Role": role, "F": fn}, tmp_path)) as sim:
        config = sim.session().client("lambda").get_function_configuration(FunctionName="r-fn")
    assert config["Role"] == f"arn:aws:iam::{ACCOUNT}:role/ctl-role"


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("nope", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:nope"),
        ("ctl-fn:7", f"{ARN}:7"),  # no published versions
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ctl-fn", ARN),  # another region
    ],
)
def test_unknown_functions_get_resource_not_found_in_aws_words(lam, name: str, arn: str) -> None:
    for call in (
        lam.get_function,
        lam.get_function_configuration,
        lam.get_function_recursion_config,
        lam.get_function_concurrency,
    ):
        response = error_of(call, FunctionName=name)
        assert response["Error"]["Code"] == "ResourceNotFoundException"
        assert response["Error"]["Message"] == f"Function not found: {arn}"
        assert response["Type"] == "User"  # Lambda's modelled error member, as botocore adds it
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_recursion_config_round_trips_and_refuses_bad_values(lam) -> None:
    assert lam.get_function_recursion_config(FunctionName="ctl-fn")["RecursiveLoop"] == "Terminate"
    put = lam.put_function_recursion_config(FunctionName=ARN, RecursiveLoop="Allow")
    assert put["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName="ctl-fn")["RecursiveLoop"] == "Allow"
    response = error_of(
        lam.put_function_recursion_config, FunctionName="ctl-fn", RecursiveLoop="Sometimes"
    )
    assert response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Sometimes" in response["Error"]["Message"]
    assert "[Allow, Terminate]" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert lam.get_function_recursion_config(FunctionName="ctl-fn")["RecursiveLoop"] == "Allow"


def test_put_recursion_allow_lets_the_chain_run_past_16(sim: Simulator, lam) -> None:
    lam.put_function_recursion_config(FunctionName="ctl-fn", RecursiveLoop="Allow")
    sim.send("Q", json.dumps({"n": 1}))
    sim.advance(60)
    assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 40  # 1..40, the CAP
    assert sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 0


def test_concurrency_put_get_delete(lam) -> None:
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=ARN)
    put = lam.put_function_concurrency(FunctionName=ARN, ReservedConcurrentExecutions=0)
    assert put["ReservedConcurrentExecutions"] == 0
    got = lam.get_function_concurrency(FunctionName="ctl-fn")
    assert got["ReservedConcurrentExecutions"] == 0
    deleted = lam.delete_function_concurrency(FunctionName="ctl-fn")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=ARN)


def test_concurrency_must_leave_100_unreserved(lam) -> None:
    response = error_of(
        lam.put_function_concurrency, FunctionName="ctl-fn", ReservedConcurrentExecutions=901
    )
    assert response["Error"]["Code"] == "InvalidParameterValueException"
    assert "below its minimum value of [100]" in response["Error"]["Message"]
    assert lam.put_function_concurrency(FunctionName="ctl-fn", ReservedConcurrentExecutions=900)


def test_reserved_concurrency_0_stops_a_running_chain_at_once_and_delete_resumes_it(
    sim: Simulator, lam
) -> None:
    total = sim.metrics.total
    sim.send("Q", json.dumps({"n": 1}))
    sim.advance(0.5)
    running = total("AWS/Lambda", "Invocations", 0)
    assert 0 < running < 16  # mid-chain
    lam.put_function_concurrency(FunctionName="ctl-fn", ReservedConcurrentExecutions=0)
    sim.advance(0.5)  # an invocation already started may finish; nothing new starts
    stopped = total("AWS/Lambda", "Invocations", 0)
    assert stopped <= running + 1
    sim.advance(120)
    assert total("AWS/Lambda", "Invocations", 0) == stopped
    assert total("AWS/Lambda", "Throttles", 0) >= 1  # the poller received, the invoke throttled
    assert sim.queues["Q"].spec.name == "ctl-q" and len(sim.queues["Q"].messages) == 1
    lam.delete_function_concurrency(FunctionName="ctl-fn")
    sim.advance(60)  # the throttled message returns after its visibility timeout and runs
    assert total("AWS/Lambda", "Invocations", 0) > stopped


def test_list_event_source_mappings_by_function_or_source_with_pages(sim: Simulator, lam) -> None:
    uuids = {lid: m.uuid for lid, m in sim.stack.mappings.items()}
    q_arn, q2_arn = sim.queues["Q"].spec.arn, sim.queues["Q2"].spec.arn
    for name in ("ctl-fn", ARN, f"{ACCOUNT}:function:ctl-fn"):
        listed = lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
        assert {m["UUID"] for m in listed} == set(uuids.values())
    (only,) = lam.list_event_source_mappings(EventSourceArn=q2_arn)["EventSourceMappings"]
    assert (only["UUID"], only["State"]) == (uuids["M2"], "Disabled")
    assert only["EventSourceArn"] == q2_arn
    page = lam.list_event_source_mappings(FunctionName="ctl-fn", MaxItems=1)
    assert len(page["EventSourceMappings"]) == 1 and page["NextMarker"]
    rest = lam.list_event_source_mappings(
        FunctionName="ctl-fn", MaxItems=1, Marker=page["NextMarker"]
    )
    assert "NextMarker" not in rest
    seen = {page["EventSourceMappings"][0]["UUID"], rest["EventSourceMappings"][0]["UUID"]}
    assert seen == set(uuids.values())
    both = lam.list_event_source_mappings(FunctionName="ctl-fn", EventSourceArn=q_arn)
    assert [m["UUID"] for m in both["EventSourceMappings"]] == [uuids["M"]]
    assert lam.list_event_source_mappings(FunctionName="nope")["EventSourceMappings"] == []
    response = error_of(lam.list_event_source_mappings, Marker="garbage")
    assert response["Error"]["Code"] == "InvalidParameterValueException"


def test_get_event_source_mapping_describes_the_mapping(sim: Simulator, lam) -> None:
    spec = sim.stack.mappings["M"]
    got = lam.get_event_source_mapping(UUID=spec.uuid)
    assert got["UUID"] == spec.uuid
    assert got["FunctionArn"] == ARN
    assert got["EventSourceArn"] == sim.queues["Q"].spec.arn
    assert (got["State"], got["BatchSize"]) == ("Enabled", 1)
    assert got["MetricsConfig"] == {"Metrics": ["EventCount"]}
    assert got["EventSourceMappingArn"].endswith(f":event-source-mapping:{spec.uuid}")
    response = error_of(lam.get_event_source_mapping, UUID="00000000-0000-0000-0000-000000000000")
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Error"]["Message"] == "The resource you requested does not exist."


def test_operations_not_modelled_fail_naming_service_and_operation(lam) -> None:
    # Invoke is modelled since issue 13 (tests/test_sim_async_api.py); ListAliases is not.
    response = error_of(lam.list_aliases, FunctionName="ctl-fn")
    assert response["Error"]["Code"] == "NotImplemented"
    assert "does not model lambda:ListAliases" in response["Error"]["Message"]
    response = error_of(lam.list_functions)
    assert "lambda:ListFunctions" in response["Error"]["Message"]
