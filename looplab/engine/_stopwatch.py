"""Watching a scenario's ``stop_when``: exact where the backend can step, polled elsewhere.

A :class:`~looplab.backends.base.Watchable` backend (the simulator) calls the callback after
every moment at which something happened, so a budget of 100 invocations stops at 100. Any
other backend (AWS) is polled between the slices of a wait, seconds late, as its figures are.

During the steps a holding condition raises :class:`StopConditionMet` (the run is aborted,
then ``finally`` runs). During ``finally`` nothing is cut short: the first hit applies the
backend's emergency brake once (a :class:`~looplab.backends.base.Brakeable` backend's),
is recorded, and cleanup carries on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from looplab.backends.base import Backend, Brakeable, Watchable
from looplab.engine._probe import Probe
from looplab.scenarios import Condition

__all__ = ["StopConditionMet", "StopWatch"]


class StopConditionMet(Exception):
    """A ``stop_when`` condition held: the run is aborted (then ``finally`` runs)."""

    def __init__(self, cond: Condition, entry: dict[str, Any]) -> None:
        note = f" ({cond.note})" if cond.note else ""
        super().__init__(
            f"stop condition met: {cond.subject()} {cond.expected()}{note}; "
            f"actual {entry.get('actual')}"
        )
        self.entry = entry


class StopWatch:
    def __init__(
        self,
        conds: tuple[Condition, ...],
        probe: Probe,
        backend: Backend,
        elapsed: Callable[[], float],
    ) -> None:
        self.conds = tuple(conds)
        self.probe = probe
        self.backend = backend
        self.elapsed = elapsed
        self.phase = "steps"
        self.finally_hits: list[dict[str, Any]] = []
        # Exact: the backend checks after every event itself; the engine need not poll.
        self._stepper = backend if self.conds and isinstance(backend, Watchable) else None

    @property
    def exact(self) -> bool:
        return self._stepper is not None

    @property
    def active(self) -> bool:
        if not self.conds or self.probe.baseline is None:  # nothing to watch, or no way to
            return False
        return not (self.phase == "finally" and self.finally_hits)

    @property
    def polled(self) -> bool:
        """Whether waits must poll this watch themselves (the backend does not step)."""
        return self.active and not self.exact

    def arm(self) -> None:
        if self._stepper is not None:
            self._stepper.watch(self.check)

    def disarm(self) -> None:
        if self._stepper is not None:
            self._stepper.watch(None)

    def enter_finally(self) -> None:
        self.phase = "finally"

    def check(self, fresh: bool = True) -> None:
        """One look at the conditions. Steps: raise on a hit. Finally: brake once, record.

        ``fresh=False``: the caller started this round of readings (probe.fresh()).
        """
        if not self.active:
            return
        if fresh:
            self.probe.fresh()
        cond = self.probe.first_holding(self.conds)
        if cond is None:
            return
        entry = self.probe.check(cond)
        if self.phase == "steps":
            raise StopConditionMet(cond, entry)
        self.finally_hits.append({**entry, "at": self.elapsed(), "brake": self._brake()})
        self.disarm()  # braked once: the rest of the cleanup moves time at full speed

    def rail_tripped(self, reason: str) -> dict[str, Any]:
        """The backend's own rail stopped and braked during finally (the aws budget, from
        the logs): the same kind of record, and this watch need not brake again."""
        hit = {
            "check": "backend rail",
            "actual": None,
            "reason": reason,
            "at": self.elapsed(),
            "brake": {"applied": True, "by": self.backend.name},
        }
        self.finally_hits.append(hit)
        return hit

    def _brake(self) -> dict[str, Any]:
        if not isinstance(self.backend, Brakeable):
            return {"applied": False, "why": f"the {self.backend.name} backend has no brake"}
        try:
            return {"applied": True, "actions": [a.to_json() for a in self.backend.brake()]}
        except Exception as exc:  # a failed brake is recorded; cleanup still goes on
            return {"applied": False, "error": f"{type(exc).__name__}: {exc}"}
