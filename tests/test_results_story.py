"""The report tells the story first (issue 22 item 1), on mixed runs.

One results folder holds loop-detection runs of every kind: completed (the oldest), failed
with 0 invocations, aborted after 0.13 s, with ``--set counter=7`` (the newest local run),
an aws run whose CloudWatch data is still pending, and an aws run aborted before anything
ran. Only the completed local run enters a comparison and is the picture; every table
says each run's status; the aborted aws run is not "still pending".
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from _support.runs import run_shipped

from looplab.results import collect

COMPLETED = "20261201T100000Z-loop-detection-local"
FAILED = "20261201T110000Z-loop-detection-local"
ABORTED = "20261201T120000Z-loop-detection-local"
SET7 = "20261201T130000Z-loop-detection-local"
AWS_PENDING = "20261201T140000Z-loop-detection-aws"
AWS_ABORTED = "20261201T150000Z-loop-detection-aws"


def _place(results: Path, name: str) -> Path:
    """Rename the run just made (the one folder not named yet) to ``name``."""
    named = {COMPLETED, FAILED, ABORTED, SET7, AWS_PENDING, AWS_ABORTED}
    [made] = [p for p in (results / "runs").iterdir() if p.name not in named]
    made.rename(results / "runs" / name)
    return results / "runs" / name / "journal.json"


def _copy(results: Path, source: Path, name: str, **changes: Any) -> None:
    doc = json.loads(source.read_text())
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    folder = results / "runs" / name
    folder.mkdir()
    (folder / "journal.json").write_text(json.dumps(doc))


def _aws(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``doc`` as an aws run whose CloudWatch figures settle long after now."""
    timeline = dict(doc["timeline"])
    timeline["metrics"] = dict(timeline["metrics"], pending=True, settle_at=4_102_444_800.0)
    return {**doc, "backend": "aws", "timeline": timeline, **changes}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("story") / "results"
    run_shipped(results)
    completed = _place(results, COMPLETED)
    run_shipped(
        results,
        sets={"counter": "7"},
        overrides={"stack_params": {}, "simulator": {}, "sets": {"counter": "7"}},
    )
    _place(results, SET7)
    doc = json.loads(completed.read_text())
    failed_exps = [dict(e, passed=False, actual=0) for e in doc["expectations"]]
    zero = {"invocations": 0, "errors": 0, "recursive_invocations_dropped": 0}
    _copy(results, completed, FAILED, status="failed", expectations=failed_exps, observations=zero)
    _copy(
        results,
        completed,
        ABORTED,
        status="aborted",
        reason="step 2 (seed): refused",
        expectations=[],
        observations=zero,
        clock={"start": doc["clock"]["start"], "elapsed": 0.0, "wall_seconds": 0.13},
    )
    for name, changes in (
        (AWS_PENDING, {}),
        (
            AWS_ABORTED,
            {
                "status": "aborted",
                "expectations": [],
                "observations": zero,
                "timeline": {
                    **_aws(doc)["timeline"],
                    "invocations": None,
                    "drops": None,
                    "queue_samples": None,
                },
            },
        ),
    ):
        folder = results / "runs" / name
        folder.mkdir()
        (folder / "journal.json").write_text(json.dumps(_aws(doc, **changes)))
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and not outcome.skipped, outcome.skipped
    return results


def _tables(md: str) -> list[list[str]]:
    """Every Markdown table of ``md``, as its lines."""
    tables, current = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def test_the_headline_counts_only_the_completed_run(mixed: Path) -> None:
    md = (mixed / "report.md").read_text()
    headline = _tables(md)[0]
    assert headline[0] == (
        "| the post's run | what the post saw | the local simulator | AWS | same / different "
        "| status |"
    )
    assert headline[2] == (
        "| 1. The loop | stopped after 16 invocations, last counter 21 | invocations 16; "
        "stopped at 21; errors 0; dropped 1; log streams 2 | metrics pending | the local "
        "simulator: same; AWS: metrics pending | the local simulator: 1 completed, 1 failed, "
        "1 aborted, 1 with overrides (only completed runs without overrides are compared); "
        "AWS: 1 completed (metrics pending), 1 aborted (only completed runs without "
        "overrides are compared) |"
    )
    # The post's other runs had no run here: said so, in the post's order.
    assert [row.split(" | ")[0] for row in headline[2:]] == [
        "| 1. The loop",
        "| 2. With a DLQ",
        "| 3. The DLQ as a second trigger",
        "| 4. Protection off",
    ]
    assert headline[3] == (
        '| 2. With a DLQ | after 120 s the DLQ held {"counter": 26} | no run | no run '
        "| the local simulator: no run; AWS: no run | the local simulator: no run; AWS: no run |"
    )


def test_every_table_has_a_status_column(mixed: Path) -> None:
    md = (mixed / "report.md").read_text()
    tables = _tables(md)
    assert len(tables) >= 4  # headline, comparison, loop shapes, runs (+ overrides group)
    for table in tables:
        assert " status |" in table[0], table[0]
    html = (mixed / "report.html").read_text()
    heads = html.split("<thead>")[1:]
    assert len(heads) == len(tables)
    assert all("<th>status</th>" in h.split("</thead>")[0] for h in heads)


def test_run_tables_say_each_status(mixed: Path) -> None:
    md = (mixed / "report.md").read_text()
    runs = md.split("## The runs", 1)[1]
    status = {}
    for line in runs.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 3 and cells[0].startswith("2026"):
            status[cells[0]] = cells[2]
    assert status == {
        COMPLETED: "completed",
        FAILED: "failed",
        ABORTED: "aborted",
        SET7: "completed",
        AWS_PENDING: "completed (metrics pending)",
        AWS_ABORTED: "aborted",
    }
    # The --set run is tabled apart, labelled with its override.
    assert runs.index("#### With overrides: `--set counter=7`") < runs.index(SET7)


def test_the_picture_is_the_newest_completed_run_without_overrides(mixed: Path) -> None:
    md = (mixed / "report.md").read_text()
    pictures = [x for x in md.splitlines() if x.startswith("![")]
    assert pictures[0] == (
        f"![loop-detection on local: {COMPLETED}](runs/{COMPLETED}/timeline.png)"
    )
    assert not any(SET7 in p or FAILED in p or ABORTED in p for p in pictures)


def test_a_run_that_ran_nothing_is_not_pending(mixed: Path) -> None:
    md = (mixed / "report.md").read_text()
    pending = md.split("## Still pending", 1)[1].split("\n## ", 1)[0]
    assert AWS_PENDING in pending and AWS_ABORTED not in pending
    with open(mixed / "runs.csv", newline="") as f:
        rows = {r["run"]: r for r in csv.DictReader(f)}
    assert rows[AWS_PENDING]["pending"] == "yes" and rows[AWS_ABORTED]["pending"] == "no"


def test_the_dlq_column_says_what_the_dlq_held(mixed: Path) -> None:
    """loop-detection does not drain its DLQ: the run table said nothing while the Loop
    shapes table said "DeadLetterQueue: 1 held"."""
    md = (mixed / "report.md").read_text()
    runs = md.split("## The runs", 1)[1]
    [row] = [x for x in runs.splitlines() if x.startswith(f"| {COMPLETED} |")]
    assert "| 1 (not drained) |" in row
    with open(mixed / "runs.csv", newline="") as f:
        rows = {r["run"]: r for r in csv.DictReader(f)}
    assert rows[COMPLETED]["dlq_held"] == "1"


def test_formats_write_only_what_is_asked(mixed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "results"
    shutil.copytree(mixed, copy)
    out = tmp_path / "out"
    outcome = collect(copy, out=out, cloudwatch=None, formats=["csv", "json"])
    assert outcome.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "runs.csv"]
    doc = json.loads((out / "report.json").read_text())
    assert doc["post"] == {
        "title": "Testing AWS Lambda Infinite Loop Protection",
        "date": "21 July 2023",
    }
    assert [h["scenario"] for h in doc["headline"]] == [
        "loop-detection",
        "dlq-capture",
        "dlq-reconnect",
        "protection-off",
    ]
    assert doc["backends"] == ["local", "aws"] and len(doc["runs"]) == 6
    [scenario] = doc["scenarios"]
    assert scenario["compared_runs"] == 1
    only_md = collect(copy, out=tmp_path / "md", cloudwatch=None, formats=("md",))
    assert [p.name for p in only_md.written] == ["report.md"]
    with pytest.raises(ValueError, match="--format pdf: choose from md, html, csv, json"):
        collect(copy, cloudwatch=None, formats=["pdf"])


def test_the_command_takes_formats(
    mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from looplab.results.cli import collect_command

    copy = tmp_path / "results"
    shutil.copytree(mixed, copy)
    out = tmp_path / "out"
    assert collect_command(copy, out=out, formats="md,json") == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
    assert collect_command(copy, out=tmp_path / "x", formats=["html", "pdf"]) == 2
    assert "--format pdf: choose from md, html, csv, json" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_undocumented_section_has_its_place(mixed: Path) -> None:
    """Issue 21's "What AWS does not document, measured" goes after the loop shapes and
    before the runs, in both reports, when the context carries it (left out while empty)."""
    import io

    from looplab.results._report import render, report_context

    outcome = collect(mixed, cloudwatch=None, formats=["csv"])
    context = report_context(mixed, outcome.runs, [], [], {})
    question = {
        "question": "How does a stopped event count in InvokedEventCount?",
        "columns": ["backend", "run", "value", "status"],
        "rows": [["the local simulator", COMPLETED, "not counted (SimParams default)", "ok"]],
    }
    for kind in ("md", "html"):
        empty = io.StringIO()
        render(context, kind, empty)
        assert "What AWS does not document" not in empty.getvalue()
        out = io.StringIO()
        render({**context, "undocumented": [question]}, kind, out)
        text = out.getvalue()
        at = text.index("What AWS does not document, measured")
        assert text.index("Loop shapes") < at < text.index("The runs")
        assert "How does a stopped event count in InvokedEventCount?" in text
