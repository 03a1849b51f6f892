"""timeline.png: the post's CloudWatch graphs, regenerated from a journal.

:func:`plot_data` is pure (a journal in, the series to draw out) so tests check what is
drawn without looking at pixels; :func:`draw` renders it with matplotlib's Agg backend
(headless: no display, no GUI toolkit). Three panels on one time axis: invocations and
stopped invocations per function, the counter the chain sent, visible / in-flight per
queue; the steps are marked on every panel. Lines differ by style and marker as well as
colour, so the figure reads in black and white.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from looplab._files import replacing
from looplab.journal import RunRecord

__all__ = ["PLOT_NAME", "PLOT_VERSION", "PlotData", "draw", "plot_data"]

PLOT_NAME = "timeline.png"  # in each run's folder, beside its journal
PLOT_VERSION = 1  # bump when the drawing changes: cached plots are then redrawn

# Okabe-Ito (colour-blind safe) with distinct markers and dashes, for print.
_MARKERS = 200  # points per line beyond which markers only blacken the line

_STYLES = [
    ("#0072B2", "o", "-"),
    ("#D55E00", "s", "--"),
    ("#009E73", "^", "-."),
    ("#CC79A7", "D", ":"),
    ("#000000", "v", "-"),
]


@dataclass
class PlotData:
    title: str
    per_invocation: bool  # False: per-minute series (the journal had no invocation rows)
    # function -> [(t, cumulative invocations)]
    invocations: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    # function -> [(t, cumulative stopped invocations)]
    drops: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    drops_exact: bool = False
    counter: list[tuple[float, int]] = field(default_factory=list)  # (t, counter sent)
    # queue -> {"visible": [(t, n)], "in_flight": [(t, n)]}
    queues: dict[str, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)
    steps: list[tuple[float, str]] = field(default_factory=list)  # (start, kind)
    end: float = 0.0


def plot_data(record: RunRecord) -> PlotData:
    tl = record.timeline
    data = PlotData(
        title=f"{record.scenario} on {record.backend}: {record.run}",
        per_invocation=bool(tl.invocations),
        drops_exact=tl.drops_exact,
        end=record.elapsed,
    )
    if tl.invocations:
        counts: dict[str, int] = defaultdict(int)
        for inv in sorted(tl.invocations, key=lambda i: i.t):
            counts[inv.function] += 1
            data.invocations.setdefault(inv.function, []).append((inv.t, counts[inv.function]))
            if inv.sent is not None:
                data.counter.append((inv.t, inv.sent))
    else:
        for series in tl.series_for("Invocations"):
            data.invocations[series.resource] = _cumulative(series.points)
    if tl.drops_exact:
        counts = defaultdict(int)
        for drop in sorted(tl.drops, key=lambda d: d.t):
            counts[drop.function] += 1
            data.drops.setdefault(drop.function, []).append((drop.t, counts[drop.function]))
    else:
        for series in tl.series_for("RecursiveInvocationsDropped"):
            if any(v for _, v in series.points):
                data.drops[series.resource] = _cumulative(series.points)
    if tl.queue_samples:
        for s in sorted(tl.queue_samples, key=lambda s: s.t):
            q = data.queues.setdefault(s.queue, {"visible": [], "in_flight": []})
            q["visible"].append((s.t, s.visible))
            q["in_flight"].append((s.t, s.in_flight))
    else:
        for key, metric in (
            ("visible", "ApproximateNumberOfMessagesVisible"),
            ("in_flight", "ApproximateNumberOfMessagesNotVisible"),
        ):
            for series in tl.series_for(metric, "AWS/SQS"):
                q = data.queues.setdefault(series.resource, {"visible": [], "in_flight": []})
                q[key] = list(series.points)
    data.steps = [
        (s.clock_start, s.kind)
        for s in record.steps
        if s.phase == "steps" and s.clock_start is not None
    ]
    ends = [t for pts in data.invocations.values() for t, _ in pts[-1:]]
    data.end = max([data.end, *ends, 1.0])
    return data


def step_labels(steps: list[tuple[float, str]], end: float) -> list[tuple[float, str]]:
    """Steps closer than 2% of the time axis share one label ("purge, seed"), so the
    labels of steps that ran in the same instant do not print over each other."""
    labels: list[tuple[float, list[str]]] = []
    gap = max(end, 1.0) * 0.02
    for start, kind in steps:
        if labels and start - labels[-1][0] < gap:
            labels[-1][1].append(kind)
        else:
            labels.append((start, [kind]))
    return [(start, ", ".join(kinds)) for start, kinds in labels]


def _cumulative(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    total, out = 0.0, []
    for t, v in sorted(points):
        total += v
        out.append((t, total))
    return out


def _title(ax: Any, text: str, fontsize: int = 10) -> None:
    # A plain text in axes coordinates: set_title makes matplotlib measure every tick
    # label to place it, a third of the drawing time.
    ax.text(0.5, 1.02, text, transform=ax.transAxes, ha="center", va="bottom", fontsize=fontsize)


def draw(data: PlotData, path: Path) -> None:
    """Render ``data`` to ``path`` (PNG, ~1000 x 900 px), atomically (through a temporary
    file no planted symlink can redirect: :func:`looplab._files.replacing`)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    fig, (ax_inv, ax_cnt, ax_q) = plt.subplots(3, 1, figsize=(10, 9), dpi=100, sharex=True)
    try:
        fig.suptitle(data.title, fontsize=11)
        how = "per invocation" if data.per_invocation else "per minute (CloudWatch)"
        for i, (function, pts) in enumerate(sorted(data.invocations.items())):
            colour, marker, dash = _STYLES[i % len(_STYLES)]
            ax_inv.step(
                *zip(*pts, strict=True),
                where="post",
                color=colour,
                linestyle=dash,
                marker=marker if len(pts) <= _MARKERS else None,
                markersize=3,
                label=f"invocations: {function}",
            )
        for i, (function, pts) in enumerate(sorted(data.drops.items())):
            colour, _, _ = _STYLES[(i + 1) % len(_STYLES)]
            ax_inv.step(
                *zip(*pts, strict=True),
                where="post",
                color=colour,
                linestyle=":",
                marker="x",
                markersize=6,
                label=f"stopped: {function}",
            )
        kind = "exact" if data.drops_exact else "per minute"
        ax_inv.set_ylabel("cumulative count")
        _title(ax_inv, f"Invocations ({how}) and stopped invocations ({kind})", fontsize=10)
        if data.counter:
            ax_cnt.plot(
                *zip(*data.counter, strict=True),
                color="#000000",
                marker="o" if len(data.counter) <= _MARKERS else None,
                markersize=3,
                linestyle="-",
                label="counter sent",
            )
        ax_cnt.set_ylabel("counter")
        _title(ax_cnt, "The counter the chain sent", fontsize=10)
        for i, (queue, series) in enumerate(sorted(data.queues.items())):
            colour, marker, _ = _STYLES[i % len(_STYLES)]
            for key, dash in (("visible", "-"), ("in_flight", "--")):
                if series[key]:
                    ax_q.step(
                        *zip(*series[key], strict=True),
                        where="post",
                        color=colour,
                        linestyle=dash,
                        marker=marker if len(series[key]) <= _MARKERS else None,
                        markersize=2,
                        label=f"{queue} {key.replace('_', '-')}",
                    )
        ax_q.set_ylabel("messages")
        ax_q.set_xlabel("seconds since the run started")
        _title(ax_q, "Queue depth: visible (solid) and in flight (dashed)", fontsize=10)
        for ax in (ax_inv, ax_cnt, ax_q):
            for start, _kind in data.steps:
                ax.axvline(start, color="#777777", linestyle=":", linewidth=0.8)
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8, loc="upper left")
        for start, label in step_labels(data.steps, data.end):
            ax_inv.annotate(
                label,
                (start, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize=7,
                va="top",
                ha="right",
                color="#444444",
            )
        ax_q.set_xlim(0, max(data.end, 1.0) * 1.02)
        # Fixed margins: tight_layout costs more than the rest of the drawing together.
        fig.subplots_adjust(left=0.08, right=0.98, top=0.92, bottom=0.06, hspace=0.3)
        with replacing(path) as out:
            fig.savefig(out, format="png")
    finally:
        plt.close(fig)
