"""collect-results streams (issue 18): one journal held at a time, and timelines drawn only
for the runs whose timeline the report shows (10,000 runs drew 3,018 plots in 600 s at
1.26 GB and wrote no report). The time and memory figures are benchmarks/collect_results.py's.
"""

from __future__ import annotations

import json
import shutil
import weakref
from pathlib import Path
from typing import Any

import pytest
from _support.runs import run_shipped

from looplab.results import _collect as collect_module
from looplab.results import collect

PLAIN = [f"2026120{d}T100000Z-loop-detection-local" for d in (1, 2, 3)]
OVERRIDDEN = "20261204T100000Z-loop-detection-local"  # the newest, but with overrides


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("one") / "results"
    run_shipped(results)
    return results


@pytest.fixture
def many(one: Path, tmp_path: Path) -> Path:
    """Four loop-detection runs (copies of one journal), the newest with overrides, and
    one dlq-capture run; nothing collected yet."""
    results = tmp_path / "results"
    [source] = one.glob("runs/*/journal.json")
    doc = json.loads(source.read_text())
    for name in [*PLAIN, OVERRIDDEN]:
        folder = results / "runs" / name
        folder.mkdir(parents=True)
        run = dict(doc)
        if name == OVERRIDDEN:
            run["definition"] = dict(doc["definition"], overrides={"simulator": {"x": 1}})
        (folder / "journal.json").write_text(json.dumps(run))
    capture = results / "runs" / "20261201T090000Z-dlq-capture-local"
    capture.mkdir()
    (capture / "journal.json").write_text(json.dumps(dict(doc, scenario="dlq-capture")))
    return results


def test_only_the_timelines_the_report_shows_are_drawn(many: Path) -> None:
    outcome = collect(many, cloudwatch=None)
    assert outcome.exit_code == 0 and len(outcome.runs) == 5
    shown = [PLAIN[-1], "20261201T090000Z-dlq-capture-local"]
    assert sorted(outcome.plotted) == sorted(shown)
    drawn = sorted(p.parent.name for p in many.glob("runs/*/timeline.png"))
    assert drawn == sorted(shown)
    md = (many / "report.md").read_text()
    for run in shown:
        assert f"(runs/{run}/timeline.png)" in md
    # Nothing new: nothing drawn. The shown run's journal changed: it alone is redrawn.
    assert collect(many, cloudwatch=None).plotted == []
    shutil.rmtree(many / "runs" / PLAIN[-1])
    assert collect(many, cloudwatch=None).plotted == [PLAIN[-2]]


def test_filters_draw_the_timelines_of_what_they_select(many: Path) -> None:
    outcome = collect(many, scenario="loop-detection", cloudwatch=None)
    assert outcome.plotted == [PLAIN[-1]]


def test_journals_are_not_held_while_collecting(
    many: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each journal read is let go before the next is read (only its summary is kept)."""
    real = collect_module.read_journal
    records: list[weakref.ref[Any]] = []
    most = [0]

    def tracked(path: Path) -> Any:
        most[0] = max(most[0], sum(r() is not None for r in records))
        record = real(path)
        records.append(weakref.ref(record))
        return record

    monkeypatch.setattr(collect_module, "read_journal", tracked)
    assert collect(many, cloudwatch=None).exit_code == 0
    assert len(records) >= 5 and most[0] <= 1, most[0]
