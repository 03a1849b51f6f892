"""Lambda's asynchronous invocation in the simulator: the internal queue, retries and their
waits on the virtual clock, event age, destinations, the function's DLQ, and loop detection
of a function that invokes itself (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _support.simkit import build_stack, function_resource, queue_resource, write_handler

from looplab.sim import SimParams, Simulator

SELF_INVOKER = """\
import json
import boto3

lam = boto3.client("lambda")


def handler(event, context):
    n = event["counter"]
    print(f"Received counter {n} from {context.invoked_function_arn}")
    print(f"Sending count {n + 1}")
    lam.invoke(
        FunctionName=context.function_name,
        InvocationType="Event",
        Payload=json.dumps({"counter": n + 1}),
    )
    return n
"""

FAILING = """\
def handler(event, context):
    raise ValueError(f"boom {event['counter']}")
"""

SYNC_SELF = """\
import json
import boto3

lam = boto3.client("lambda")


def handler(event, context):
    n = event["counter"]
    try:
        payload = json.dumps({"counter": n + 1})
        reply = lam.invoke(FunctionName=context.function_name, Payload=payload)
    except lam.exceptions.RecursiveInvocationException as exc:
        return {"stopped_at": n + 1, "code": exc.response["Error"]["Code"],
                "status": exc.response["ResponseMetadata"]["HTTPStatusCode"]}
    return json.loads(reply["Payload"].read())
"""


def invoke_config(**props: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {"FunctionName": {"Ref": "F"}, "Qualifier": "$LATEST", **props},
    }


def on_failure(queue: str) -> dict[str, Any]:
    return {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}}


def stack(tmp_path: Path, source: str, extra: dict[str, Any], **function: Any):
    handler = write_handler(tmp_path, "fn", source)
    return build_stack(
        {"F": function_resource("relay", handler, {}, **function), **extra}, tmp_path
    )


def received(sim: Simulator, queue: str) -> list[Any]:
    return [m for m, _ in sim.receive(queue)]


def starts(sim: Simulator) -> list[float]:
    return [e.timestamp for e in sim.logs.events() if e.message.startswith("START ")]


def test_a_function_invoking_itself_with_event_is_stopped_after_16(tmp_path: Path) -> None:
    s = stack(
        tmp_path,
        SELF_INVOKER,
        {
            "Fail": queue_resource("fail"),
            "Cfg": invoke_config(DestinationConfig=on_failure("Fail")),
        },
    )
    with Simulator(s, seed=1) as sim:
        assert sim.invoke("F", {"counter": 0}) == {"StatusCode": 202}
        sim.advance(120)
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0, resource="relay") == 16
        assert total("AWS/Lambda", "RecursiveInvocationsDropped", 0, resource="relay") == 1
        assert total("AWS/Lambda", "AsyncEventsReceived", 0, resource="relay") == 17
        assert total("AWS/Lambda", "AsyncEventsDropped", 0, resource="relay") == 1
        (message,) = received(sim, "Fail")
        record = json.loads(message.body)
        assert record["version"] == "1.0"
        assert record["requestContext"]["condition"] == SimParams().async_stopped_condition
        assert record["requestContext"]["approximateInvokeCount"] == 0
        assert record["requestContext"]["functionArn"] == f"{s.functions['F'].arn}:$LATEST"
        assert record["requestPayload"] == {"counter": 16}
        assert "responseContext" not in record  # the function never ran for it
        assert record["timestamp"].endswith("Z")


def test_the_stopped_event_reaches_the_function_dlq_with_its_attributes(tmp_path: Path) -> None:
    s = stack(
        tmp_path,
        SELF_INVOKER,
        {"Dlq": queue_resource("dlq")},
        DeadLetterConfig={"TargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
    )
    with Simulator(s, seed=2) as sim:
        sim.invoke("F", {"counter": 100})
        sim.advance(120)
        (message,) = received(sim, "Dlq")
        assert json.loads(message.body) == {"counter": 116}  # the event itself
        attributes = {k: v["StringValue"] for k, v in message.message_attributes.items()}
        assert set(attributes) == {"RequestID", "ErrorCode", "ErrorMessage"}
        assert attributes["ErrorMessage"] == SimParams().async_stopped_condition


def test_function_errors_are_retried_after_one_then_two_minutes(tmp_path: Path) -> None:
    s = stack(
        tmp_path,
        FAILING,
        {
            "Fail": queue_resource("fail"),
            "Dlq": queue_resource("dlq"),
            "Cfg": invoke_config(DestinationConfig=on_failure("Fail")),
        },
        DeadLetterConfig={"TargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
    )
    with Simulator(s, seed=3) as sim:
        t0 = sim.now
        sim.invoke("F", {"counter": 7})
        sim.advance(59)
        assert len(starts(sim)) == 1
        assert received(sim, "Fail") == []
        sim.advance(400)
        first, second, third = starts(sim)
        # Each wait runs from the end of the failed attempt; attempts last well under 1 s.
        assert 60 <= second - first < 62
        assert 120 <= third - second < 122
        assert first - t0 < 2
        assert sim.metrics.total("AWS/Lambda", "Errors", 0, resource="relay") == 3
        (message,) = received(sim, "Fail")
        record = json.loads(message.body)
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["responseContext"] == {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        }
        assert record["responsePayload"]["errorType"] == "ValueError"
        assert record["responsePayload"]["errorMessage"] == "boom 7"
        (dead,) = received(sim, "Dlq")
        assert json.loads(dead.body) == {"counter": 7}
        assert dead.message_attributes["ErrorMessage"]["StringValue"] == "boom 7"


def test_maximum_retry_attempts_zero_fails_at_once(tmp_path: Path) -> None:
    s = stack(
        tmp_path,
        FAILING,
        {
            "Fail": queue_resource("fail"),
            "Cfg": invoke_config(MaximumRetryAttempts=0, DestinationConfig=on_failure("Fail")),
        },
    )
    with Simulator(s, seed=4) as sim:
        sim.invoke("F", {"counter": 1})
        sim.advance(600)
        assert len(starts(sim)) == 1
        (message,) = received(sim, "Fail")
        assert json.loads(message.body)["requestContext"]["approximateInvokeCount"] == 1


def test_a_throttled_event_is_retried_until_its_age_runs_out(tmp_path: Path) -> None:
    s = stack(
        tmp_path,
        FAILING,
        {
            "Fail": queue_resource("fail"),
            "Cfg": invoke_config(MaximumEventAgeInSeconds=60, DestinationConfig=on_failure("Fail")),
        },
        ReservedConcurrentExecutions=0,  # every attempt is throttled
    )
    with Simulator(s, seed=5) as sim:
        sim.invoke("F", {"counter": 1})
        sim.advance(59)
        assert received(sim, "Fail") == []
        sim.advance(30)
        total = sim.metrics.total
        # Backoff 1, 2, 4, 8, 16, 32 s: attempts near 0, 1, 3, 7, 15, 31 and 63 s; the last
        # finds the event older than 60 s.
        assert total("AWS/Lambda", "Throttles", 0, resource="relay") == 6
        assert total("AWS/Lambda", "Invocations", 0, resource="relay") == 0
        (message,) = received(sim, "Fail")
        record = json.loads(message.body)
        assert record["requestContext"]["condition"] == "EventAgeExceeded"
        assert record["requestContext"]["approximateInvokeCount"] == 0


def test_a_success_goes_to_the_on_success_destination(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    return {'doubled': event['counter'] * 2}\n"
    s = stack(
        tmp_path,
        source,
        {
            "Ok": queue_resource("ok"),
            "Cfg": invoke_config(
                DestinationConfig={"OnSuccess": {"Destination": {"Fn::GetAtt": ["Ok", "Arn"]}}}
            ),
        },
    )
    with Simulator(s, seed=6) as sim:
        sim.invoke("F", {"counter": 21})
        sim.advance(5)
        (message,) = received(sim, "Ok")
        record = json.loads(message.body)
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestContext"]["approximateInvokeCount"] == 1
        assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
        assert record["responsePayload"] == {"doubled": 42}
        assert sim.metrics.total("AWS/Lambda", "AsyncEventsDropped", 0, resource="relay") == 0


def test_a_synchronous_chain_a_to_a_gets_recursive_invocation_exception_at_17(
    tmp_path: Path,
) -> None:
    s = stack(tmp_path, SYNC_SELF, {})
    with Simulator(s, seed=7) as sim:
        reply = sim.invoke("F", {"counter": 1}, "RequestResponse")
        assert reply["StatusCode"] == 200
        assert reply["Payload"] == {
            "stopped_at": 17,
            "code": "RecursiveInvocationException",
            "status": 400,
        }
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0, resource="relay") == 16
        assert total("AWS/Lambda", "RecursiveInvocationsDropped", 0, resource="relay") == 1


def test_simulator_invoke_request_response_reports_a_handler_error(tmp_path: Path) -> None:
    s = stack(tmp_path, FAILING, {})
    with Simulator(s, seed=8) as sim:
        reply = sim.invoke("F", {"counter": 3}, "RequestResponse")
        assert reply["StatusCode"] == 200
        assert reply["FunctionError"] == "Unhandled"
        assert reply["Payload"]["errorType"] == "ValueError"
        assert reply["Payload"]["errorMessage"] == "boom 3"


def test_async_resources_are_no_longer_refused(tmp_path: Path) -> None:
    """EventInvokeConfig, DeadLetterConfig and a Permission for SNS or S3 run; a
    Permission for any other principal stays refused by its principal."""
    from looplab.sim import refusals

    permissions = {
        f"Allow{i}": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "F"},
                "Action": "lambda:InvokeFunction",
                "Principal": principal,
            },
        }
        for i, principal in enumerate(["sns.amazonaws.com", "s3.amazonaws.com"])
    }
    s = stack(
        tmp_path,
        FAILING,
        {"Dlq": queue_resource("dlq"), "Cfg": invoke_config(MaximumRetryAttempts=1), **permissions},
        DeadLetterConfig={"TargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
    )
    assert refusals(s) == []
    assert s.invoke_configs["F"].maximum_retry_attempts == 1
    other = dict(permissions["Allow0"], Properties={"Principal": "apigateway.amazonaws.com"})
    s.template["Other"] = other
    (refused,) = refusals(s)
    assert refused.path == "Resources.Other.Properties.Principal"
    assert "apigateway.amazonaws.com" in refused.reason
