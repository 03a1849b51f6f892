"""Timelines that show the loop (issue 22 item 2), checked on the figure's data and the
renderer's text boxes, not on pixels.

The chain of loop-detection runs for ~1.6 s of a 60 s run (dlq-reconnect's for ~1.6 s of
632 s): the zoomed panels span its first and last invocation; count axes tick at
integers; step labels overlap neither each other nor anything else; an aws panel with no
data yet says when CloudWatch publishes; the same journal draws the same PNG bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support.runs import run_shipped

from looplab.journal import read_journal
from looplab.results import plot_data
from looplab.results._draw import figure
from looplab.results._plot import PlotData, draw


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    results = tmp_path_factory.mktemp("timelines")
    journals = {}
    for name in ("loop-detection", "dlq-reconnect"):
        run_shipped(results, name)
        [journals[name]] = results.glob(f"runs/*-{name}-local/journal.json")
    return journals


@pytest.fixture
def fig_of() -> Iterator[Any]:
    from matplotlib import pyplot as plt

    made: list[Any] = []

    def build(data: PlotData) -> Any:
        fig = figure(data)
        made.append(fig)
        fig.canvas.draw()
        return fig

    yield build
    for fig in made:
        plt.close(fig)


def _texts(ax: Any) -> list[Any]:
    return [t for t in ax.texts if t.get_text().strip()]


@pytest.mark.parametrize("name", ["loop-detection", "dlq-reconnect"])
def test_the_zoomed_panels_span_the_chain(made: dict[str, Path], fig_of: Any, name: str) -> None:
    record = read_journal(made[name])
    tl = record.timeline
    data = plot_data(record)
    fig = fig_of(data)
    zoom, counter, _steps, whole, _queues = fig.axes[:5]
    first, last = tl.invocations[0].t, tl.invocations[-1].t
    lo, hi = zoom.get_xlim()
    assert lo <= first and hi >= last and counter.get_xlim() == (lo, hi)
    # ... and zoom: the chain is most of the panel, not its first pixels.
    assert (last - first) / (hi - lo) > 0.8
    assert whole.get_xlim()[1] >= record.elapsed  # the whole run below
    # every invocation of the chain is drawn inside the zoomed panel
    [ran] = [line for line in zoom.get_lines() if line.get_label().startswith("ran:")]
    xs = list(ran.get_xdata())
    assert xs[0] == first and xs[-1] == last and all(lo <= x <= hi for x in xs)


def test_count_axes_have_integer_ticks(made: dict[str, Path], fig_of: Any) -> None:
    fig = fig_of(plot_data(read_journal(made["loop-detection"])))
    for ax in (fig.axes[0], fig.axes[1], fig.axes[3], fig.axes[4]):
        low, high = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if low <= t <= high]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


def test_titles_match_their_axes(made: dict[str, Path], fig_of: Any) -> None:
    fig = fig_of(plot_data(read_journal(made["loop-detection"])))
    for index in (0, 3):
        ax = fig.axes[index]
        [title] = [t.get_text() for t in ax.texts if t.get_position()[1] > 1]
        assert "cumulative" in ax.get_ylabel() and "cumulative" in title
        assert "per minute" not in title  # the journal has every invocation
    [queue_title] = [t.get_text() for t in fig.axes[4].texts if t.get_position()[1] > 1]
    assert queue_title.startswith("Queue depth") and fig.axes[4].get_ylabel() == "messages"


def _overlap(a: Any, b: Any) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _assert_no_overlap(fig: Any) -> None:
    renderer = fig.canvas.get_renderer()
    strip = fig.axes[2]
    box = strip.get_window_extent(renderer)
    labels = [t.get_window_extent(renderer) for t in _texts(strip) if t.get_position()[1] < 1]
    assert labels, "no step label drawn"
    for i, a in enumerate(labels):
        assert box.x0 <= a.x0 and a.x1 <= box.x1 and box.y0 <= a.y0 and a.y1 <= box.y1
        assert not any(_overlap(a, b) for b in labels[i + 1 :])
    # Legends sit beside the axes, never over a panel, a label or another legend.
    panels = [ax.get_window_extent(renderer) for ax in fig.axes[:5]]
    legends = [ax.get_legend().get_window_extent(renderer) for ax in fig.axes if ax.get_legend()]
    assert legends
    for legend in legends:
        assert not any(_overlap(legend, p) for p in panels)
        assert not any(_overlap(legend, label) for label in labels)
        assert legend.x1 <= fig.bbox.x1  # inside the image, not cut at its edge


def test_step_labels_never_overlap(made: dict[str, Path], fig_of: Any) -> None:
    for name in made:
        _assert_no_overlap(fig_of(plot_data(read_journal(made[name]))))


def test_crowded_steps_still_do_not_overlap(fig_of: Any) -> None:
    """Forty steps in ten seconds: labels go into rows, and what has no room is counted
    in the strip's title rather than printed over another label."""
    steps = [(i * 0.25, f"step-kind-{i}") for i in range(40)]
    data = PlotData(
        title="crowded",
        per_invocation=True,
        invocations={"F": [(0.1, 1), (0.2, 2)]},
        steps=steps,
        end=10.0,
        zoom=(0.0, 0.3),
    )
    fig = fig_of(data)
    _assert_no_overlap(fig)
    [title] = [t.get_text() for t in fig.axes[2].texts if t.get_position()[1] > 1]
    assert "more not labelled for room" in title


def test_an_aws_panel_with_no_data_yet_says_when(tmp_path: Path, fig_of: Any) -> None:
    folder = tmp_path / "runs" / "20251201T120000Z-loop-detection-aws"
    folder.mkdir(parents=True)
    start = 1_764_590_400.0
    (folder / "journal.json").write_text(
        json.dumps(
            {
                "schema_version": 2,
                "scenario": "loop-detection",
                "backend": "aws",
                "status": "completed",
                "started_at": "2025-12-01T12:00:00.000Z",
                "ended_at": "2025-12-01T12:01:10.000Z",
                "clock": {"start": start, "elapsed": 70.0, "wall_seconds": 70.0},
                "expectations": [],
                "observations": {},
                "timeline": {
                    "window": [start, start + 70.0],
                    "invocations": None,
                    "drops": None,
                    "queue_samples": None,
                    "metrics": {"series": [], "pending": True, "settle_at": start + 70 + 240},
                    "notes": [],
                },
            }
        )
    )
    data = plot_data(read_journal(folder / "journal.json"))
    assert data.zoom is None
    note = "no data yet (CloudWatch publishes after ~4 min)"
    fig = fig_of(data)
    for ax in (fig.axes[3], fig.axes[4]):
        assert any(note in t.get_text() for t in ax.texts), [t.get_text() for t in ax.texts]


def test_the_same_journal_draws_the_same_png(made: dict[str, Path], tmp_path: Path) -> None:
    record = read_journal(made["loop-detection"])
    digests = set()
    for i in range(2):
        path = tmp_path / f"{i}.png"
        draw(plot_data(record), path)
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == 1
