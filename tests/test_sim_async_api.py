"""Lambda's Invoke and event invoke config operations through Simulator.session(), every
reply checked against botocore's output shape (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.exceptions
import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import build_stack, function_resource, queue_resource, write_handler

from looplab.sim import Simulator

ECHO = """\
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"echo": event}
"""

pytestmark = pytest.mark.usefixtures("replies_match_botocore")


@pytest.fixture
def sim(tmp_path: Path):
    handler = write_handler(tmp_path, "echo", ECHO)
    stack = build_stack(
        {"F": function_resource("echo", handler, {}), "Q": queue_resource("dest")}, tmp_path
    )
    with Simulator(stack, seed=11) as simulator:
        yield simulator


def test_request_response_returns_the_handler_value(
    sim: Simulator, request: pytest.FixtureRequest
) -> None:
    checked = request.getfixturevalue("replies_match_botocore")
    lam = sim.client("lambda")
    reply = lam.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}))
    assert reply["StatusCode"] == 200
    assert reply["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in reply
    assert json.loads(reply["Payload"].read()) == {"echo": {"a": 1}}
    assert ("lambda", "Invoke", 200) in checked


def test_a_handler_error_is_function_error_unhandled(sim: Simulator) -> None:
    reply = sim.client("lambda").invoke(FunctionName="echo", Payload=b'{"fail": true}')
    assert reply["StatusCode"] == 200
    assert reply["FunctionError"] == "Unhandled"
    error = json.loads(reply["Payload"].read())
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "asked to fail"
    assert set(error) == {"errorMessage", "errorType", "requestId", "stackTrace"}


def test_event_is_queued_and_runs_later(sim: Simulator) -> None:
    lam = sim.client("lambda")
    reply = lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"b": 2}')
    assert reply["StatusCode"] == 202
    assert reply["Payload"].read() == b""
    invocations = sim.metrics.total
    assert invocations("AWS/Lambda", "Invocations", 0, resource="echo") == 0  # not yet
    sim.advance(5)
    assert invocations("AWS/Lambda", "Invocations", 0, resource="echo") == 1
    assert invocations("AWS/Lambda", "AsyncEventsReceived", 0, resource="echo") == 1


def test_dry_run_is_204_and_runs_nothing(sim: Simulator) -> None:
    reply = sim.client("lambda").invoke(FunctionName="echo", InvocationType="DryRun")
    assert reply["StatusCode"] == 204
    sim.advance(5)
    assert sim.metrics.total("AWS/Lambda", "Invocations", 0, resource="echo") == 0


def test_bad_requests_are_refused_as_aws_does(sim: Simulator) -> None:
    lam = sim.client("lambda")
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="echo", Payload=b"{not json")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="nope", Payload=b"{}")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b"x" * 1_048_577)
    assert caught.value.response["Error"]["Code"] == "RequestEntityTooLargeException"


def test_event_invoke_config_round_trip(sim: Simulator) -> None:
    lam = sim.client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="echo")
    queue_arn = sim.stack.queues["Q"].arn
    put = lam.put_function_event_invoke_config(
        FunctionName="echo",
        MaximumRetryAttempts=0,
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnSuccess": {"Destination": queue_arn}},
    )
    assert put["MaximumRetryAttempts"] == 0
    got = lam.get_function_event_invoke_config(FunctionName="echo")
    assert got["DestinationConfig"] == {"OnSuccess": {"Destination": queue_arn}}
    assert got["MaximumEventAgeInSeconds"] == 60
    # The queue applies it: the next event's success record reaches the destination.
    lam.invoke(FunctionName="echo", InvocationType="Event", Payload=b'{"c": 3}')
    sim.advance(5)
    (message, _) = sim.receive("Q")[0]
    assert json.loads(message.body)["responsePayload"] == {"echo": {"c": 3}}
    lam.delete_function_event_invoke_config(FunctionName="echo")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="echo")
