"""AWS lateness: a run that ended with CloudWatch still pending gets its settled values
with ONE GetMetricData call (botocore's Stubber answers it and counts), in collected.json
beside the journal; the journal is never modified; without credentials the rest is still
reported and the report says what stayed pending."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from looplab.journal import cloudwatch_queries
from looplab.results import COLLECTED_NAME, collect

START = 1_764_590_400.0  # 2025-12-01 12:00 UTC, the run's start on the aws clock
QUERIES = cloudwatch_queries(["looplab-dev-recursive"], ["looplab-dev-queue", "looplab-dev-dlq"])


def aws_journal(results: Path, settle_at: float = 1.0) -> Path:
    """A journal as an aws run that ended seconds after its last invocation leaves it."""
    folder = results / "runs" / "20251201T120000Z-loop-detection-aws"
    folder.mkdir(parents=True)
    doc = {
        "schema_version": 2,
        "scenario": "loop-detection",
        "backend": "aws",
        "status": "completed",
        "phase": "done",
        "started_at": "2025-12-01T12:00:00.000Z",
        "ended_at": "2025-12-01T12:01:10.000Z",
        "pid": 1,
        "host": "ci",
        "clock": {"start": START, "elapsed": 70.0, "wall_seconds": 70.0},
        "steps": [],
        "finally": [],
        "expectations": [{"check": "invocations", "passed": True}],
        # CloudWatch had not published the last minute yet: 9 of the 16 invocations.
        "observations": {"invocations": 9, "errors": 0, "recursive_invocations_dropped": 0},
        "definition": {"stack": {"region": "eu-central-1"}},
        "timeline": {
            "window": [START, START + 70.0],
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
    stamps = [datetime(2025, 12, 1, 12, 0, tzinfo=UTC), datetime(2025, 12, 1, 12, 1, tzinfo=UTC)]
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
                    "StartTime": datetime(2025, 12, 1, 12, 0, tzinfo=UTC),
                    "EndTime": datetime(2025, 12, 1, 12, 2, tzinfo=UTC),
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
