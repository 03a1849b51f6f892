"""The backends a scenario can run on, by name: the one place a backend is named.

Each entry (:class:`BackendKind`) says how to open the backend and what the command line
and the results need to know of it before (or long after) one is open: which command-line
overrides it accepts, whether it runs the stack in the simulator, whether RecursiveLoop
Allow needs ``--allow-recursion``, whether its metrics arrive late, and how to call it in
prose. Everything outside this module (looplab.cli, its overrides, looplab.results) asks
these questions of the registry, never of a backend's name (tests/test_backend_registry.py
fails on a ``"local"`` or ``"aws"`` written anywhere else).

A factory turns what cannot be opened (the simulator missing, no stack record, no
credentials) into :class:`BackendUnavailable`, which the command line reports as bad input
(exit 2, nothing run). Backends are imported only when opened: asking the registry costs
neither boto3 nor the simulator.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from looplab.backends.base import Backend, BackendError

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "SHIPPED",
    "BackendFactory",
    "BackendKind",
    "BackendUnavailable",
    "Override",
    "UnknownBackend",
    "accepting",
    "make_backend",
    "metrics_settle",
]

# factory(stack, seed, **options) -> Backend. The options are the command's: project, stage,
# budget, endpoint_url, sim_params, and allow_recursion for a backend that guards recursion;
# a factory takes ``**_`` for those it does not use.
BackendFactory = Callable[..., Backend]


class Override(StrEnum):
    """A command-line override of what a run is, which a backend accepts or refuses."""

    PARAM = "--param"  # compile the stack with other parameters (a deployed one is fixed)
    SIM = "--sim"  # the simulator's parameters (SimParams fields)
    ENDPOINT_URL = "--endpoint-url"  # send every AWS call elsewhere (moto, LocalStack)


@dataclass(frozen=True)
class BackendKind:
    """One registered backend: how to open it, and what the command line and the results
    must know of it without opening one."""

    factory: BackendFactory
    label: str
    """How prose calls it: "the local simulator", "AWS"."""
    overrides: frozenset[Override] = frozenset()
    """The command-line overrides it takes; any other is refused before anything runs."""
    simulated: bool = False
    """It runs the compiled stack in looplab.sim: what the simulator refuses in a stack is
    refused before anything runs."""
    guards_recursion: bool = False
    """RecursiveLoop Allow is refused unless the run was opened with ``--allow-recursion``
    (the factory receives ``allow_recursion``; no other backend does)."""
    metrics_settle: bool = False
    """Its metrics arrive late (CloudWatch's minutes): a run can end with its figures
    pending, and collecting results later settles them."""
    implementation: str | None = None
    """``module:Class`` of the backend's class, imported only by :meth:`backend_class` (the
    tests hold every registered class to the protocol and to what the step kinds call)."""

    def backend_class(self) -> type[Backend] | None:
        """The backend's class (imported now), or None for an entry that names none."""
        if self.implementation is None:
            return None
        module, _, name = self.implementation.partition(":")
        cls: type[Backend] = getattr(importlib.import_module(module), name)
        return cls


class UnknownBackend(BackendError):
    """No backend is registered under this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no backend {name!r} (registered: {', '.join(BACKENDS)})")
        self.name = name


class BackendUnavailable(BackendError):
    """The backend exists but cannot be opened here (nothing has run)."""


def _local(stack: Any, seed: int, *, sim_params: dict[str, Any] | None = None, **_: Any) -> Backend:
    try:
        from looplab.backends.local import LocalBackend
        from looplab.sim import SimParams
    except ImportError as exc:
        raise BackendUnavailable(f"the local backend is not available: {exc}") from exc
    params = SimParams().with_overrides(**sim_params) if sim_params else None
    return LocalBackend(stack, seed=seed, params=params)


def _aws(
    stack: Any,
    seed: int,
    *,
    project: Path | str,
    stage: str,
    allow_recursion: bool = False,
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
        raise BackendUnavailable(str(exc)) from exc
    except BackendError as exc:  # no credentials, access denied on the guard's reads
        raise BackendUnavailable(f"cannot reach the recorded stack: {exc}") from exc


# Tests register fakes here (looplab.cli.BACKENDS is this very dict).
BACKENDS: dict[str, BackendKind] = {
    "local": BackendKind(
        _local,
        "the local simulator",
        overrides=frozenset({Override.PARAM, Override.SIM}),
        simulated=True,
        implementation="looplab.backends.local:LocalBackend",
    ),
    "aws": BackendKind(
        _aws,
        "AWS",
        overrides=frozenset({Override.ENDPOINT_URL}),
        guards_recursion=True,
        metrics_settle=True,
        implementation="looplab.backends.aws:AwsBackend",
    ),
}
SHIPPED: tuple[str, ...] = tuple(BACKENDS)
"""The backends looplab ships, in the order results set them side by side."""
DEFAULT_BACKEND = "local"


def make_backend(
    name: str, stack: Any, seed: int = 0, *, allow_recursion: bool = False, **options: Any
) -> Backend:
    """Open the backend called ``name`` on ``stack``.

    Raises :class:`UnknownBackend` or :class:`BackendUnavailable`; nothing has run then.
    """
    kind = BACKENDS.get(name)
    if kind is None:
        raise UnknownBackend(name)
    if kind.guards_recursion:
        options["allow_recursion"] = allow_recursion
    return kind.factory(stack, seed, **options)


def accepting(override: Override) -> tuple[str, ...]:
    """The backends that take ``override``, for a refusal that says where it would apply."""
    return tuple(name for name, kind in BACKENDS.items() if override in kind.overrides)


def metrics_settle(name: str) -> bool:
    """Whether runs of backend ``name`` (a journal's) can end with their metrics pending.
    False for a name no longer registered: nothing is known to settle."""
    kind = BACKENDS.get(name)
    return kind is not None and kind.metrics_settle
