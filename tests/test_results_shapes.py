"""collect-results' "Loop shapes" table from synthetic journals: each run by its stack, where
each chain stopped (per function), and what reached a DLQ or destination."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from looplab.journal import SCHEMA_VERSION, read_journal
from looplab.results import collect
from looplab.results._summary import summarise


def _journal(results: Path, run: str, **doc: Any) -> Path:
    folder = results / "runs" / run
    folder.mkdir(parents=True)
    base: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "backend": "local",
        "status": "completed",
        "started_at": "2026-12-01T00:00:00Z",
        "ended_at": "2026-12-01T00:01:00Z",
        "expectations": [{"check": "invocations", "passed": True}],
        "steps": [],
    }
    base.update(doc)
    path = folder / "journal.json"
    path.write_text(json.dumps(base))
    return path


def _obs(by_function: dict[str, tuple[int, int]], **more: Any) -> dict[str, Any]:
    return {
        "invocations": sum(r for r, _ in by_function.values()),
        "recursive_invocations_dropped": sum(d for _, d in by_function.values()),
        "errors": 0,
        "by_function": {
            f: {"invocations": r, "recursive_invocations_dropped": d}
            for f, (r, d) in by_function.items()
        },
        **more,
    }


def _make(results: Path) -> None:
    _journal(
        results,
        "20261201T000000Z-sns-loop-local",
        scenario="sns-loop",
        stack="sns",
        observations=_obs(
            {"RelayLambdaFunction": (16, 1)},
            drained={"RelayDeadLetterQueue": [{"body": '{"counter": 16}', "counter": 16}]},
            async_by_function={"RelayLambdaFunction": {"async_events_received": 17}},
            by_topic={"LoopTopic": {"published": 17, "delivered": 17, "failed": 0}},
        ),
    )
    _journal(
        results,
        "20261201T000100Z-chain-loop-local",
        scenario="chain-loop",
        stack="chain",
        observations=_obs(
            {"FirstLambdaFunction": (16, 1), "SecondLambdaFunction": (16, 0)},
            queues={
                "Q1": {"visible": 0, "in_flight": 0, "delayed": 0},
                "Q1DeadLetterQueue": {"visible": 1, "in_flight": 0, "delayed": 0},
                "Q2DeadLetterQueue": {"visible": 0, "in_flight": 0, "delayed": 0},
            },
        ),
    )
    _journal(
        results,
        "20261201T000200Z-lambda-loop-local",
        scenario="lambda-loop",
        stack="lambda",
        observations=_obs(
            {"RelayLambdaFunction": (16, 1)},
            async_by_function={
                "RelayLambdaFunction": {
                    "async_events_received": 17,
                    "destination_delivery_failures": 1,
                }
            },
        ),
    )
    # A journal from before issue 13: no stack, so the post's.
    _journal(
        results,
        "20261201T000300Z-loop-detection-local",
        scenario="loop-detection",
        observations=_obs({"RecursiveLambdaFunction": (16, 1)}),
    )


def test_each_run_says_where_its_chain_stopped_and_what_reached_a_dlq(tmp_path: Path) -> None:
    _make(tmp_path)
    rows = {
        p.parent.name.split("-", 1)[1]: summarise(read_journal(p), "x")
        for p in (tmp_path / "runs").glob("*/journal.json")
    }
    sns = rows["sns-loop-local"]
    assert sns.stack == "sns"
    assert sns.per_function == "RelayLambdaFunction 16 ran, 1 dropped"
    assert sns.reached == "RelayDeadLetterQueue: 1 (counter 16)"
    chain = rows["chain-loop-local"]
    assert chain.per_function == (
        "FirstLambdaFunction 16 ran, 1 dropped; SecondLambdaFunction 16 ran, 0 dropped"
    )
    assert chain.reached == "Q1DeadLetterQueue: 1 held"  # Q1 is no dead end; Q2's DLQ is empty
    assert rows["lambda-loop-local"].reached == "RelayLambdaFunction: 1 destination failed"
    assert rows["loop-detection-local"].stack == "sqs"


def test_the_report_has_a_loop_shapes_table_in_shape_order(tmp_path: Path) -> None:
    _make(tmp_path)
    result = collect(tmp_path, cloudwatch=None)
    assert result.exit_code == 0, result.message
    md = (tmp_path / "report.md").read_text()
    section = md.split("## Loop shapes", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    header, *body = lines
    assert "where the chain stopped (per function)" in header
    assert [line.split(" | ")[0].strip("| ") for line in body] == ["sqs", "sns", "lambda", "chain"]
    assert "RelayDeadLetterQueue: 1 (counter 16)" in section
    html = (tmp_path / "report.html").read_text()
    assert 'id="loop-shapes"' in html and "Q1DeadLetterQueue: 1 held" in html
    with (tmp_path / "runs.csv").open() as f:
        stacks = {row["scenario"]: row["stack"] for row in csv.DictReader(f)}
    assert stacks == {
        "sns-loop": "sns",
        "chain-loop": "chain",
        "lambda-loop": "lambda",
        "loop-detection": "sqs",
    }
