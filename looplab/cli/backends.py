"""The backend registry (looplab.backends.registry) as the command line uses it: an unknown
name, or a backend that cannot be opened here, is BadInput (exit 2, nothing run), with the
valid choices. looplab.cli re-exports these names, and the registry's own table as
``looplab.cli.BACKENDS`` (tests register fakes in it).
"""

from __future__ import annotations

from typing import Any

from looplab.backends.base import Backend
from looplab.backends.registry import BACKENDS, BackendKind, BackendUnavailable
from looplab.backends.registry import make_backend as _open
from looplab.cli.common import BadInput
from looplab.scenarios import unknown

__all__ = ["BACKENDS", "check_backend_name", "invocation_budget", "make_backend"]


def check_backend_name(name: str) -> BackendKind:
    """The registered backend ``name``; BadInput with the valid choices for any other."""
    kind = BACKENDS.get(name)
    if kind is None:
        raise BadInput(unknown("backend", name, BACKENDS))
    return kind


def make_backend(
    name: str, stack: Any, seed: int = 0, *, allow_recursion: bool = False, **options: Any
) -> Backend:
    """Open the backend called ``name``; BadInput for an unknown or unavailable one."""
    check_backend_name(name)
    try:
        return _open(name, stack, seed, allow_recursion=allow_recursion, **options)
    except BackendUnavailable as exc:
        raise BadInput(str(exc)) from exc


def invocation_budget(scenario: Any) -> int | None:
    """The smallest ``stop_when: invocations at_least N`` of a scenario (the aws rail's budget)."""
    limits = [
        int(c.value)
        for c in scenario.stop_when
        if c.metric == "invocations" and c.op == "at_least" and c.function is None
    ]
    return min(limits) if limits else None
