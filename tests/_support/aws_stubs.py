"""The aws backend on botocore's Stubber: stubbed clients, and AWS's replies by name.

moto has no recursion-config API, jumps mapping states straight to Enabled/Disabled and
publishes no metrics; the test_backend_aws_stubbed*.py files script AWS's replies instead
(the Stubber also checks every request and reply against botocore's shapes). Each helper
here scripts one reply the way those tests need it, so a test states only what differs.
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from _support.fakes import (
    ACCOUNT,
    DLQ,
    DLQ_UUID,
    MAIN_UUID,
    MAPPINGS,
    QUEUE,
    REGION,
    STAGE,
    ManualClock,
    fake_record,
)
from looplab.backends.aws import AwsBackend, AwsParams, Calls, StackRecord

__all__ = [
    "DLQ_URL",
    "FN_NAME",
    "QUEUE_URL",
    "QUIET",
    "Aws",
    "metric_reply",
    "no_aws_config",
    "starts",
]

FN_NAME = f"looplab-{STAGE}-recursive"
QUEUE_URL = fake_record()["resources"][QUEUE]["physicalId"]
DLQ_URL = fake_record()["resources"][DLQ]["physicalId"]
QUIET = AwsParams(queue_settle_seconds=0)


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
        services = ("sqs", "lambda", "cloudwatch", "logs", "sts", "cloudformation")
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
        """The next ``method`` call answers ``reply``; with ``params``, it must ask exactly that."""
        self.stub[service].add_response(method, reply or {}, params or None)

    def error(self, service: str, method: str, code: str, status: int = 400) -> None:
        self.stub[service].add_client_error(method, code, f"{code} (scripted)", status)

    def done(self) -> None:
        for stub in self.stub.values():
            stub.assert_no_pending_responses()

    # -- sts and the guards -----------------------------------------------------------------

    def identity(
        self, account: str = ACCOUNT, arn: str = "arn:aws:iam::1:user/u", **reply: Any
    ) -> None:
        self.ok("sts", "get_caller_identity", {"Account": account, "Arn": arn, **reply})

    def guards_pass(self) -> None:
        """Every read ``verify=True`` makes before the recursion check, all as recorded."""
        self.identity()
        self.queue_arns()
        self.function_config()
        for uuid, queue in ((MAIN_UUID, QUEUE), (DLQ_UUID, DLQ)):
            self.mapping(
                uuid,
                EventSourceArn=self.record.queue_arn(queue),
                FunctionArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN_NAME}",
            )

    # -- cloudformation: the stack the kill switch checks the record against ----------------

    def stack(
        self,
        resources: dict[str, dict[str, str]] | None = None,
        stack_id: str | None = None,
        page_size: int = 100,
    ) -> None:
        """DescribeStacks names the stack ``stack_id`` (default: the recorded one), and
        ListStackResources lists ``resources`` (default: the record's), ``page_size`` a page."""
        record = self.record
        when = datetime(2026, 12, 1, tzinfo=UTC)
        self.ok(
            "cloudformation",
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": record.stack_name,
                        "StackId": stack_id or record.stack_id,
                        "CreationTime": when,
                        "StackStatus": "UPDATE_COMPLETE",
                    }
                ]
            },
            StackName=record.stack_name,
        )
        rows = [
            {
                "LogicalResourceId": lid,
                "PhysicalResourceId": entry["physicalId"],
                "ResourceType": entry["type"],
                "LastUpdatedTimestamp": when,
                "ResourceStatus": "CREATE_COMPLETE",
            }
            for lid, entry in (record.resources if resources is None else resources).items()
        ]
        pages = [rows[i : i + page_size] for i in range(0, len(rows), page_size)] or [[]]
        for i, page in enumerate(pages):
            reply: dict[str, Any] = {"StackResourceSummaries": page}
            if i + 1 < len(pages):
                reply["NextToken"] = f"page-{i + 1}"
            asked = {"StackName": stack_id or record.stack_id}
            if i:
                asked["NextToken"] = f"page-{i}"
            self.ok("cloudformation", "list_stack_resources", reply, **asked)

    # -- sqs --------------------------------------------------------------------------------

    def queue_arns(self) -> None:
        for lid in (DLQ, QUEUE):  # the record lists its queues sorted
            self.ok(
                "sqs",
                "get_queue_attributes",
                {"Attributes": {"QueueArn": self.record.queue_arn(lid)}},
            )

    def counts(self, visible: int = 0, in_flight: int = 0, url: str = QUEUE_URL) -> None:
        attrs = {
            "ApproximateNumberOfMessages": str(visible),
            "ApproximateNumberOfMessagesNotVisible": str(in_flight),
            "ApproximateNumberOfMessagesDelayed": "0",
        }
        self.ok("sqs", "get_queue_attributes", {"Attributes": attrs})

    def purges(self) -> None:
        """The kill switch purges both queues, the DLQ first."""
        for url in (DLQ_URL, QUEUE_URL):
            self.ok("sqs", "purge_queue", {}, QueueUrl=url)

    # -- lambda -----------------------------------------------------------------------------

    def function_config(self, **reply: Any) -> None:
        self.ok("lambda", "get_function_configuration", {"FunctionName": FN_NAME, **reply})

    def mapping(self, uuid: str, **reply: Any) -> None:
        """GetEventSourceMapping of ``uuid`` answers ``reply`` (e.g. ``State="Updating"``)."""
        self.ok("lambda", "get_event_source_mapping", {"UUID": uuid, **reply})

    def update_mapping(self, uuid: str, enabled: bool, **reply: Any) -> None:
        """UpdateEventSourceMapping must ask ``uuid`` Enabled=``enabled``."""
        self.ok(
            "lambda",
            "update_event_source_mapping",
            {"UUID": uuid, **reply},
            UUID=uuid,
            Enabled=enabled,
        )

    def disable_mappings(self) -> None:
        for uuid in (DLQ_UUID, MAIN_UUID):
            self.update_mapping(uuid, False)

    def listed(self, *mappings: tuple[str, str], page_size: int = 100) -> None:
        """ListEventSourceMappings of the function answers ``mappings`` ((UUID, State) each,
        default: the record's two), ``page_size`` a page (NextMarker between pages)."""
        if not mappings:
            mappings = ((MAIN_UUID, "Enabled"), (DLQ_UUID, "Disabled"))
        rows = [
            {
                "UUID": uuid,
                "State": state,
                "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN_NAME}",
                "EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue-of-{uuid[:4]}",
            }
            for uuid, state in mappings
        ]
        pages = [rows[i : i + page_size] for i in range(0, len(rows), page_size)]
        for i, page in enumerate(pages):
            reply: dict[str, Any] = {"EventSourceMappings": page}
            if i + 1 < len(pages):
                reply["NextMarker"] = f"marker-{i + 1}"
            asked = {"FunctionName": FN_NAME} | ({"Marker": f"marker-{i}"} if i else {})
            self.ok("lambda", "list_event_source_mappings", reply, **asked)

    def confirmed(self, *uuids: str) -> None:
        """GetEventSourceMapping reads each of ``uuids`` (default: the record's) Disabled."""
        for uuid in uuids or (DLQ_UUID, MAIN_UUID):
            self.mapping(uuid, State="Disabled")

    def cap(self) -> None:
        """The brake (or the kill switch) caps the function at reserved concurrency 0."""
        self.ok(
            "lambda",
            "put_function_concurrency",
            {"ReservedConcurrentExecutions": 0},
            FunctionName=FN_NAME,
            ReservedConcurrentExecutions=0,
        )

    def put_recursion(self, mode: str) -> None:
        self.ok(
            "lambda",
            "put_function_recursion_config",
            {"RecursiveLoop": mode},
            FunctionName=FN_NAME,
            RecursiveLoop=mode,
        )

    def recursion(self, mode: str, **params: Any) -> None:
        """GetFunctionRecursionConfig answers ``mode``."""
        self.ok("lambda", "get_function_recursion_config", {"RecursiveLoop": mode}, **params)

    def restores_terminate(self) -> None:
        """finish() after an Allow: Terminate put back, confirmed, then read for the journal."""
        self.put_recursion("Terminate")
        self.recursion("Terminate")
        self.recursion("Terminate")

    # -- cloudwatch and logs ----------------------------------------------------------------

    def metrics(self, values: dict[str, float] | None = None, minute: float = 0.0) -> None:
        """GetMetricData answers ``values`` (query id -> value) at ``minute``, or nothing."""
        reply = metric_reply(values, minute) if values else {"MetricDataResults": []}
        self.ok("cloudwatch", "get_metric_data", reply)

    def logs(self, events: list[dict[str, Any]], **reply: Any) -> None:
        """One FilterLogEvents page (``nextToken=`` for a page that is not the last)."""
        self.ok("logs", "filter_log_events", {"events": events, **reply})


def metric_reply(values: dict[str, float], minute: float) -> dict[str, Any]:
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


def starts(n: int, t: float) -> list[dict[str, Any]]:
    """``n`` START lines from ``t`` on: the invocations the budget counts from the logs."""
    ms = int(t * 1000)
    return [
        {
            "eventId": str(i),
            "logStreamName": "s",
            "timestamp": ms + i,
            "message": f"START RequestId: {i} Version: $LATEST",
        }
        for i in range(n)
    ]


def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No profile, region, endpoint or config file: only the test's own settings count."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
