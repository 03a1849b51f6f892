"""What a run hands back (status, journal, exit code), what stops it before it starts, and
the journal notes the runner writes about waits and stops."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from looplab.journal import StepRecord

__all__ = [
    "EXIT_CODES",
    "RunResult",
    "RunSetupError",
    "backend_call",
    "finally_stop_warning",
    "timeout_warning",
]

EXIT_CODES = {"completed": 0, "failed": 1, "aborted": 1}


class RunSetupError(Exception):
    """The run could not start at all (e.g. its folder cannot be made); no journal exists."""


@dataclass
class RunResult:
    status: str
    journal_path: Path
    doc: dict[str, Any] = field(repr=False)  # the journal as JSON values (RunDocument.to_json)
    exit_code: int = 0
    journal_error: str | None = None  # the journal's last write failed (disk full, ...)


def timeout_warning(phase: str, record: StepRecord) -> str:
    output = record.output or {}
    unmet = [c.get("reason", c["check"]) for c in output.get("conditions", []) if not c["passed"]]
    where = f"{phase} {record.index + 1} (line {record.line})"
    return (
        f"{where}: {record.summary} timed out after {output.get('waited', 0):.0f} s; "
        f"not met: {'; '.join(unmet) or 'nothing recorded'}; the run went on"
    )


def finally_stop_warning(hit: dict[str, Any]) -> str:
    brake = hit["brake"]
    if brake.get("by"):
        did = f"braked by the {brake['by']} backend's rail"
    elif brake.get("applied"):
        did = f"braked ({len(brake.get('actions', []))} actions)"
    else:
        did = f"not braked ({brake.get('why') or brake.get('error')})"
    what = hit.get("reason") or f"{hit['check']} (actual {hit['actual']})"
    return f"finally: stop condition met at {hit['at']:.3f} s: {what}; {did}; cleanup went on"


def backend_call(method: Any) -> dict[str, Any]:
    """A backend's describe()/finish(), whose failure is recorded rather than fatal."""
    try:
        return dict(method() or {})
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
