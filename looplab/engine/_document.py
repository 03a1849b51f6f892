"""The journal document a run starts with: the schema's RunDocument, before its first step.

Every field is the schema's (:class:`looplab.journal.RunDocument`, which the reader reads
back); here the run's own values go in, and the runner fills in the rest as it goes.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import looplab
from looplab.backends.base import Backend
from looplab.engine._definition import run_definition
from looplab.engine._journal import utc_now
from looplab.journal import Clock, RunDocument
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
) -> RunDocument:
    """The document of a run that has not taken a step yet (status ``running``)."""
    return RunDocument(
        scenario=scenario.name,
        description=scenario.description,
        scenario_file=scenario.file,
        stack=scenario.stack,
        backend=backend.name,
        stage=stage,
        parameters=dict(scenario.parameters),
        seed=seed,
        started_at=utc_now(),
        pid=os.getpid(),
        host=socket.gethostname(),
        looplab_version=looplab.__version__,
        definition=run_definition(stack, backend, overrides),
        clock=Clock(start_clock),
        stop_when=[c.to_json() for c in scenario.stop_when],
    )
