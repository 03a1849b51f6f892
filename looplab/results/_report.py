"""report.md and report.html from the run summaries, through Jinja2 templates.

The templates are package data (``looplab/results/templates/``). The HTML is
self-contained: its CSS is inline and each timeline image is embedded as a ``data:`` URI,
so it opens from a file with no network. It embeds the newest timeline of each scenario
per backend, from a run without overrides when there is one (a thousand embedded plots
would make a 100 MB page); every run's plot is in its own folder. Runs with overrides
are tabled apart, one group per set of overrides, and never set beside the post.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from looplab.backends.registry import SHIPPED
from looplab.results._post import POST_OBSERVATIONS, compare
from looplab.results._summary import RunSummary

__all__ = ["render"]

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
_env.filters["md"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")


def _cells(run: RunSummary) -> dict[str, str]:
    row = {k: ("" if v is None else str(v)) for k, v in run.row().items()}
    status = run.status if run.status != "dead" else "running (process gone)"
    if run.pending == "yes":
        status += " (metrics pending)"
    row["status"] = status
    row["expectations"] = f"{run.expectations_passed}/{run.expectations_total}"
    return row


def _image(results: Path, runs: list[RunSummary]) -> dict[str, str] | None:
    """The newest drawn timeline among ``runs`` (one backend's), from a run without
    overrides when one has a timeline: the scenario's picture is the defaults'."""
    newest_first = sorted(runs, key=lambda r: (not r.overrides, r.run), reverse=True)
    for run in newest_first:
        png = results / "runs" / run.run / "timeline.png"
        if png.is_file():
            return {
                "backend": run.backend,
                "run": run.run,
                "overrides": run.overrides,
                "path": f"runs/{run.run}/timeline.png",
                "data_uri": "data:image/png;base64,"
                + base64.b64encode(png.read_bytes()).decode("ascii"),
            }
    return None


def render(
    results: Path,
    runs: list[RunSummary],
    skipped: list[tuple[str, str]],
    pending: list[tuple[str, str]],
) -> tuple[str, str]:
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
                "name": name,
                "runs": [_cells(r) for r in plain],
                # Runs with overrides: one table per set of overrides, labelled with
                # them, apart from the runs the post's figures can be set beside.
                "groups": [
                    {"overrides": text, "runs": [_cells(r) for r in varied[text]]}
                    for text in sorted(varied)
                ],
                "comparison": compare(name, group, BACKENDS),
                "has_post": name in POST_OBSERVATIONS,
                "images": [
                    img
                    for backend in sorted({r.backend for r in group})
                    if (img := _image(results, [r for r in group if r.backend == backend]))
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
    context: dict[str, Any] = {
        "shape_columns": SHAPE_COLUMNS,
        "shapes": shapes,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "count": len(runs),
        "columns": TABLE_COLUMNS,
        "backends": BACKENDS,
        "scenarios": scenarios,
        "skipped": skipped,
        "pending": pending,
    }
    md = _env.get_template("report.md.j2").render(context)
    html = _env.get_template("report.html.j2").render(context)
    return md, html
