"""report.json: what report.md says, as data (``collect-results --format json``).

For a script or a CI step that reads the results without parsing Markdown: the post, the
headline (one object per post run), each scenario's comparison rows and status, the loop
shapes and every run's summary (the runs.csv columns, typed). Images are not embedded:
each scenario names its timeline's path instead.
"""

from __future__ import annotations

import json
from typing import IO, Any

from looplab.results._summary import RunSummary

__all__ = ["JSON_VERSION", "write_json"]

JSON_VERSION = 1  # bump when a key changes meaning; new keys may appear without a bump


def write_json(context: dict[str, Any], runs: list[RunSummary], out: IO[str]) -> None:
    """report.json from :func:`looplab.results._report.report_context` and the runs."""
    scenarios = [
        {
            "name": s["name"],
            "stack": s["stack"],
            "status": s["status"],
            "compared_runs": s["compared"],
            "comparison": s["comparison"],
            "timelines": [
                {"backend": img["backend"], "run": img["run"], "path": img["path"]}
                for img in s["images"]
            ],
        }
        for s in context["scenarios"]
    ]
    doc = {
        "version": JSON_VERSION,
        "generated_at": context["generated_at"],
        "post": {"title": context["post_title"], "date": context["post_date"]},
        "backends": [b for b, _ in context["headline_backends"]],
        "headline": context["headline"],
        "scenarios": scenarios,
        "undocumented": context["undocumented"],
        "runs": [r.to_json() for r in runs],
        "pending": [{"run": run, "why": why} for run, why in context["pending"]],
        "skipped": [{"journal": path, "problem": p} for path, p in context["skipped"]],
    }
    out.write(json.dumps(doc, indent=1, ensure_ascii=False))
    out.write("\n")
