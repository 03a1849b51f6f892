"""report.md and report.html from the run summaries, through Jinja2 templates.

The report tells the story first, as a reader new to it needs it: the post's four runs in
the post's order, one line each (:mod:`looplab.results._headline`), then one section per
scenario in the same order (the post beside the runs, the scenario's picture), then the loop
shapes, then what AWS does not document (when that section exists), then every run, tabled.
Every table has a status column; only completed runs without overrides enter a comparison,
and a scenario's picture is its newest such run.

The templates are package data (``looplab/results/templates/``). Text from journals is
made printable (no terminal escapes) for both, HTML-escaped in report.html (Jinja2's
autoescape, on for ``*.html.j2``) and, in report.md, escaped where Markdown or its HTML
would read it. The HTML is self-contained: its CSS is inline, a Content-Security-Policy
forbids every fetch, and each timeline image is embedded as a ``data:`` URI, so it opens
from a file with no network. It shows one timeline per scenario and backend (a thousand
embedded plots would make a 100 MB page); that run's plot is in its own folder.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import jinja2

from looplab._files import IMAGE, printable, read_bytes
from looplab.backends.registry import SHIPPED
from looplab.results._headline import always_shown, backend_title, headline, status_text
from looplab.results._plot import PLOT_NAME
from looplab.results._post import POST, POST_OBSERVATIONS, POST_RUNS, compare, compared
from looplab.results._summary import RunSummary

__all__ = ["render", "report_context", "scenario_order"]

TABLE_COLUMNS = (
    ("run", "run"),
    ("backend", "backend"),
    ("status", "status"),
    ("invocations", "invocations"),
    ("drops", "drops"),
    ("errors", "errors"),
    ("stopped_at", "stopped at"),
    ("dlq", "DLQ held"),
    ("expectations", "expectations"),
    ("wall_seconds", "wall s"),
    ("simulated_seconds", "simulated s"),
)
BACKENDS = SHIPPED  # the backends a comparison can name
# The "Loop shapes" table: each run beside the others, by the shape it ran on.
SHAPE_COLUMNS = (
    ("stack", "stack"),
    ("scenario", "scenario"),
    ("backend", "backend"),
    ("status", "status"),
    ("run", "run"),
    ("invocations", "invocations"),
    ("drops", "drops"),
    ("per_function", "where the chain stopped (per function)"),
    ("reached", "reached a DLQ / destination"),
    ("overrides", "overrides"),
)
SHAPE_ORDER = ("sqs", "sns", "sns-sqs", "s3", "lambda", "chain")
POST_ORDER = tuple(r.scenario for r in POST_RUNS)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("looplab.results", "templates"),
    autoescape=jinja2.select_autoescape(["html.j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_env.filters["md"] = lambda v: _MD_TABLE.sub(lambda m: _MD_ESCAPES[m.group()], str(v))
# A Markdown table cell: a pipe would end it, a line break the row, and a "<" would open
# raw HTML to a Markdown viewer (a DLQ body "<img src=x onerror=...>"); "&lt;" shows "<".
_MD_ESCAPES = {"|": "\\|", "\n": " ", "\r": " ", "<": "&lt;"}
_MD_TABLE = re.compile(r"[|\n\r<]")


def _status(run: RunSummary) -> str:
    status = run.status if run.status != "dead" else "running (process gone)"
    if run.pending == "yes":
        status += " (metrics pending)"
    return status


def _dlq(run: RunSummary) -> str:
    """What the DLQ held: the drained bodies, else how many messages it still held."""
    if run.dlq_body:
        return run.dlq_body
    if run.dlq_held:
        return f"{run.dlq_held} (not drained)"
    return "" if run.dlq_held is None else "0"


def _cells(run: RunSummary) -> dict[str, str]:
    # Text from journals goes into files people cat: no terminal escapes (printable).
    row = {k: ("" if v is None else printable(v)) for k, v in run.row().items()}
    row["status"] = printable(_status(run))
    row["dlq"] = printable(_dlq(run))
    row["expectations"] = f"{run.expectations_passed}/{run.expectations_total}"
    return row


def _image(results: Path, run: RunSummary) -> dict[str, str] | None:
    """The run's drawn timeline as a ``data:`` URI; None when it cannot be read (it is read
    bounded: a timeline is at most looplab._files.IMAGE)."""
    try:
        png = read_bytes(results / "runs" / run.run / PLOT_NAME, IMAGE)
    except OSError:
        return None
    # Why this run is the picture when it is not a compared one (none was drawn).
    caveat = []
    if run.status != "completed":
        caveat.append(_status(run))
    if run.overrides:
        caveat.append(f"with overrides: {run.overrides}")
    return {
        "backend": printable(run.backend),
        "backend_title": printable(backend_title(run.backend)),
        "run": printable(run.run),
        "caveat": printable("; ".join(caveat)),
        "path": f"runs/{printable(run.run)}/{PLOT_NAME}",
        "data_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
    }


def scenario_order(name: str, stack: str) -> tuple[int, int, str]:
    """The post's four runs in the post's order, then the other shapes by SHAPE_ORDER."""
    if name in POST_ORDER:
        return (0, POST_ORDER.index(name), name)
    shape = SHAPE_ORDER.index(stack) if stack in SHAPE_ORDER else len(SHAPE_ORDER)
    return (1, shape, name)


def _comparison_rows(name: str, group: list[RunSummary], backends: tuple[str, ...]) -> list[Any]:
    """The post beside the runs, one row per observation and backend (long: it fits 800 px
    and each row carries the status of the runs behind its figure)."""
    rows = []
    for c in compare(name, group, backends):
        for backend in backends:
            mine = [r for r in group if r.backend == backend]
            rows.append(
                {
                    "label": printable(c.label),
                    "post": printable(c.post),
                    "backend": printable(backend_title(backend)),
                    "seen": printable(c.by_backend[backend]),
                    "difference": printable(c.difference[backend]),
                    "status": printable(status_text(mine)),
                }
            )
    return rows


def report_context(
    results: Path,
    runs: list[RunSummary],
    skipped: list[tuple[str, str]],
    pending: list[tuple[str, str]],
    images: dict[tuple[str, str], RunSummary],
) -> dict[str, Any]:
    """What both templates show. ``images``: the run whose timeline is shown, per
    (scenario, backend) (looplab.results._collect decides, and draws them)."""
    by_scenario: dict[str, list[RunSummary]] = defaultdict(list)
    for run in runs:
        by_scenario[run.scenario].append(run)
    have = {r.backend for r in runs}
    # The simulator's column always (the story is told against it); others when they ran.
    shown = tuple(b for b in BACKENDS if always_shown(b) or b in have) + tuple(
        sorted(have - set(BACKENDS))
    )
    scenarios = []
    order = sorted(by_scenario, key=lambda n: scenario_order(n, by_scenario[n][0].stack))
    for name in order:
        group = by_scenario[name]
        plain = [r for r in group if not r.overrides]
        varied: dict[str, list[RunSummary]] = defaultdict(list)
        for run in group:
            if run.overrides:
                varied[run.overrides].append(run)
        backends = tuple(b for b in shown if any(r.backend == b for r in group))
        scenarios.append(
            {
                "name": printable(name),
                "anchor": _anchor(name),
                "stack": printable(group[0].stack),
                "runs": [_cells(r) for r in plain],
                # Runs with overrides: one table per set of overrides, labelled with
                # them, apart from the runs the post's figures can be set beside.
                "groups": [
                    {"overrides": printable(text), "runs": [_cells(r) for r in varied[text]]}
                    for text in sorted(varied)
                ],
                "comparison": _comparison_rows(name, group, backends),
                "has_post": name in POST_OBSERVATIONS,
                "status": printable(
                    "; ".join(
                        f"{backend_title(b)}: " + status_text([r for r in group if r.backend == b])
                        for b in backends
                    )
                ),
                "compared": len(compared(group)),
                "images": [
                    img
                    for backend in backends
                    if (pic := images.get((name, backend))) is not None
                    and (img := _image(results, pic))
                ],
            }
        )
    shapes = [
        _cells(r)
        for r in sorted(
            runs,
            key=lambda r: (
                SHAPE_ORDER.index(r.stack) if r.stack in SHAPE_ORDER else len(SHAPE_ORDER),
                r.stack,
                scenario_order(r.scenario, r.stack),
                r.backend,
                r.run,
            ),
        )
    ]
    lines = headline(runs, shown)
    return {
        "post": printable(str(POST)),
        "post_title": printable(POST.title),
        "post_date": printable(POST.date),
        "headline_backends": [(b, backend_title(b)) for b in shown],
        "headline": [
            {
                "anchor": _anchor(h.scenario),
                "scenario": printable(h.scenario),
                "name": printable(h.name),
                "post": printable(h.post),
                "seen": {b: printable(v) for b, v in h.seen.items()},
                "verdict": printable(h.verdict),
                "status": printable(h.status),
            }
            for h in lines
        ],
        "shape_columns": SHAPE_COLUMNS,
        "shapes": shapes,
        # "What AWS does not document, measured" goes here once a measurement feeds it:
        # a list of {"question", "rows": [...]}; empty: the section is left out.
        "undocumented": [],
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "count": len(runs),
        "columns": TABLE_COLUMNS,
        "scenarios": scenarios,
        "skipped": [(printable(path), printable(problem)) for path, problem in skipped],
        "pending": [(printable(run), printable(why)) for run, why in pending],
    }


def _anchor(name: str) -> str:
    """An HTML id from a scenario name (names are [a-z0-9-] when valid; be safe anyway)."""
    return "s-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


def render(context: dict[str, Any], kind: str, out: IO[str]) -> None:
    """Write report.<kind> (``md`` or ``html``) from :func:`report_context` into ``out``,
    as the template produces it (the text is never held whole)."""
    for chunk in _env.get_template(f"report.{kind}.j2").generate(context):
        out.write(chunk)
