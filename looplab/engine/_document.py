"""The journal document a run starts with: every key the engine fills in as it goes.

The keys are the journal's schema (looplab.journal reads them); they are listed here, once,
so the runner only updates values.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import looplab
from looplab.backends.base import Backend
from looplab.engine._definition import run_definition
from looplab.engine._journal import SCHEMA_VERSION, utc_now
from looplab.scenarios import Scenario

__all__ = ["new_document"]


def new_document(
    scenario: Scenario,
    backend: Backend,
    stage: str | None,
    seed: int | None,
    stack: Any | None,
    overrides: dict[str, dict[str, Any]] | None,
    start_clock: float,
) -> dict[str, Any]:
    """The document of a run that has not taken a step yet (status ``running``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "scenario_file": scenario.file,
        "stack": scenario.stack,
        "backend": backend.name,
        "stage": stage,
        "parameters": dict(scenario.parameters),
        "seed": seed,
        "status": "running",
        "phase": "steps",
        "reason": None,
        "warnings": [],
        "started_at": utc_now(),
        "ended_at": None,
        # Who writes this journal: a reader tells a live run from a dead one by them.
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "looplab_version": looplab.__version__,
        "definition": run_definition(stack, backend, overrides),
        "clock": {"start": start_clock, "elapsed": 0.0, "wall_seconds": 0.0},
        "stop_when": [c.to_json() for c in scenario.stop_when],
        "steps": [],
        "finally": [],
        "expectations": [],
        "observations": {},
        "observations_after_finally": None,
        "cleanup": None,
        "timeline": None,  # written once, at the end (see looplab.journal)
    }
