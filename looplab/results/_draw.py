"""Drawing a :class:`looplab.results._plot.PlotData` with matplotlib (Agg: headless).

Five rows, top to bottom:

1. the chain, zoomed on its seconds: invocations and stopped invocations, cumulative;
2. the counter each invocation sent, on the same zoomed axis;
3. the steps: one label per step (or group of steps that ran together), placed in rows
   so that no two overlap, and nothing else is drawn there;
4. the whole run: invocations and stopped invocations, cumulative, the chain's seconds
   shaded;
5. queue depth over the whole run: visible (solid) and in flight (dashed).

Legends sit outside the axes on the right, so they never cover a line or a label. Count
axes have integer ticks. A panel with nothing to draw says why (an aws run whose
CloudWatch data was not published yet says so, and when to collect again). Lines differ
by style and marker as well as colour (Okabe-Ito, colour-blind safe), so the figure reads
in black and white. The output depends only on the data: the same journal gives the same
PNG bytes (no timestamp in the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from looplab._files import replacing
from looplab.results._plot import PlotData, step_labels

__all__ = ["LABEL_ROWS", "figure", "save"]

WIDTH, HEIGHT, DPI = 10, 11, 100  # inches: a 1000 x 1100 px PNG
LABEL_ROWS = 4  # rows of step labels in the steps strip before labels are shortened
_MARKERS = 200  # points per line beyond which markers only blacken the line
_STYLES = [
    ("#0072B2", "o", "-"),
    ("#D55E00", "s", "--"),
    ("#009E73", "^", "-."),
    ("#CC79A7", "D", ":"),
    ("#000000", "v", "-"),
]
_LEGEND = {"fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0}


def save(data: PlotData, path: Path) -> None:
    from matplotlib import pyplot as plt

    fig = figure(data)
    try:
        with replacing(path) as out:
            # No "Software"/date chunk: the same data gives the same bytes.
            fig.savefig(out, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)


def figure(data: PlotData) -> Any:
    """The timeline's figure (the caller closes it: ``plt.close(fig)``)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(
        5,
        1,
        figsize=(WIDTH, HEIGHT),
        dpi=DPI,
        gridspec_kw={"height_ratios": [1.0, 0.7, 0.32, 1.0, 1.0]},
    )
    try:
        _draw(fig, axes, data)
    except BaseException:
        plt.close(fig)
        raise
    return fig


def _draw(fig: Any, axes: Any, data: PlotData) -> None:
    from matplotlib.ticker import MaxNLocator

    ax_zoom, ax_cnt, ax_steps, ax_run, ax_q = axes
    ax_cnt.sharex(ax_zoom)
    ax_run.sharex(ax_q)
    ax_steps.sharex(ax_q)
    fig.suptitle(data.title, fontsize=11)
    fig.subplots_adjust(left=0.07, right=0.72, top=0.94, bottom=0.05, hspace=0.55)
    how = "one step per invocation" if data.per_invocation else "per minute, from CloudWatch"
    stopped = "exact" if data.drops_exact else "per minute, from CloudWatch"

    if data.zoom is not None:
        lo, hi = data.zoom
        _counts(ax_zoom, data)
        ax_zoom.set_xlim(lo, hi)
        _title(
            ax_zoom,
            f"The chain, zoomed on {lo:.2f}-{hi:.2f} s: invocations and stops, cumulative",
        )
        if data.counter:
            ax_cnt.plot(
                *zip(*data.counter, strict=True),
                color="#000000",
                marker="o" if len(data.counter) <= _MARKERS else None,
                markersize=3,
                linestyle="-",
                label="counter sent",
            )
        else:
            _empty(ax_cnt, "no counter in the handler's log lines")
    else:
        _empty(ax_zoom, f"no invocation rows to zoom on: {data.empty_note}")
        _empty(ax_cnt, data.empty_note)
        _title(ax_zoom, "The chain, zoomed on its seconds: invocations and stops, cumulative")
    ax_zoom.set_ylabel("count (cumulative)")
    ax_cnt.set_ylabel("counter")
    ax_cnt.set_xlabel("seconds since the run started", fontsize=8)
    _title(ax_cnt, "The counter each invocation sent (the same seconds)")

    if data.invocations or data.drops:
        _counts(ax_run, data)
    else:
        _empty(ax_run, data.empty_note)
    if data.zoom is not None:
        ax_run.axvspan(*data.zoom, color="#999999", alpha=0.25, label="the chain (zoomed above)")
    ax_run.set_ylabel("count (cumulative)")
    _title(ax_run, f"The whole run: invocations ({how}) and stops ({stopped}), cumulative")

    drawn = False
    for i, (queue, series) in enumerate(sorted(data.queues.items())):
        colour, marker, _ = _STYLES[i % len(_STYLES)]
        for key, dash in (("visible", "-"), ("in_flight", "--")):
            if series.get(key):
                drawn = True
                ax_q.step(
                    *zip(*series[key], strict=True),
                    where="post",
                    color=colour,
                    linestyle=dash,
                    marker=marker if len(series[key]) <= _MARKERS else None,
                    markersize=3,
                    label=f"{queue} {key.replace('_', '-')}",
                )
    if not drawn:
        _empty(ax_q, data.empty_note)
    ax_q.set_ylabel("messages")
    ax_q.set_xlabel("seconds since the run started")
    _title(ax_q, "Queue depth: visible (solid) and in flight (dashed), whole run")

    end = max(data.end, 1.0) * 1.02
    ax_q.set_xlim(0, end)
    for ax in (ax_zoom, ax_cnt, ax_run, ax_q):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        for start, _kind in data.steps:
            ax.axvline(start, color="#777777", linestyle=":", linewidth=0.8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(**_LEGEND)
    ax_cnt.set_ylim(_integer_span(ax_cnt.get_ylim()))
    _steps(fig, ax_steps, data)


def _integer_span(limits: tuple[float, float]) -> tuple[float, float]:
    low, high = limits
    return (low, high) if high - low >= 2 else (low - 1, high + 1)


def _counts(ax: Any, data: PlotData) -> None:
    for i, (function, pts) in enumerate(sorted(data.invocations.items())):
        colour, marker, dash = _STYLES[i % len(_STYLES)]
        ax.step(
            *zip(*pts, strict=True),
            where="post",
            color=colour,
            linestyle=dash,
            marker=marker if len(pts) <= _MARKERS else None,
            markersize=3,
            label=f"ran: {function}",
        )
    # Stops take the colours after the functions' own: never a function's colour.
    for i, (function, pts) in enumerate(sorted(data.drops.items())):
        colour, _, _ = _STYLES[(len(data.invocations) + i) % len(_STYLES)]
        ax.step(
            *zip(*pts, strict=True),
            where="post",
            color=colour,
            linestyle=":",
            marker="x",
            markersize=7,
            label=f"stopped: {function}",
        )


def _steps(fig: Any, ax: Any, data: PlotData) -> None:
    """The steps strip: each label in the lowest row where it overlaps no other label
    (measured with the renderer, not guessed), within the strip's box."""
    ax.set_yticks([])
    ax.tick_params(axis="x", labelbottom=False)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_ylim(0, 1)
    for start, _kind in data.steps:
        ax.axvline(start, color="#777777", linestyle=":", linewidth=0.8)
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    rows: list[list[Any]] = [[] for _ in range(LABEL_ROWS)]
    height = 1.0 / (LABEL_ROWS + 1)
    unlabelled = 0
    for start, label in step_labels(data.steps, data.end):
        for row, placed in enumerate(rows):
            y = 1.0 - height * (row + 1)
            text = ax.text(start, y, f" {label}", fontsize=7, va="center", ha="left")
            extent = text.get_window_extent(renderer)
            if extent.x1 > box.x1:  # near the right edge: end at the mark instead
                text.set_horizontalalignment("right")
                text.set_text(f"{label} ")
                extent = text.get_window_extent(renderer)
            if extent.x0 >= box.x0 and not any(extent.overlaps(o) for o in placed):
                placed.append(extent)
                break
            text.remove()
        else:
            unlabelled += 1  # every row is taken there: its dotted line stays, unlabelled
    more = f"; {unlabelled} more not labelled for room" if unlabelled else ""
    _title(ax, f"Steps (dotted lines on every panel{more})")


def _title(ax: Any, text: str) -> None:
    # A plain text in axes coordinates: set_title makes matplotlib measure every tick
    # label to place it, a third of the drawing time.
    ax.text(0.5, 1.03, text, transform=ax.transAxes, ha="center", va="bottom", fontsize=9)


def _empty(ax: Any, note: str) -> None:
    ax.text(
        0.5,
        0.5,
        note,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9,
        color="#555555",
        wrap=True,
    )
