"""What a console (or a test) hears while a run goes on, and the guard that keeps a broken
console from costing a run its ``finally``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from looplab.scenarios import Scenario, Step

__all__ = ["GuardedListener", "Listener", "Quiet"]


class Listener(Protocol):
    """What a console (or a test) hears while a run goes on. Every method is optional.

    A finished step and the finished run arrive as the journal holds them: the JSON of the
    schema's StepRecord and RunDocument (looplab.journal), built afresh for each call.
    """

    def run_started(self, scenario: Scenario, journal: Path) -> None: ...
    def step_started(self, phase: str, index: int, total: int, step: Step) -> None: ...
    def step_progress(self, done: float, total: float) -> None: ...
    def step_finished(self, phase: str, record: dict[str, Any]) -> None: ...
    def run_finished(self, doc: dict[str, Any]) -> None: ...


class Quiet:
    """The listener of a run nobody watches."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class GuardedListener:
    """Calls the listener, but a broken console must never cost a run its ``finally``.

    After a listener fails it is not called again, except ``run_finished``: the user must see
    how the run ended even when a live line could not be drawn.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.failure: str | None = None

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name, None)

        def call(*args: Any, **kwargs: Any) -> None:
            if method is None or (self.failure is not None and name != "run_finished"):
                return
            try:
                method(*args, **kwargs)
            except Exception as exc:
                self.failure = self.failure or f"{name}: {type(exc).__name__}: {exc}"

        return call
