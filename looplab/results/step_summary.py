"""A run's journal as a GitHub Actions job summary (Markdown appended to the file
``GITHUB_STEP_SUMMARY`` names, when it is set).

A few lines a reviewer reads on the run's page: the scenario, backend, status and why,
each expectation (expected, actual, a pass or fail mark) in a table, and what the run
observed. Text from the journal is escaped for a Markdown table (a pipe would end the
cell, a "<" open raw HTML), as report.md does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from looplab._files import printable
from looplab.journal import RunRecord
from looplab.results._summary import overrides_text

__all__ = ["ENV", "append_step_summary", "step_summary"]

ENV = "GITHUB_STEP_SUMMARY"
_CELL = re.compile(r"[|\n\r<`]")
_ESCAPES = {"|": "\\|", "\n": " ", "\r": " ", "<": "&lt;", "`": "\\`"}
_OBSERVED = (
    ("invocations", "invocations"),
    ("errors", "errors"),
    ("recursive_invocations_dropped", "stopped invocations"),
    ("max_counter_sent", "last counter sent"),
)


def _md(value: Any) -> str:
    return _CELL.sub(lambda m: _ESCAPES[m.group()], printable(str(value)))


def step_summary(record: RunRecord) -> str:
    """The Markdown summary of one run."""
    judged = [e for e in record.expectations if isinstance(e, dict)]
    passed = sum(1 for e in judged if e.get("passed"))
    mark = {"completed": "✅", "failed": "❌"}.get(record.status, "⚠️")
    lines = [
        f"### {mark} {_md(record.scenario)} on {_md(record.backend)}: {_md(record.status)}",
        "",
        f"{passed} of {len(judged)} expectation(s) held. Run `{_md(record.run)}`"
        + (f", seed {record.seed}" if isinstance(record.seed, int) else "")
        + ".",
    ]
    if record.reason:
        lines += ["", f"Why: {_md(record.reason)}"]
    overrides = overrides_text(record.definition.get("overrides"))
    if overrides:
        lines += ["", f"Overrides: {_md(overrides)} (not comparable with the post)"]
    if judged:
        lines += ["", "| | expectation | expected | actual |", "| --- | --- | --- | --- |"]
        for e in judged:
            lines.append(
                f"| {'✅' if e.get('passed') else '❌'} | {_md(e.get('check', '?'))} "
                f"| {_md(e.get('expected', ''))} | {_md(e.get('actual', ''))} |"
            )
    observed = [
        f"{label} {_md(record.observations[key])}"
        for key, label in _OBSERVED
        if isinstance(record.observations.get(key), int | float)
    ]
    if observed:
        lines += ["", "Observed: " + ", ".join(observed) + "."]
    if record.timeline.metrics_pending:
        lines += ["", "CloudWatch had not settled at the end: run `invoke collect-results` later."]
    return "\n".join(lines) + "\n\n"


def append_step_summary(record: RunRecord, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append :func:`step_summary` to the file ``GITHUB_STEP_SUMMARY`` names; None (and
    nothing written) when it is unset or empty. OSError (cannot write) is the caller's."""
    target = (os.environ if environ is None else environ).get(ENV, "")
    if not target:
        return None
    path = Path(target)
    with open(path, "a", encoding="utf-8") as f:
        f.write(step_summary(record))
    return path
