"""The aws backend's observation against botocore's Stubber: what moto cannot show.

moto publishes no metrics: here GetMetricData answers as scripted (one call for every
metric, late datapoints, the series for results) and FilterLogEvents pages through empty
pages with a nextToken. The scripted replies: tests/_support/aws_stubs.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _support.aws_stubs import FN_NAME, Aws, metric_reply, starts
from _support.fakes import DLQ, MAIN_UUID, QUEUE, STAGE

from looplab.backends.aws import AwsParams

EVERY_READ = AwsParams(metric_refresh_seconds=0, log_refresh_seconds=0)


def next_minute(t: float) -> float:
    """The first minute a run started at ``t`` counts (the start minute is left out)."""
    return (t // 60 + 1) * 60


@pytest.fixture
def aws() -> Aws:
    return Aws()


def test_one_metric_data_call_reads_every_function_and_mapping_metric(aws: Aws) -> None:
    backend = aws.backend()
    seen: list[dict[str, Any]] = []
    aws.clients["cloudwatch"].meta.events.register(
        "before-parameter-build.cloudwatch.GetMetricData", lambda params, **_: seen.append(params)
    )
    # The run's figures count whole minutes from the one after its start.
    aws.metrics({"f0_invocations": 16, "m1_invoked_events": 16}, next_minute(aws.clock.t))
    aws.logs([])
    obs = backend.observations(aws.clock.t)
    assert len(seen) == 1
    names = sorted(
        (
            q["MetricStat"]["Metric"]["MetricName"],
            q["MetricStat"]["Metric"]["Dimensions"][0]["Name"],
        )
        for q in seen[0]["MetricDataQueries"]
    )
    # Per function: its four metrics and the four asynchronous-invocation ones; per mapping four.
    assert len(names) == (4 + 4) + 2 * 4
    # docs/aws.md says so where it lists the calls and where it prices them.
    docs = (Path(__file__).resolve().parents[1] / "docs" / "aws.md").read_text()
    assert docs.count(f"{len(names)} metrics a request") == 2
    assert ("RecursiveInvocationsDropped", "FunctionName") in names
    assert ("AsyncEventsDropped", "FunctionName") in names
    assert ("InvokedEventCount", "EventSourceMappingUUID") in names
    assert obs.invocations == 16
    # The record lists mappings sorted: m0 is the DLQ's, m1 the main queue's.
    assert obs.by_source[QUEUE].invoked_events == 16 and obs.by_source[DLQ].invoked_events == 0
    assert (
        obs.provenance["invocations"].source == "cloudwatch:AWS/Lambda Invocations by FunctionName"
    )


def test_a_metric_is_pending_until_it_has_held_and_a_late_datapoint_restarts_the_wait(
    aws: Aws,
) -> None:
    backend = aws.backend(params=EVERY_READ)
    since = aws.clock.t
    readings = []
    for late_value in (0, 1, 1, 1):  # the drop arrives late, then holds
        aws.metrics({"f0_recursive_invocations_dropped": late_value}, next_minute(since))
        aws.logs([])
        obs = backend.observations(since)
        readings.append(
            (
                obs.recursive_invocations_dropped,
                obs.provenance["recursive_invocations_dropped"].settled,
            )
        )
        aws.clock.sleep(100)
    # Settled once unchanged over metric_settle_seconds (180 s) of reads.
    assert readings == [(0, False), (1, False), (1, False), (1, True)]


def test_logs_are_paginated_through_empty_pages_and_read_once(aws: Aws) -> None:
    backend = aws.backend(params=EVERY_READ)
    t = int(aws.clock.t * 1000)
    events = [
        {
            "eventId": "1",
            "logStreamName": "s1",
            "timestamp": t + 1,
            "message": "START RequestId: a Version: $LATEST",
        },
        {"eventId": "2", "logStreamName": "s1", "timestamp": t + 2, "message": "Sending count 6"},
    ]
    aws.metrics()
    aws.logs(events[:1], nextToken="a")
    aws.logs([], nextToken="b")  # empty, not the end
    aws.logs(events[1:])
    obs = backend.observations(aws.clock.t)
    assert obs.counters_sent == [6] and obs.log_streams == ["s1"]
    aws.metrics()
    aws.logs(events)  # the overlap re-reads both
    assert backend.observations(aws.clock.t).counters_sent == [6]
    aws.done()


def test_a_log_group_not_made_yet_reads_as_no_events(aws: Aws) -> None:
    aws.metrics()
    aws.error("logs", "filter_log_events", "ResourceNotFoundException")
    obs = aws.backend().observations(aws.clock.t)
    assert obs.counters_sent == [] and obs.log_streams == []


def test_metric_series_is_one_request_for_lambda_mapping_and_queue_metrics(aws: Aws) -> None:
    minute = 1_699_999_980.0
    aws.metrics({"f0_invocations": 16, "m1_polled_events": 17, "q1_0": 1}, minute)
    points = aws.backend().metric_series(minute, minute + 60)
    aws.done()
    assert [(p.namespace, p.metric, p.resource, p.minute, p.value) for p in points] == [
        ("AWS/Lambda", "Invocations", FN_NAME, minute, 16),
        ("AWS/Lambda", "PolledEventCount", MAIN_UUID, minute, 17),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", f"looplab-{STAGE}-queue", minute, 1),
    ]


def test_the_budget_s_log_read_and_the_probe_s_keep_their_own_state(aws: Aws) -> None:
    # The budget counts from backend.started, the probe reads from its own since, a little
    # later: neither read may reset the other's state nor throttle it into an empty answer.
    backend = aws.backend(budget=10)
    started = aws.clock.t
    events = [
        *starts(1, started + 0.5),
        {
            "eventId": "9",
            "logStreamName": "s",
            "timestamp": int((started + 1) * 1000),
            "message": "Sending count 3",
        },
    ]
    aws.logs(events)
    assert backend.observer.starts(started) == 1
    aws.metrics()
    aws.logs(events)
    assert backend.observer.observations(started + 0.001).counters_sent == [3]
    aws.logs(events)
    assert backend.observer.starts(started) == 1
    assert backend.observer.observations(started + 0.001).counters_sent == [3]  # throttled
    aws.done()


def test_a_figure_from_a_partial_answer_is_never_settled(aws: Aws) -> None:
    # GetMetricData's StatusCode PartialData: "an incomplete set of data points were
    # returned". However long it holds, such a figure is not final.
    backend = aws.backend(params=EVERY_READ)
    since = aws.clock.t
    for _ in range(4):
        reply = metric_reply({"f0_invocations": 5, "f0_errors": 0}, next_minute(since))
        reply["MetricDataResults"][0]["StatusCode"] = "PartialData"
        aws.ok("cloudwatch", "get_metric_data", reply)
        aws.logs([])
        obs = backend.observations(since)
        aws.clock.sleep(100)
    assert obs.invocations == 5 and obs.provenance["invocations"].settled is False
    assert obs.provenance["errors"].settled is True  # its own query was Complete
