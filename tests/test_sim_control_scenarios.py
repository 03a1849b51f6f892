"""Event source mapping metrics for each shipped scenario (the figures docs/simulator.md
states), and the loop-detection scenario's actions driven with nothing but boto3 clients
from Simulator.session()."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)

from looplab.backends import local
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import Simulator
from looplab.stack import load_stack

ROOT = Path(__file__).resolve().parent.parent
MAIN, DLQ = "RecursiveEventSourceMappingSQSQueue", "RecursiveEventSourceMappingSQSDeadLetterQueue"
NAMES = ("Polled", "Invoked", "FailedInvoke", "Deleted")


@pytest.fixture(scope="module")
def stack() -> Any:
    return load_stack(ROOT, stage="dev")


def run(stack: Any, name: str, tmp: Path) -> Simulator:
    scenario = build_scenario(validate_file(ROOT / "scenarios.yaml", stack), name, [], stack)
    backend = local.LocalBackend(stack, seed=0)
    result = run_scenario(scenario, backend, results=tmp, seed=0, queues=sorted(stack.queues))
    assert result.status == "completed", result.doc["reason"]
    return backend.sim


def counts(sim: Simulator, mapping: str) -> dict[str, float]:
    uuid = sim.stack.mappings[mapping].uuid
    return {n: sim.metrics.total("AWS/Lambda", f"{n}EventCount", 0, resource=uuid) for n in NAMES}


def nothing() -> dict[str, float]:
    return dict.fromkeys(NAMES, 0.0)


# 16 invocations run and are deleted; the 17th receive is stopped by loop detection (polled,
# failed, not invoked, not deleted); the next receive redrives it to the DLQ unseen.
STOPPED_AFTER_16 = {"Polled": 17, "Invoked": 16, "FailedInvoke": 1, "Deleted": 16}


@pytest.mark.parametrize("name", ["loop-detection", "dlq-capture"])
def test_the_main_mapping_counts_16_invoked_and_1_stopped(stack, name, tmp_path) -> None:
    sim = run(stack, name, tmp_path)
    assert counts(sim, MAIN) == STOPPED_AFTER_16
    assert counts(sim, DLQ) == nothing()  # disabled throughout


def test_dlq_reconnect_the_dlq_mapping_polls_and_fails_every_visibility_timeout(
    stack, tmp_path
) -> None:
    sim = run(stack, "dlq-reconnect", tmp_path)
    assert counts(sim, MAIN) == STOPPED_AFTER_16
    dlq = counts(sim, DLQ)
    dropped = sim.metrics.total(
        "AWS/Lambda", "RecursiveInvocationsDropped", 0, source="DeadLetterQueue"
    )
    # Each receive is stopped: polled and failed, never invoked nor deleted; 600 s of
    # lingering at a 30 s visibility timeout is 20 receives.
    assert dlq == {"Polled": 20, "Invoked": 0, "FailedInvoke": 20, "Deleted": 0}
    assert dlq["Polled"] == dropped


def test_protection_off_every_event_is_invoked_and_deleted(stack, tmp_path) -> None:
    sim = run(stack, "protection-off", tmp_path)
    # Counters 5..1000: 996 invocations, none stopped.
    assert counts(sim, MAIN) == {"Polled": 996, "Invoked": 996, "FailedInvoke": 0, "Deleted": 996}
    assert counts(sim, DLQ) == nothing()


@pytest.mark.usefixtures("replies_match_botocore")
def test_loop_detection_actions_with_nothing_but_boto3_clients(stack) -> None:
    with Simulator(stack, seed=0) as sim:
        session = sim.session()
        record = sim.stack_record()  # what the aws backend reads from .looplab/stacks/
        sts, sqs, lam = (session.client(s) for s in ("sts", "sqs", "lambda"))
        assert sts.get_caller_identity()["Account"] == record["account"]
        queue, dlq = record["outputs"]["QueueUrl"], record["outputs"]["DeadLetterQueueUrl"]
        function = record["outputs"]["RecursiveFunctionName"]
        assert lam.get_function_recursion_config(FunctionName=function)["RecursiveLoop"] == (
            "Terminate"
        )

        def total(url: str) -> int:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
            a = attributes["Attributes"]
            return sum(
                int(a[k])
                for k in (
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                )
            )

        sqs.purge_queue(QueueUrl=queue)
        sqs.purge_queue(QueueUrl=dlq)
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"counter": 5}))
        waited = 0
        while total(queue) and waited < 600:  # wait: until the main queue is empty
            sim.advance(5)
            waited += 5
        assert total(queue) == 0 and total(dlq) == 1
        drained = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        )["Messages"]
        assert [json.loads(m["Body"]) for m in drained] == [{"counter": 21}]
        assert (
            drained[0]["Attributes"]["DeadLetterQueueSourceArn"] == (record["outputs"]["QueueArn"])
        )
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=drained[0]["ReceiptHandle"])
        # The kill switch's moves: every mapping disabled, reserved concurrency 0.
        for mapping in lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
            if mapping["State"] == "Enabled":
                lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
        sim.advance(sim.params.mapping_transition)
        states = [
            m["State"]
            for m in lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        ]
        assert states == ["Disabled", "Disabled"]
        # The post's result, read as the aws backend reads it: CloudWatch and Logs answers,
        # once the metrics' publication delay has passed.
        sim.advance(sim.params.metric_publication_delay + 60)
        cloudwatch, logs = session.client("cloudwatch"), session.client("logs")
        start = datetime.fromtimestamp(sim.params.epoch, UTC)
        end = datetime.fromtimestamp(sim.now, UTC)

        def query(qid: str, metric: str, name: str, value: str) -> dict[str, Any]:
            return {
                "Id": qid,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": metric,
                        "Dimensions": [{"Name": name, "Value": value}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }

        uuid = sim.stack.mappings[MAIN].uuid
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=[
                query("inv", "Invocations", "FunctionName", function),
                query("drop", "RecursiveInvocationsDropped", "FunctionName", function),
                query("err", "Errors", "FunctionName", function),
                query("invoked", "InvokedEventCount", "EventSourceMappingUUID", uuid),
                query("failed", "FailedInvokeEventCount", "EventSourceMappingUUID", uuid),
            ],
            StartTime=start,
            EndTime=end,
        )
        sums = {r["Id"]: sum(r["Values"]) for r in answer["MetricDataResults"]}
        assert sums == {"inv": 16, "drop": 1, "err": 0, "invoked": 16, "failed": 1}
        events = [
            e["message"]
            for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=f"/aws/lambda/{function}", filterPattern='"Sending count"'
            )
            for e in page["events"]
        ]
        assert [int(m.split()[2]) for m in events] == list(range(6, 22))
        assert counts(sim, MAIN) == STOPPED_AFTER_16
