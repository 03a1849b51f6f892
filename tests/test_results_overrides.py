"""Runs with overrides in the report (review finding 7).

The post's figures are the default parameters'. A run with ``--sim`` / ``--param`` /
``--set`` overrides (the journal's ``definition.overrides``) is reported as such: its
overrides in runs.csv and in the tables, grouped apart, never in the "vs post" comparison
and not the scenario's image when a run without overrides has one.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from _support.runs import run_shipped

from looplab.journal import read_journal
from looplab.results import RUNS_CSV_COLUMNS, collect
from looplab.results._collect import CACHE_NAME
from looplab.results._post import compare
from looplab.results._summary import summarise

ROOT = Path(__file__).parent.parent
DEFAULT = "20261201T100000Z-loop-detection-local"
OVERRIDDEN = "20261201T110000Z-loop-detection-local"  # newer: it would be the image
SIM30 = "--sim recursion_threshold=30"
CSV_SIM30 = "'" + SIM30  # runs.csv quotes a text cell starting with "-" for spreadsheets


def _run(results: Path, folder: str, sim: dict[str, int] | None) -> None:
    run_shipped(results, sim=sim, overrides={"stack_params": {}, "simulator": dict(sim or {})})
    [made] = [p for p in (results / "runs").iterdir() if p.name not in (DEFAULT, OVERRIDDEN)]
    made.rename(results / "runs" / folder)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """loop-detection as the post ran it, then with recursion_threshold=30."""
    results = tmp_path_factory.mktemp("overrides") / "results"
    _run(results, DEFAULT, None)
    _run(results, OVERRIDDEN, {"recursion_threshold": 30})
    outcome = collect(results, cloudwatch=None)
    assert outcome.exit_code == 0 and not outcome.skipped
    by_run = {r.run: r for r in outcome.runs}
    # The override changed what the run saw: otherwise this file tests nothing.
    assert by_run[DEFAULT].invocations == 16
    assert by_run[OVERRIDDEN].invocations not in (None, 16)
    return results


@pytest.fixture
def results(both: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "results"
    shutil.copytree(both, copy)
    return copy


def csv_rows(results: Path) -> dict[str, dict[str, str]]:
    with open(results / "runs.csv", newline="") as f:
        return {r["run"]: r for r in csv.DictReader(f)}


def test_runs_csv_has_an_overrides_column(both: Path) -> None:
    # Columns are only ever appended: dlq_held (issue 22) came after overrides.
    assert RUNS_CSV_COLUMNS[-2:] == ("overrides", "dlq_held")
    with open(both / "runs.csv", newline="") as f:
        assert next(csv.reader(f))[-2:] == ["overrides", "dlq_held"]
    rows = csv_rows(both)
    assert rows[DEFAULT]["overrides"] == ""
    assert rows[OVERRIDDEN]["overrides"] == CSV_SIM30


def test_the_post_comparison_uses_only_runs_without_overrides(both: Path) -> None:
    md = (both / "report.md").read_text()
    assert (
        "| invocations | 16 | the local simulator | 16 | same | 1 completed, 1 with overrides "
        "(only completed runs without overrides are compared) |"
    ) in md
    assert "16-" not in md and "(2 runs)" not in md
    by_run = {r.run: r for r in collect(both, cloudwatch=None).runs}
    [invocations, *_] = compare("loop-detection", list(by_run.values()))
    assert invocations.by_backend["local"] == "16" and invocations.difference["local"] == "same"


def test_runs_with_overrides_are_grouped_and_labelled(both: Path) -> None:
    md = (both / "report.md").read_text()
    section = md.split("## The runs", 1)[1].split("### loop-detection", 1)[1]
    before, heading, after = section.partition(f"#### With overrides: `{SIM30}`")
    assert heading, "no labelled group for the overridden run"
    assert DEFAULT in before and OVERRIDDEN not in before
    assert OVERRIDDEN in after and "not compared with the post" in after
    html = (both / "report.html").read_text()
    assert f"With overrides: <code>{SIM30}</code>" in html
    body = html.split('id="runs-s-loop-detection"', 1)[1]
    assert body.index(DEFAULT) < body.index("With overrides") < body.index(OVERRIDDEN)


def test_the_loop_shapes_table_shows_overrides(both: Path) -> None:
    md = (both / "report.md").read_text()
    shapes = md.split("## Loop shapes", 1)[1].split("\n## ", 1)[0]
    assert "| overrides |" in shapes
    [line] = [x for x in shapes.splitlines() if OVERRIDDEN in x]
    assert SIM30 in line


def test_the_image_is_from_a_run_without_overrides(both: Path) -> None:
    md = (both / "report.md").read_text()
    assert f"(runs/{DEFAULT}/timeline.png)" in md
    assert f"runs/{OVERRIDDEN}/timeline.png" not in md
    html = (both / "report.html").read_text()
    assert f'alt="Timeline of loop-detection on local: {DEFAULT}"' in html
    assert f"local: {OVERRIDDEN}" not in html.split("<figure>", 1)[1]


def test_only_overridden_runs_say_so(results: Path) -> None:
    shutil.rmtree(results / "runs" / DEFAULT)
    assert collect(results, cloudwatch=None).exit_code == 0
    md = (results / "report.md").read_text()
    assert (
        "| invocations | 16 | the local simulator | no run without overrides |  | 1 with "
        "overrides (only completed runs without overrides are compared) |"
    ) in md
    assert f"(runs/{OVERRIDDEN}/timeline.png)" in md
    assert f"on local: {OVERRIDDEN} (failed; with overrides: {SIM30})" in md


def test_every_kind_of_override_the_journal_records(results: Path) -> None:
    path = results / "runs" / OVERRIDDEN / "journal.json"
    doc = json.loads(path.read_text())
    doc["definition"]["overrides"] = {
        "simulator": {"recursion_threshold": 30},
        "stack_params": {"maxReceiveCount": "3"},
        "sets": {"seed": 7},
        "empty": {},
    }
    path.write_text(json.dumps(doc))
    summary = summarise(read_journal(path), "x")
    assert (
        summary.overrides == "--param maxReceiveCount=3 --sim recursion_threshold=30 --set seed=7"
    )
    doc["definition"]["overrides"] = {"stack_params": {}, "simulator": {}}
    path.write_text(json.dumps(doc))
    assert summarise(read_journal(path), "x").overrides == ""


def test_a_cache_from_before_overrides_is_not_trusted(results: Path) -> None:
    """A summary cached before the overrides column would say "none" for every run."""
    cache = json.loads((results / CACHE_NAME).read_text())
    for entry in cache["runs"].values():
        entry["summary"].pop("overrides")
    cache["version"] -= 1
    (results / CACHE_NAME).write_text(json.dumps(cache))
    collect(results, cloudwatch=None)
    assert csv_rows(results)[OVERRIDDEN]["overrides"] == CSV_SIM30
