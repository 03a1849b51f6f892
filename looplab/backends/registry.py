"""The backends a command can run a scenario on, by name: the registry behind ``--backend``.

Each factory turns the compiled stack and the command's options into a Backend, and turns
what cannot be opened (the local simulator missing, no stack record, no credentials) into
BadInput, so a command exits 2 with the reason and nothing run. Tests register fakes in
BACKENDS (looplab.cli re-exports this very dict).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from looplab._cli_common import DEFAULTS, BadInput
from looplab.backends.base import Backend, BackendError
from looplab.scenarios import unknown

__all__ = [
    "BACKENDS",
    "BackendFactory",
    "check_backend_name",
    "invocation_budget",
    "make_backend",
]

BackendFactory = Callable[..., Backend]


def _local(stack: Any, seed: int, *, sim_params: dict[str, Any] | None = None, **_: Any) -> Backend:
    try:
        from looplab.backends.local import LocalBackend
        from looplab.sim import SimParams
    except ImportError as exc:
        raise BadInput(f"the local backend is not available: {exc}") from exc
    params = SimParams().with_overrides(**sim_params) if sim_params else None
    return LocalBackend(stack, seed=seed, params=params)


def _aws(
    stack: Any,
    seed: int,
    *,
    allow_recursion: bool = False,
    project: Path | str = ".",
    stage: str = DEFAULTS["stage"],
    budget: int | None = None,
    endpoint_url: str | None = None,
    **_: Any,
) -> Backend:
    from looplab.backends.aws import StackRecordError, open_backend

    try:
        return open_backend(
            project,
            stage,
            stack,
            allow_recursion=allow_recursion,
            budget=budget,
            endpoint_url=endpoint_url,
        )
    except StackRecordError as exc:  # missing/stale record, other account or region
        raise BadInput(str(exc)) from exc
    except BackendError as exc:  # no credentials, access denied on the guard's reads
        raise BadInput(f"cannot reach the recorded stack: {exc}") from exc


# Name -> factory(stack, seed, allow_recursion=..., project=..., stage=..., budget=...,
# endpoint_url=...). Tests register fakes here (taking **_ for what they do not use).
BACKENDS: dict[str, BackendFactory] = {"local": _local, "aws": _aws}


def make_backend(
    name: str, stack: Any, seed: int = 0, *, allow_recursion: bool = False, **options: Any
) -> Backend:
    """Build the backend called ``name``; raise BadInput for an unknown or unavailable one."""
    check_backend_name(name)
    return BACKENDS[name](stack, seed, allow_recursion=allow_recursion, **options)


def invocation_budget(scenario: Any) -> int | None:
    """The smallest ``stop_when: invocations at_least N`` of a scenario (the aws rail's budget)."""
    limits = [
        int(c.value)
        for c in scenario.stop_when
        if c.metric == "invocations" and c.op == "at_least" and c.function is None
    ]
    return min(limits) if limits else None


def check_backend_name(name: str) -> None:
    """Raise BadInput for a backend name that is not registered (with the valid choices)."""
    if name not in BACKENDS:
        raise BadInput(unknown("backend", name, BACKENDS))
