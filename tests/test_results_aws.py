"""AWS lateness: a run that ended with CloudWatch still pending gets its settled values
with one GetMetricData request (every page of it: botocore's Stubber answers and counts),
in collected.json beside the journal; the journal is never modified; without credentials
the rest is still reported and the report says what stayed pending. An answer CloudWatch
marks PartialData stays pending; a run older than 15 or 63 days is asked with the period
CloudWatch still keeps for it (and collected.json says which)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from looplab.journal import cloudwatch_queries
from looplab.results import COLLECTED_NAME, collect

DAY = 86_400.0
# The run's start on the aws clock: a whole hour a day ago, so CloudWatch still keeps its
# 1-minute datapoints (15 days) whenever the tests run.
START = (time.time() // 3600 - 24) * 3600
QUERIES = cloudwatch_queries(["looplab-dev-recursive"], ["looplab-dev-queue", "looplab-dev-dlq"])


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def aws_journal(
    results: Path,
    settle_at: float = 1.0,
    start: float = START,
    backend: dict[str, Any] | None = None,
) -> Path:
    """A journal as an aws run that ended seconds after its last invocation leaves it
    (``backend``: its ``definition.backend``)."""
    folder = results / "runs" / f"{utc(start):%Y%m%dT%H%M%SZ}-loop-detection-aws"
    folder.mkdir(parents=True)
    doc = {
        "schema_version": 2,
        "scenario": "loop-detection",
        "backend": "aws",
        "status": "completed",
        "phase": "done",
        "started_at": f"{utc(start):%Y-%m-%dT%H:%M:%S}.000Z",
        "ended_at": f"{utc(start + 70):%Y-%m-%dT%H:%M:%S}.000Z",
        "pid": 1,
        "host": "ci",
        "clock": {"start": start, "elapsed": 70.0, "wall_seconds": 70.0},
        "steps": [],
        "finally": [],
        "expectations": [{"check": "invocations", "passed": True}],
        # CloudWatch had not published the last minute yet: 9 of the 16 invocations.
        "observations": {"invocations": 9, "errors": 0, "recursive_invocations_dropped": 0},
        "definition": {"stack": {"region": "eu-central-1"}, "backend": backend},
        "timeline": {
            "window": [start, start + 70.0],
            "invocations": None,
            "drops": None,
            "queue_samples": None,
            "metrics": {
                "period": 60,
                "series": [],
                "pending": True,
                "settle_at": settle_at,
                "queries": QUERIES,
            },
            "notes": [],
        },
    }
    path = folder / "journal.json"
    path.write_text(json.dumps(doc, indent=1))
    return path


def reply() -> dict[str, Any]:
    stamps = [utc(START), utc(START + 60)]
    results = []
    for q in QUERIES:
        metric = q["MetricStat"]["Metric"]["MetricName"]
        values = {"Invocations": [9.0, 7.0], "RecursiveInvocationsDropped": [0.0, 1.0]}.get(
            metric, [0.0, 0.0]
        )
        results.append(
            {
                "Id": q["Id"],
                "Label": q["Label"],
                "Timestamps": stamps,
                "Values": values,
                "StatusCode": "Complete",
            }
        )
    return {"MetricDataResults": results, "Messages": []}


class Counted:
    """A stubbed cloudwatch client factory that counts GetMetricData calls."""

    def __init__(self, responses: int = 1) -> None:
        self.calls = 0
        self.client = boto3.client(
            "cloudwatch",
            region_name="eu-central-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        # Counted before the Stubber answers (its before-call handler ends the chain).
        event = "before-parameter-build.cloudwatch.GetMetricData"
        self.client.meta.events.register(event, self._count)
        self.stubber = Stubber(self.client)
        for _ in range(responses):
            self.stubber.add_response(
                "get_metric_data",
                reply(),
                {
                    "MetricDataQueries": QUERIES,
                    "StartTime": utc(START),
                    "EndTime": utc(START + 120),
                    "ScanBy": "TimestampAscending",
                },
            )
        self.stubber.activate()
        self.regions: list[str | None] = []

    def _count(self, **_: Any) -> None:
        self.calls += 1

    def __call__(self, region: str | None) -> Any:
        self.regions.append(region)
        return self.client


def test_one_get_metric_data_per_pending_run_into_collected_json(tmp_path: Path) -> None:
    journal = aws_journal(tmp_path)
    before = hashlib.sha256(journal.read_bytes()).hexdigest()
    factory = Counted(responses=2)
    outcome = collect(tmp_path, cloudwatch=factory)
    assert factory.calls == 1 and factory.regions == ["eu-central-1"]
    assert outcome.pending == []
    collected = json.loads((journal.parent / COLLECTED_NAME).read_text())
    assert collected["ok"] and collected["complete"] and collected["queries"] == QUERIES
    assert collected["totals"]["Invocations"] == 16.0
    assert collected["totals"]["RecursiveInvocationsDropped"] == 1.0
    [run] = outcome.runs
    assert (run.invocations, run.drops, run.pending) == (16, 1, "collected")
    assert hashlib.sha256(journal.read_bytes()).hexdigest() == before  # never modified
    # Collected once: a second collect asks CloudWatch nothing.
    collect(tmp_path, cloudwatch=factory)
    assert factory.calls == 1


def test_without_credentials_the_rest_is_reported_and_pending_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    journal = aws_journal(tmp_path / "results")
    outcome = collect(tmp_path / "results")  # the real boto3 client, no credentials anywhere
    assert outcome.exit_code == 0
    [(run, why)] = outcome.pending
    assert run == journal.parent.name and "NoCredentialsError" in why
    assert not (journal.parent / COLLECTED_NAME).exists()
    [summary] = outcome.runs
    assert (summary.invocations, summary.pending) == (9, "yes")
    md = (tmp_path / "results" / "report.md").read_text()
    assert "Still pending" in md and "NoCredentialsError" in md
    assert "completed (metrics pending)" in md


def test_not_yet_settled_is_not_asked(tmp_path: Path) -> None:
    aws_journal(tmp_path, settle_at=4_102_444_800.0)  # 2100
    factory = Counted(responses=0)
    outcome = collect(tmp_path, cloudwatch=factory)
    assert factory.calls == 0
    [(_, why)] = outcome.pending
    assert "CloudWatch settles after" in why


# -- every page, PartialData, the period CloudWatch still keeps ----------------------------


class Scripted:
    """A cloudwatch client factory whose GetMetricData answers ``replies`` in turn (the
    Stubber checks each request), keeping every request's parameters."""

    def __init__(self, *replies: dict[str, Any]) -> None:
        self.asked: list[dict[str, Any]] = []
        self.client = boto3.client(
            "cloudwatch",
            region_name="eu-central-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.client.meta.events.register(
            "before-parameter-build.cloudwatch.GetMetricData",
            lambda params, **_: self.asked.append(dict(params)),
        )
        self.stubber = Stubber(self.client)
        for answer in replies:
            self.stubber.add_response("get_metric_data", answer)
        self.stubber.activate()

    def __call__(self, region: str | None) -> Any:
        return self.client


def paged(status: str = "Complete") -> list[dict[str, Any]]:
    """reply() cut in two pages: each query's first datapoint, then its second."""
    whole = reply()["MetricDataResults"]
    first = [
        {**r, "Timestamps": r["Timestamps"][:1], "Values": r["Values"][:1], "StatusCode": status}
        for r in whole
    ]
    second = [{**r, "Timestamps": r["Timestamps"][1:], "Values": r["Values"][1:]} for r in whole]
    return [
        {"MetricDataResults": first, "NextToken": "page-2", "Messages": []},
        {"MetricDataResults": second, "Messages": []},
    ]


def test_every_page_is_read_and_joined_by_query(tmp_path: Path) -> None:
    journal = aws_journal(tmp_path)
    factory = Scripted(*paged("PartialData"))
    outcome = collect(tmp_path, cloudwatch=factory)
    assert [a.get("NextToken") for a in factory.asked] == [None, "page-2"]
    assert outcome.pending == []
    collected = json.loads((journal.parent / COLLECTED_NAME).read_text())
    assert collected["ok"] and collected["totals"]["Invocations"] == 16.0
    [invocations] = [r for r in collected["results"] if r["id"] == "m0"]
    assert [p[1] for p in invocations["points"]] == [9.0, 7.0]
    assert invocations["status"] == "Complete"


def test_partial_data_stays_pending_and_is_asked_again(tmp_path: Path) -> None:
    journal = aws_journal(tmp_path)
    partial = reply()
    partial["MetricDataResults"][0]["StatusCode"] = "PartialData"  # and no NextToken
    outcome = collect(tmp_path, cloudwatch=Scripted(partial))
    [(run, why)] = outcome.pending
    assert run == journal.parent.name and "PartialData" in why and "m0" in why
    assert not (journal.parent / COLLECTED_NAME).exists()  # not trusted forever
    [summary] = outcome.runs
    assert summary.pending == "yes" and summary.invocations == 9
    # The next collect asks again, and a complete answer is kept.
    outcome = collect(tmp_path, cloudwatch=Scripted(reply()))
    assert outcome.pending == [] and outcome.runs[0].invocations == 16


@pytest.mark.parametrize(
    ("age_days", "period"),
    [(1, 60), (14, 60), (20, 300), (62, 300), (70, 3600), (400, 3600)],
)
def test_the_period_is_one_cloudwatch_still_keeps_for_the_run_s_age(
    tmp_path: Path, age_days: float, period: int
) -> None:
    start = (time.time() - age_days * DAY) // 3600 * 3600 + 120  # 2 minutes past an hour
    journal = aws_journal(tmp_path, start=start)
    stamp = start // period * period
    answer = {
        "MetricDataResults": [
            {"Id": q["Id"], "Timestamps": [utc(stamp)], "Values": [16.0], "StatusCode": "Complete"}
            for q in QUERIES
            if q["MetricStat"]["Metric"]["MetricName"] == "Invocations"
        ]
    }
    factory = Scripted(answer)
    outcome = collect(tmp_path, cloudwatch=factory)
    [asked] = factory.asked
    assert {q["MetricStat"]["Period"] for q in asked["MetricDataQueries"]} == {period}
    # The window widened to whole periods (CloudWatch rounds StartTime down to them).
    assert asked["StartTime"].timestamp() == stamp
    assert asked["EndTime"].timestamp() % period == 0
    assert asked["EndTime"].timestamp() >= start + 70
    collected = json.loads((journal.parent / COLLECTED_NAME).read_text())
    assert collected["period"] == period and str(period) in collected["period_reason"]
    assert collected["fetched_window"] == [
        asked["StartTime"].timestamp(),
        asked["EndTime"].timestamp(),
    ]
    assert outcome.runs[0].invocations == 16


def test_a_run_older_than_cloudwatch_keeps_anything_is_not_asked(tmp_path: Path) -> None:
    aws_journal(tmp_path, start=time.time() - 500 * DAY)
    factory = Scripted()
    outcome = collect(tmp_path, cloudwatch=factory)
    assert factory.asked == []
    [(_, why)] = outcome.pending
    assert "455 days" in why


def test_a_run_that_kept_out_of_its_start_minute_is_fetched_from_the_next(tmp_path: Path) -> None:
    # The aws backend held the run's first action until its start minute ended and counted
    # from the next (definition.backend.metrics_count_from): collect reads the same minutes,
    # not the start minute an earlier run may have filled.
    start = START + 20
    aws_journal(tmp_path, start=start, backend={"metrics_count_from": "next-minute"})
    factory = Scripted(reply())
    collect(tmp_path, cloudwatch=factory)
    [asked] = factory.asked
    assert asked["StartTime"].timestamp() == START + 60
    # A journal from before (no such key) still counts its start minute.
    aws_journal(tmp_path / "old", start=start)
    factory = Scripted(reply())
    collect(tmp_path / "old", cloudwatch=factory)
    assert factory.asked[0]["StartTime"].timestamp() == START
