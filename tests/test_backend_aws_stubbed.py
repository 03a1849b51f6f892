"""The aws backend against botocore's Stubber: what moto cannot show.

moto has no recursion-config API, jumps mapping states straight to Enabled/Disabled and
publishes no metrics; these tests script AWS's replies instead (the Stubber also checks
every request and reply against botocore's shapes): a mapping stuck in Updating, throttling,
AccessDenied on one action, PurgeQueueInProgress, late CloudWatch datapoints, empty log
pages with a nextToken, and the log-watched invocation budget.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from _fakes import (
    ACCOUNT,
    DLQ,
    DLQ_UUID,
    FUNCTION,
    MAIN_UUID,
    MAPPINGS,
    QUEUE,
    REGION,
    STAGE,
    ManualClock,
    fake_record,
)
from botocore.stub import ANY, Stubber

from looplab.backends.aws import (
    AwsBackend,
    AwsCallError,
    AwsParams,
    BudgetSpent,
    Calls,
    GuardError,
    RecursionRefused,
    StackRecord,
    StackRecordError,
    check_identity,
    kill_switch,
)
from looplab.backends.base import BackendError

FN_NAME = f"looplab-{STAGE}-recursive"
QUEUE_URL = fake_record()["resources"][QUEUE]["physicalId"]
DLQ_URL = fake_record()["resources"][DLQ]["physicalId"]


@functools.cache
def _session(region: str) -> boto3.Session:
    # One session per region: its loader caches the service models, so each test's clients
    # cost milliseconds instead of a second.
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )


class Aws:
    """Stubbed clients for every service the backend uses, and a backend on them."""

    def __init__(self, region: str = REGION, **record: Any) -> None:
        session = _session(region)
        services = ("sqs", "lambda", "cloudwatch", "logs", "sts")
        self.clients = {s: session.client(s, region_name=region) for s in services}
        self.stub = {s: Stubber(c) for s, c in self.clients.items()}
        for stub in self.stub.values():
            stub.activate()
        self.calls = Calls(session, region=region, clients=self.clients, stage=STAGE)
        self.record = StackRecord.from_dict(fake_record(**record), "unit.json")
        self.clock = ManualClock()

    def backend(self, verify: bool = False, **kwargs: Any) -> AwsBackend:
        return AwsBackend(
            self.record, self.calls, self.clock, mappings=MAPPINGS, verify=verify, **kwargs
        )

    def ok(self, service: str, method: str, reply: dict[str, Any] | None = None, **params: Any):
        self.stub[service].add_response(method, reply or {}, params or None)

    def error(self, service: str, method: str, code: str, status: int = 400) -> None:
        self.stub[service].add_client_error(method, code, f"{code} (scripted)", status)

    def counts(self, visible: int = 0, in_flight: int = 0, url: str = QUEUE_URL) -> None:
        attrs = {
            "ApproximateNumberOfMessages": str(visible),
            "ApproximateNumberOfMessagesNotVisible": str(in_flight),
            "ApproximateNumberOfMessagesDelayed": "0",
        }
        self.ok("sqs", "get_queue_attributes", {"Attributes": attrs})

    def done(self) -> None:
        for stub in self.stub.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def aws() -> Aws:
    return Aws()


# -- the record and the guards ------------------------------------------------------------


def test_a_missing_record_names_the_command_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(StackRecordError) as caught:
        StackRecord.load(tmp_path, "dev")
    assert "invoke deploy --stage dev" in str(caught.value)
    assert "npx sls looplab-outputs --stage dev" in str(caught.value)


def test_a_record_of_another_format_or_half_written_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / ".looplab" / "stacks"
    folder.mkdir(parents=True)
    (folder / "dev.json").write_text(json.dumps(fake_record(formatVersion=2)))
    with pytest.raises(StackRecordError, match="formatVersion 2"):
        StackRecord.load(tmp_path, "dev")
    (folder / "dev.json").write_text('{"formatVersion": 1, "stackName": ')
    with pytest.raises(StackRecordError, match="cannot read the stack record"):
        StackRecord.load(tmp_path, "dev")


def test_the_guard_refuses_another_account_before_any_action(aws: Aws) -> None:
    arn = "arn:aws:iam::999999999999:user/someone"
    aws.ok("sts", "get_caller_identity", {"Account": "999999999999", "Arn": arn, "UserId": "X"})
    with pytest.raises(GuardError) as caught:
        aws.backend(verify=True)
    assert f"recorded in account {ACCOUNT}" in str(caught.value)
    assert "999999999999" in str(caught.value)
    aws.done()  # nothing else was asked, so nothing else was done


def test_the_guard_refuses_another_region() -> None:
    aws = Aws(region="us-east-1")
    aws.ok("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": "arn:aws:iam::1:user/u"})
    with pytest.raises(GuardError, match=f"AWS_REGION={REGION}"):
        check_identity(aws.calls, aws.record)


def test_a_record_of_a_rolled_back_stack_is_stale() -> None:
    aws = Aws(stackStatus="ROLLBACK_COMPLETE")
    aws.ok("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": "arn:aws:iam::1:user/u"})
    with pytest.raises(GuardError, match="ROLLBACK_COMPLETE"):
        aws.backend(verify=True)


def test_a_record_whose_queue_is_gone_says_to_deploy(aws: Aws) -> None:
    aws.ok("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": "arn:aws:iam::1:user/u"})
    aws.error("sqs", "get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue")
    with pytest.raises(GuardError) as caught:
        aws.backend(verify=True)
    assert "does not exist" in str(caught.value)
    assert f"invoke deploy --stage {STAGE}" in str(caught.value)


def test_a_record_whose_mapping_points_elsewhere_is_stale(aws: Aws) -> None:
    aws.ok("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": "arn:aws:iam::1:user/u"})
    for lid in (DLQ, QUEUE):  # the record lists its queues sorted
        aws.ok(
            "sqs", "get_queue_attributes", {"Attributes": {"QueueArn": aws.record.queue_arn(lid)}}
        )
    aws.ok("lambda", "get_function_configuration", {"FunctionName": FN_NAME})
    other = f"arn:aws:sqs:{REGION}:{ACCOUNT}:somebody-elses-queue"
    aws.ok(
        "lambda",
        "get_event_source_mapping",
        {"UUID": MAIN_UUID, "EventSourceArn": other, "FunctionArn": f"arn:x:{FN_NAME}"},
    )
    with pytest.raises(GuardError, match="somebody-elses-queue"):
        aws.backend(verify=True)


# -- actions ------------------------------------------------------------------------------


def test_a_mapping_stuck_in_updating_times_out_with_the_way_out(aws: Aws) -> None:
    backend = aws.backend(params=AwsParams(mapping_timeout=10, mapping_poll_seconds=2))
    aws.ok("lambda", "update_event_source_mapping", {"UUID": DLQ_UUID, "State": "Updating"})
    for _ in range(6):
        aws.ok("lambda", "get_event_source_mapping", {"UUID": DLQ_UUID, "State": "Updating"})
    with pytest.raises(BackendError) as caught:
        backend.set_mapping(FUNCTION, DLQ, False)
    message = str(caught.value)
    assert "still Updating after 10 s" in message
    assert f"invoke kill-switch --stage {STAGE}" in message
    assert aws.clock.t - 1_700_000_000.0 == pytest.approx(10)


def test_a_mapping_busy_with_another_update_is_retried_then_confirmed(aws: Aws) -> None:
    backend = aws.backend()
    aws.error("lambda", "update_event_source_mapping", "ResourceInUseException")
    aws.ok(
        "lambda",
        "update_event_source_mapping",
        {"UUID": DLQ_UUID, "State": "Enabling"},
        UUID=DLQ_UUID,
        Enabled=True,
    )
    aws.ok("lambda", "get_event_source_mapping", {"UUID": DLQ_UUID, "State": "Enabling"})
    aws.ok("lambda", "get_event_source_mapping", {"UUID": DLQ_UUID, "State": "Enabled"})
    backend.set_mapping(FUNCTION, DLQ, True)
    aws.done()


def test_recursion_allow_is_refused_without_the_flag_and_nothing_is_called(aws: Aws) -> None:
    with pytest.raises(RecursionRefused, match="--allow-recursion"):
        aws.backend().set_recursion(FUNCTION, "Allow")
    aws.done()


def test_recursion_is_confirmed_and_finish_restores_terminate(aws: Aws) -> None:
    backend = aws.backend(allow_recursion=True)
    aws.ok(
        "lambda",
        "put_function_recursion_config",
        {"RecursiveLoop": "Allow"},
        FunctionName=FN_NAME,
        RecursiveLoop="Allow",
    )
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})  # not yet
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Allow"})
    backend.set_recursion(FUNCTION, "Allow")
    # The scenario's finally was cut short (a second Ctrl-C): finish() restores Terminate.
    aws.ok(
        "lambda",
        "put_function_recursion_config",
        {"RecursiveLoop": "Terminate"},
        FunctionName=FN_NAME,
        RecursiveLoop="Terminate",
    )
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    done = backend.finish()
    assert done["recursion"] == {
        "restored_to_terminate": [FUNCTION],
        "left": {FUNCTION: "Terminate"},
        "asked": [
            {"function": FUNCTION, "mode": "Allow", "confirmed": True},
            {"function": FUNCTION, "mode": "Terminate", "confirmed": True},
        ],
    }
    aws.done()


def test_an_empty_queue_is_not_purged(aws: Aws) -> None:
    aws.counts(0, 0)
    aws.backend().purge(QUEUE)
    aws.done()  # no PurgeQueue was queued, and none was called


def test_purge_in_progress_waits_a_minute_and_seeding_waits_for_the_purge(aws: Aws) -> None:
    backend = aws.backend()
    aws.counts(3, 0)
    aws.error("sqs", "purge_queue", "AWS.SimpleQueueService.PurgeQueueInProgress")
    aws.ok("sqs", "purge_queue", {}, QueueUrl=QUEUE_URL)
    backend.purge(QUEUE)
    assert sum(aws.clock.slept) == pytest.approx(60)
    purged_at = aws.clock.t
    aws.ok(
        "sqs",
        "send_message_batch",
        {"Successful": [{"Id": "0", "MessageId": "m-1", "MD5OfMessageBody": "x"}], "Failed": []},
        QueueUrl=QUEUE_URL,
        Entries=[{"Id": "0", "MessageBody": '{"counter": 5}'}],
    )
    assert backend.seed(QUEUE, '{"counter": 5}') == ["m-1"]
    assert aws.clock.t - purged_at == pytest.approx(60)  # messages sent during a purge may go
    aws.done()


def test_throttling_after_retries_says_so(aws: Aws) -> None:
    aws.error("sqs", "get_queue_attributes", "ThrottlingException")
    with pytest.raises(AwsCallError) as caught:
        aws.backend().queue_state(QUEUE)
    assert caught.value.action == "sqs:GetQueueAttributes"
    assert QUEUE_URL in str(caught.value) and "throttled" in str(caught.value)


def test_access_denied_on_one_action_still_attempts_the_others(aws: Aws) -> None:
    aws.error("lambda", "put_function_concurrency", "AccessDeniedException", 403)
    for uuid in (DLQ_UUID, MAIN_UUID):
        aws.ok("lambda", "update_event_source_mapping", {"UUID": uuid}, UUID=uuid, Enabled=False)
    for url in (DLQ_URL, QUEUE_URL):
        aws.ok("sqs", "purge_queue", {}, QueueUrl=url)
    actions = kill_switch(aws.calls, aws.record)
    denied = [a for a in actions if not a.ok]
    assert [a.action for a in denied] == ["lambda:PutFunctionConcurrency"]
    assert "AccessDeniedException" in denied[0].result
    assert f"invoke operator-policy --stage {STAGE}" in denied[0].result
    assert sum(a.ok for a in actions) == 4
    aws.done()


# -- observation --------------------------------------------------------------------------


def _metric_reply(values: dict[str, float], minute: float) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(minute, tz=UTC)
    return {
        "MetricDataResults": [
            {
                "Id": qid,
                "Label": qid,
                "Timestamps": [stamp],
                "Values": [v],
                "StatusCode": "Complete",
            }
            for qid, v in values.items()
        ]
    }


def _no_logs(aws: Aws) -> None:
    aws.ok("logs", "filter_log_events", {"events": []})


def test_one_metric_data_call_reads_every_function_and_mapping_metric(aws: Aws) -> None:
    backend = aws.backend()
    seen: list[dict[str, Any]] = []
    aws.clients["cloudwatch"].meta.events.register(
        "before-parameter-build.cloudwatch.GetMetricData", lambda params, **_: seen.append(params)
    )
    aws.ok(
        "cloudwatch",
        "get_metric_data",
        _metric_reply({"f0_invocations": 16, "m1_invoked_events": 16}, aws.clock.t),
    )
    _no_logs(aws)
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
    backend = aws.backend(params=AwsParams(metric_refresh_seconds=0, log_refresh_seconds=0))
    since = aws.clock.t
    readings = []
    for late_value in (0, 1, 1, 1):  # the drop arrives late, then holds
        aws.ok(
            "cloudwatch",
            "get_metric_data",
            _metric_reply({"f0_recursive_invocations_dropped": late_value}, since),
        )
        _no_logs(aws)
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
    backend = aws.backend(params=AwsParams(metric_refresh_seconds=0, log_refresh_seconds=0))
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
    aws.ok("cloudwatch", "get_metric_data", {"MetricDataResults": []})
    aws.ok("logs", "filter_log_events", {"events": events[:1], "nextToken": "a"})
    aws.ok("logs", "filter_log_events", {"events": [], "nextToken": "b"})  # empty, not the end
    aws.ok("logs", "filter_log_events", {"events": events[1:]})
    obs = backend.observations(aws.clock.t)
    assert obs.counters_sent == [6] and obs.log_streams == ["s1"]
    aws.ok("cloudwatch", "get_metric_data", {"MetricDataResults": []})
    aws.ok("logs", "filter_log_events", {"events": events})  # the overlap re-reads both
    assert backend.observations(aws.clock.t).counters_sent == [6]
    aws.done()


def test_a_log_group_not_made_yet_reads_as_no_events(aws: Aws) -> None:
    aws.ok("cloudwatch", "get_metric_data", {"MetricDataResults": []})
    aws.error("logs", "filter_log_events", "ResourceNotFoundException")
    obs = aws.backend().observations(aws.clock.t)
    assert obs.counters_sent == [] and obs.log_streams == []


# -- the invocation budget ----------------------------------------------------------------


def _starts(n: int, t: float) -> dict[str, Any]:
    ms = int(t * 1000)
    return {
        "events": [
            {
                "eventId": str(i),
                "logStreamName": "s",
                "timestamp": ms + i,
                "message": f"START RequestId: {i} Version: $LATEST",
            }
            for i in range(n)
        ]
    }


def _brake(aws: Aws) -> None:
    aws.ok(
        "lambda",
        "put_function_concurrency",
        {"ReservedConcurrentExecutions": 0},
        FunctionName=FN_NAME,
        ReservedConcurrentExecutions=0,
    )
    for uuid, state in ((DLQ_UUID, "Disabled"), (MAIN_UUID, "Enabled")):
        aws.ok("lambda", "get_event_source_mapping", {"UUID": uuid, "State": state})
        aws.ok("lambda", "update_event_source_mapping", {"UUID": uuid}, UUID=uuid, Enabled=False)
    aws.ok("lambda", "get_function_configuration", {"FunctionName": FN_NAME, "Timeout": 6})


QUIET = AwsParams(queue_settle_seconds=0)


def test_the_budget_trips_from_the_logs_and_brakes_at_once(aws: Aws) -> None:
    backend = aws.backend(budget=10, params=QUIET)
    start = aws.clock.t
    aws.ok("logs", "filter_log_events", _starts(4, start))
    aws.ok("logs", "filter_log_events", _starts(12, start))
    _brake(aws)
    with pytest.raises(BudgetSpent) as caught:
        backend.wait_until(lambda: False, timeout=60)
    assert "12 invocations counted from the logs, budget 10" in str(caught.value)
    # Two budget polls 5 s apart (seconds late, not minutes), then the function's timeout and
    # the quiet margin, so what was running ends before finally.
    assert aws.clock.t - start == pytest.approx(6 + 6 + 5)
    aws.done()
    # After finally: the queues stay empty, so the cap is released and the main mapping
    # (Enabled before the brake; the DLQ's was Disabled) is enabled again.
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    aws.counts(0, 0, DLQ_URL)
    aws.counts(0, 0)
    aws.ok("logs", "filter_log_events", _starts(13, start))
    aws.ok("lambda", "delete_function_concurrency", {}, FunctionName=FN_NAME)
    aws.ok(
        "lambda", "update_event_source_mapping", {"UUID": MAIN_UUID}, UUID=MAIN_UUID, Enabled=True
    )
    done = backend.finish()["budget"]
    assert (done["tripped"], done["invocations_at_trip"], done["overshoot"]) == (True, 12, 3)
    assert done["concurrency_cap"] == "released (the queues stayed empty)"
    assert done["mappings_restored"] == ["RecursiveEventSourceMappingSQSQueue"]
    aws.done()


def test_after_a_trip_a_queue_not_empty_keeps_the_cap_and_says_how_to_release(aws: Aws) -> None:
    backend = aws.backend(budget=1, params=QUIET)
    aws.ok("logs", "filter_log_events", _starts(2, aws.clock.t))
    _brake(aws)
    with pytest.raises(BudgetSpent):
        backend.advance(30)
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    aws.counts(1, 0, DLQ_URL)
    aws.ok("logs", "filter_log_events", _starts(2, aws.clock.t))
    done = backend.finish()["budget"]
    assert done["concurrency_cap"].startswith("left at 0")
    assert f"invoke kill-switch --stage {STAGE} --release" in done["concurrency_cap"]
    aws.done()  # no DeleteFunctionConcurrency


def test_describe_records_where_and_who_never_a_secret(aws: Aws) -> None:
    aws.ok(
        "sts",
        "get_caller_identity",
        {"Account": ACCOUNT, "Arn": "arn:aws:iam::123456789012:user/op", "UserId": "AIDA"},
    )
    backend = aws.backend()
    backend.identity = check_identity(aws.calls, aws.record)
    info = backend.describe()
    assert (info["account"], info["region"], info["stack_name"]) == (
        ACCOUNT,
        REGION,
        f"looplab-{STAGE}",
    )
    assert info["identity_arn"] == "arn:aws:iam::123456789012:user/op"
    assert "testing" not in json.dumps(info)  # the access key and secret are "testing"
    assert ANY  # the Stubber's wildcard stays importable for the moto tests' reuse


def test_metric_series_is_one_request_for_lambda_mapping_and_queue_metrics(aws: Aws) -> None:
    minute = 1_699_999_980.0
    reply = _metric_reply({"f0_invocations": 16, "m1_polled_events": 17, "q1_0": 1}, minute)
    aws.ok("cloudwatch", "get_metric_data", reply)
    points = aws.backend().metric_series(minute, minute + 60)
    aws.done()
    assert [(p.namespace, p.metric, p.resource, p.minute, p.value) for p in points] == [
        ("AWS/Lambda", "Invocations", FN_NAME, minute, 16),
        ("AWS/Lambda", "PolledEventCount", MAIN_UUID, minute, 17),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", f"looplab-{STAGE}-queue", minute, 1),
    ]


def test_no_credentials_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bare = boto3.Session(region_name=REGION)
    # Port 9 has no listener: even a signed request could not leave this machine.
    calls = Calls(bare, region=REGION, endpoint_url="http://127.0.0.1:9", stage=STAGE)
    with pytest.raises(AwsCallError) as caught:
        check_identity(calls, StackRecord.from_dict(fake_record()))
    message = str(caught.value)
    assert message.startswith("sts:GetCallerIdentity on the current credentials: no usable")
    assert "aws sso login" in message


def test_the_budget_s_log_read_and_the_probe_s_keep_their_own_state(aws: Aws) -> None:
    # The budget counts from backend.started, the probe reads from its own since, a little
    # later: neither read may reset the other's state nor throttle it into an empty answer.
    backend = aws.backend(budget=10)
    started = aws.clock.t
    events = _starts(1, started + 0.5)["events"] + [
        {
            "eventId": "9",
            "logStreamName": "s",
            "timestamp": int((started + 1) * 1000),
            "message": "Sending count 3",
        },
    ]
    aws.ok("logs", "filter_log_events", {"events": events})
    assert backend.observer.starts(started) == 1
    aws.ok("cloudwatch", "get_metric_data", {"MetricDataResults": []})
    aws.ok("logs", "filter_log_events", {"events": events})
    assert backend.observer.observations(started + 0.001).counters_sent == [3]
    aws.ok("logs", "filter_log_events", {"events": events})
    assert backend.observer.starts(started) == 1
    assert backend.observer.observations(started + 0.001).counters_sent == [3]  # throttled
    aws.done()


def test_after_a_trip_a_mapping_finally_disabled_is_not_turned_back_on(aws: Aws) -> None:
    # dlq-reconnect: the DLQ mapping is Enabled when the brake fires, and finally runs
    # `disconnect dlq`; releasing the brake must not turn the DLQ trigger back on.
    backend = aws.backend(budget=1, params=QUIET)
    aws.ok("logs", "filter_log_events", _starts(2, aws.clock.t))
    aws.ok(
        "lambda",
        "put_function_concurrency",
        {"ReservedConcurrentExecutions": 0},
        FunctionName=FN_NAME,
        ReservedConcurrentExecutions=0,
    )
    for uuid in (DLQ_UUID, MAIN_UUID):
        aws.ok("lambda", "get_event_source_mapping", {"UUID": uuid, "State": "Enabled"})
        aws.ok("lambda", "update_event_source_mapping", {"UUID": uuid}, UUID=uuid, Enabled=False)
    aws.ok("lambda", "get_function_configuration", {"FunctionName": FN_NAME, "Timeout": 6})
    with pytest.raises(BudgetSpent):
        backend.advance(30)
    # finally: disconnect dlq.
    aws.ok(
        "lambda", "update_event_source_mapping", {"UUID": DLQ_UUID}, UUID=DLQ_UUID, Enabled=False
    )
    aws.ok("lambda", "get_event_source_mapping", {"UUID": DLQ_UUID, "State": "Disabled"})
    backend.set_mapping(FUNCTION, DLQ, False)
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    aws.counts(0, 0, DLQ_URL)
    aws.counts(0, 0)
    aws.ok("logs", "filter_log_events", _starts(2, aws.clock.t))
    aws.ok("lambda", "delete_function_concurrency", {}, FunctionName=FN_NAME)
    aws.ok(
        "lambda", "update_event_source_mapping", {"UUID": MAIN_UUID}, UUID=MAIN_UUID, Enabled=True
    )
    done = backend.finish()["budget"]
    assert "restore_errors" not in done
    assert done["mappings_restored"] == ["RecursiveEventSourceMappingSQSQueue"]
    assert done["mappings_left_as_requested"] == {
        "RecursiveEventSourceMappingSQSDeadLetterQueue": "Disabled"
    }
    aws.done()  # no UpdateEventSourceMapping Enabled=True on the DLQ's mapping


def _guards_pass(aws: Aws) -> None:
    aws.ok("sts", "get_caller_identity", {"Account": ACCOUNT, "Arn": "arn:aws:iam::1:user/u"})
    for lid in (DLQ, QUEUE):
        aws.ok(
            "sqs", "get_queue_attributes", {"Attributes": {"QueueArn": aws.record.queue_arn(lid)}}
        )
    aws.ok("lambda", "get_function_configuration", {"FunctionName": FN_NAME})
    for uuid, queue in ((MAIN_UUID, QUEUE), (DLQ_UUID, DLQ)):
        aws.ok(
            "lambda",
            "get_event_source_mapping",
            {
                "UUID": uuid,
                "EventSourceArn": aws.record.queue_arn(queue),
                "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN_NAME}",
            },
        )


def test_a_stack_deployed_with_loop_protection_off_is_refused_without_the_flag(aws: Aws) -> None:
    _guards_pass(aws)
    aws.ok(
        "lambda",
        "get_function_recursion_config",
        {"RecursiveLoop": "Allow"},
        FunctionName=FN_NAME,
    )
    with pytest.raises(GuardError) as caught:
        aws.backend(verify=True)
    message = str(caught.value)
    assert f"{FN_NAME}" in message and "RecursiveLoop Allow" in message
    assert "--allow-recursion" in message and "recursiveLoop=Terminate" in message
    aws.done()  # nothing but reads


def test_with_the_flag_a_stack_deployed_at_allow_is_left_as_deployed(aws: Aws) -> None:
    _guards_pass(aws)
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Allow"})
    backend = aws.backend(verify=True, allow_recursion=True)
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Allow"})
    done = backend.finish()["recursion"]
    assert done["deployed"] == {FUNCTION: "Allow"}
    assert done["left"] == {FUNCTION: "Allow"} and done["restored_to_terminate"] == []
    aws.done()


def test_a_stack_deployed_at_terminate_opens_without_the_flag(aws: Aws) -> None:
    _guards_pass(aws)
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    aws.backend(verify=True)
    aws.done()


# -- review findings: busy resources, recursion intent, endpoints, the region -------------


def test_a_mapping_in_conflict_is_retried_with_backoff_then_confirmed(aws: Aws) -> None:
    backend = aws.backend()
    for _ in range(2):  # Lambda: "another operation is in progress" (HTTP 409)
        aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    aws.ok("lambda", "update_event_source_mapping", {"UUID": DLQ_UUID}, UUID=DLQ_UUID, Enabled=True)
    aws.ok("lambda", "get_event_source_mapping", {"UUID": DLQ_UUID, "State": "Enabled"})
    backend.set_mapping(FUNCTION, DLQ, True)
    assert aws.clock.slept[:2] == [1.0, 2.0]  # backoff on the backend's clock
    aws.done()


def test_a_mapping_busy_past_the_bound_fails_naming_it_and_the_way_out(aws: Aws) -> None:
    backend = aws.backend(params=AwsParams(busy_timeout=10))
    for _ in range(5):  # waits 1, 2, 4, then the 3 s left: 10 s
        aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    with pytest.raises(AwsCallError) as caught:
        backend.set_mapping(FUNCTION, DLQ, False)
    message = str(caught.value)
    assert DLQ_UUID in message and "still busy" in message
    assert f"invoke kill-switch --stage {STAGE}" in message
    assert aws.clock.t - 1_700_000_000.0 == pytest.approx(10)
    aws.done()


def test_the_kill_switch_waits_out_a_conflict_and_shows_the_wait(aws: Aws) -> None:
    from looplab.backends.aws import Busy

    for _ in range(5):  # a deploy is updating the function: waits 1, 2, 4, 8, 15 s
        aws.error("lambda", "put_function_concurrency", "ResourceConflictException", 409)
    aws.ok(
        "lambda",
        "put_function_concurrency",
        {"ReservedConcurrentExecutions": 0},
        FunctionName=FN_NAME,
        ReservedConcurrentExecutions=0,
    )
    aws.error("lambda", "update_event_source_mapping", "ResourceInUseException")
    for uuid in (DLQ_UUID, MAIN_UUID):
        aws.ok("lambda", "update_event_source_mapping", {"UUID": uuid}, UUID=uuid, Enabled=False)
    for url in (DLQ_URL, QUEUE_URL):
        aws.ok("sqs", "purge_queue", {}, QueueUrl=url)
    notes: list[str] = []
    busy = Busy(aws.calls, aws.clock.now, aws.clock.sleep, progress=notes.append)
    actions = kill_switch(aws.calls, aws.record, busy=busy)
    assert all(a.ok for a in actions), [a.result for a in actions if not a.ok]
    assert aws.clock.slept == [1.0, 2.0, 4.0, 8.0, 15.0, 1.0]
    assert notes and "PutFunctionConcurrency" in notes[0] and "ResourceConflict" in notes[0]
    aws.done()


def test_the_kill_switch_never_gives_up_silently_on_a_busy_mapping(aws: Aws) -> None:
    from looplab.backends.aws import Busy

    aws.ok(
        "lambda",
        "put_function_concurrency",
        {"ReservedConcurrentExecutions": 0},
        FunctionName=FN_NAME,
        ReservedConcurrentExecutions=0,
    )
    for _ in range(5):
        aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    aws.ok(
        "lambda", "update_event_source_mapping", {"UUID": MAIN_UUID}, UUID=MAIN_UUID, Enabled=False
    )
    for url in (DLQ_URL, QUEUE_URL):
        aws.ok("sqs", "purge_queue", {}, QueueUrl=url)
    busy = Busy(aws.calls, aws.clock.now, aws.clock.sleep, AwsParams(busy_timeout=10))
    actions = kill_switch(aws.calls, aws.record, busy=busy)
    failed = [a for a in actions if not a.ok]
    assert len(failed) == 1 and DLQ_UUID in failed[0].resource
    assert "still busy" in failed[0].result and "Lambda console" in failed[0].result
    assert sum(a.ok for a in actions) == 4  # the other mapping and the purges still ran
    aws.done()


def test_the_budget_s_brake_waits_out_a_busy_mapping(aws: Aws) -> None:
    backend = aws.backend(budget=10, params=QUIET)
    aws.ok("logs", "filter_log_events", _starts(12, aws.clock.t))
    aws.ok(
        "lambda",
        "put_function_concurrency",
        {"ReservedConcurrentExecutions": 0},
        FunctionName=FN_NAME,
        ReservedConcurrentExecutions=0,
    )
    for uuid, state in ((DLQ_UUID, "Disabled"), (MAIN_UUID, "Updating")):
        aws.ok("lambda", "get_event_source_mapping", {"UUID": uuid, "State": state})
        if uuid == MAIN_UUID:
            aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
        aws.ok("lambda", "update_event_source_mapping", {"UUID": uuid}, UUID=uuid, Enabled=False)
    actions = backend.brake()
    assert all(a["ok"] for a in actions), actions
    aws.done()


def test_a_recursion_put_whose_reply_is_lost_is_still_restored_and_journalled(aws: Aws) -> None:
    backend = aws.backend(allow_recursion=True)
    # AWS applied the Allow, but the reply never came (the call failed after retries).
    aws.error("lambda", "put_function_recursion_config", "ServiceException", 500)
    with pytest.raises(AwsCallError):
        backend.set_recursion(FUNCTION, "Allow")
    aws.ok(
        "lambda",
        "put_function_recursion_config",
        {"RecursiveLoop": "Terminate"},
        FunctionName=FN_NAME,
        RecursiveLoop="Terminate",
    )
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    aws.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": "Terminate"})
    done = backend.finish()["recursion"]
    assert done["restored_to_terminate"] == [FUNCTION]
    assert done["asked"] == [
        {"function": FUNCTION, "mode": "Allow", "confirmed": False},
        {"function": FUNCTION, "mode": "Terminate", "confirmed": True},
    ]
    aws.done()


def _no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in __import__("os").environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_per_service_endpoints_are_journalled_and_judged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from looplab.backends.aws import open_calls

    _no_aws_config(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:5999")
    record = StackRecord.from_dict(fake_record(), "unit.json")
    calls, origin = open_calls(record)
    assert calls.endpoint_url is None and origin == "AWS default endpoints"
    assert calls.endpoints()["lambda"] == "http://127.0.0.1:5999"
    assert calls.emulated("lambda") and not calls.emulated("sqs")
    # The emulator rail: an endpoint without the recursion-config API (404) is tolerated
    # only where the lambda client does not talk to AWS.
    stub = Stubber(calls.client("lambda"))
    stub.add_client_error("get_function_recursion_config", "404", "Not Found", 404)
    stub.activate()
    backend = AwsBackend(record, calls, ManualClock(), mappings=MAPPINGS, verify=False)
    backend._check_deployed_recursion()
    assert "no recursion-config API" in backend.recursion.deployed[FUNCTION]
    info = backend.describe()
    assert info["endpoints"]["lambda"] == "http://127.0.0.1:5999"
    assert info["endpoints"]["sqs"].endswith(".amazonaws.com")
    stub.assert_no_pending_responses()


def test_the_region_configured_is_judged_not_the_record_s_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from looplab.backends.aws import open_calls

    _no_aws_config(monkeypatch, tmp_path)
    record = StackRecord.from_dict(fake_record(), "unit.json")
    # botocore reads AWS_DEFAULT_REGION (and the profile); AWS_REGION is honoured first.
    for name, region in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "us-west-2")):
        monkeypatch.setenv(name, region)
        calls, _ = open_calls(record)
        stub = Stubber(calls.client("sts"))  # nothing scripted: any call fails the test
        stub.activate()
        with pytest.raises(GuardError) as caught:
            check_identity(calls, record)
        message = str(caught.value)
        assert f"region {region} (from {name}" in message
        assert f"recorded in {REGION}" in message and f"AWS_REGION={REGION}" in message


def test_no_region_configured_uses_the_record_s_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from looplab.backends.aws import open_calls

    _no_aws_config(monkeypatch, tmp_path)
    record = StackRecord.from_dict(fake_record(), "unit.json")
    calls, _ = open_calls(record)
    assert calls.region == REGION and calls.configured_region is None
    stub = Stubber(calls.client("sts"))
    stub.add_response(
        "get_caller_identity", {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/op"}
    )
    stub.activate()
    check_identity(calls, record)
    backend = AwsBackend(record, calls, ManualClock(), mappings=MAPPINGS, verify=False)
    assert backend.describe()["region_from"] == "the stack record (no region configured)"


def test_a_brake_cut_short_still_leaves_the_trip_in_the_journal(aws: Aws) -> None:
    from looplab.backends.aws import Busy
    from looplab.backends.aws._budget import InvocationBudget

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the brake waits out a busy function

    aws.error("lambda", "put_function_concurrency", "ResourceConflictException", 409)
    budget = InvocationBudget(10)
    with pytest.raises(KeyboardInterrupt):
        budget.trip(aws.calls, aws.record, 5.0, 12, Busy(aws.calls, aws.clock.now, interrupted))
    # The cap may be on: after finally the journal must say the budget tripped (and keep it).
    after = budget.after_finally(aws.calls, aws.record, 12, queues_empty=False)
    assert after["tripped"] is True and after["invocations_at_trip"] == 12
    assert "left at 0" in after["concurrency_cap"]
    aws.done()


def test_the_journal_says_when_only_a_per_service_setting_moves_an_endpoint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from looplab.backends.aws import open_calls

    _no_aws_config(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5998")
    record = StackRecord.from_dict(fake_record(), "unit.json")
    calls, origin = open_calls(record)
    backend = AwsBackend(
        record, calls, ManualClock(), mappings=MAPPINGS, verify=False, endpoint_origin=origin
    )
    info = backend.describe()
    assert "AWS default endpoints" not in info["endpoint_from"]
    assert "sqs" in info["endpoint_from"]
