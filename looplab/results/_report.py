"""report.md and report.html from the run summaries, through Jinja2 templates.

The templates are package data (``looplab/results/templates/``). Text from journals is
made printable (no terminal escapes) for both, HTML-escaped in report.html (Jinja2's
autoescape, on for ``*.html.j2``) and, in report.md, escaped where Markdown or its HTML
would read it. The HTML is self-contained: its CSS is inline and each timeline image is
embedded as a ``data:`` URI, so it opens from a file with no network. It shows the
timeline of one run of each scenario per backend, the newest without overrides when there
is one (a thousand embedded plots would make a 100 MB page); that run's plot is in its own
folder. Runs with overrides are tabled apart, one group per set of overrides, and never set
beside the post.
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
from looplab.results._plot import PLOT_NAME
from looplab.results._post import POST_OBSERVATIONS, compare
from looplab.results._summary import RunSummary

__all__ = ["render", "report_context"]

TABLE_COLUMNS = (
    ("run", "run"),
    ("backend", "backend"),
    ("status", "status"),
    ("invocations", "invocations"),
    ("drops", "drops"),
    ("errors", "errors"),
    ("stopped_at", "stopped at"),
    ("dlq_body", "DLQ held"),
    ("expectations", "expectations"),
    ("wall_seconds", "wall s"),
    ("simulated_seconds", "simulated s"),
)
BACKENDS = SHIPPED  # one comparison column each
# The "Loop shapes" table: each run beside the others, by the shape it ran on.
SHAPE_COLUMNS = (
    ("stack", "stack"),
    ("scenario", "scenario"),
    ("backend", "backend"),
    ("run", "run"),
    ("invocations", "invocations"),
    ("drops", "drops"),
    ("per_function", "where the chain stopped (per function)"),
    ("reached", "reached a DLQ / destination"),
    ("overrides", "overrides"),
)
SHAPE_ORDER = ("sqs", "sns", "sns-sqs", "s3", "lambda", "chain")

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


def _cells(run: RunSummary) -> dict[str, str]:
    # Text from journals goes into files people cat: no terminal escapes (printable).
    row = {k: ("" if v is None else printable(v)) for k, v in run.row().items()}
    status = run.status if run.status != "dead" else "running (process gone)"
    if run.pending == "yes":
        status += " (metrics pending)"
    row["status"] = status
    row["expectations"] = f"{run.expectations_passed}/{run.expectations_total}"
    return row


def _image(results: Path, run: RunSummary) -> dict[str, str] | None:
    """The run's drawn timeline as a ``data:`` URI; None when it cannot be read (it is read
    bounded: a timeline is at most looplab._files.IMAGE)."""
    try:
        png = read_bytes(results / "runs" / run.run / PLOT_NAME, IMAGE)
    except OSError:
        return None
    return {
        "backend": printable(run.backend),
        "run": printable(run.run),
        "overrides": printable(run.overrides),
        "path": f"runs/{printable(run.run)}/{PLOT_NAME}",
        "data_uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
    }


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
    scenarios = []
    for name in sorted(by_scenario, key=lambda n: (n not in POST_OBSERVATIONS, n)):
        group = by_scenario[name]
        plain = [r for r in group if not r.overrides]
        varied: dict[str, list[RunSummary]] = defaultdict(list)
        for run in group:
            if run.overrides:
                varied[run.overrides].append(run)
        scenarios.append(
            {
                "name": printable(name),
                "runs": [_cells(r) for r in plain],
                # Runs with overrides: one table per set of overrides, labelled with
                # them, apart from the runs the post's figures can be set beside.
                "groups": [
                    {"overrides": printable(text), "runs": [_cells(r) for r in varied[text]]}
                    for text in sorted(varied)
                ],
                "comparison": compare(name, group, BACKENDS),
                "has_post": name in POST_OBSERVATIONS,
                "images": [
                    img
                    for backend in sorted({r.backend for r in group})
                    if (shown := images.get((name, backend))) is not None
                    and (img := _image(results, shown))
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
                r.scenario,
                r.backend,
                r.run,
            ),
        )
    ]
    return {
        "shape_columns": SHAPE_COLUMNS,
        "shapes": shapes,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "count": len(runs),
        "columns": TABLE_COLUMNS,
        "backends": BACKENDS,
        "scenarios": scenarios,
        "skipped": [(printable(path), printable(problem)) for path, problem in skipped],
        "pending": [(printable(run), printable(why)) for run, why in pending],
    }


def render(context: dict[str, Any], kind: str, out: IO[str]) -> None:
    """Write report.<kind> (``md`` or ``html``) from :func:`report_context` into ``out``,
    as the template produces it (the text is never held whole)."""
    for chunk in _env.get_template(f"report.{kind}.j2").generate(context):
        out.write(chunk)
