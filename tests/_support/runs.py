"""Run a shipped scenario of scenarios.yaml on the simulator into a results folder: the
journals the results tests collect are real ones, made by the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from looplab.backends import local
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.sim import SimParams

ROOT = Path(__file__).parents[2]  # the project: tests/_support/ is two floors down


def run_shipped(
    results: Path,
    name: str = "loop-detection",
    *,
    sim: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
    sets: dict[str, str] | None = None,
) -> None:
    """One run of scenario ``name`` (seed 0) on the post's stack, journalled in ``results``;
    ``sim`` overrides SimParams fields (recorded as ``overrides`` says); ``sets`` are the
    scenario's parameters as ``--set`` gives them (recorded as the CLI records them)."""
    from looplab.stack import load_stack

    stack = load_stack(ROOT, stage="dev")
    params = SimParams().with_overrides(**sim) if sim else None
    backend = local.LocalBackend(stack, seed=0, params=params)
    try:
        run_scenario(
            build_scenario(
                validate_file(ROOT / "scenarios.yaml", stack),
                name,
                [f"{k}={v}" for k, v in (sets or {}).items()],
                stack,
            ),
            backend,
            results=results,
            seed=0,
            queues=sorted(stack.queues),
            stack=stack,
            **({"overrides": overrides} if overrides is not None else {}),
        )
    finally:
        backend.close()
