"""The clock seam: the aws backend's only notion of time.

Like SimPy's real-time and virtual environments, both clocks share one interface, so the
same backend code waits on AWS in real seconds and, in tests, on the simulator's virtual
clock (whose ``sleep`` runs the simulation forward: the functions run while "we" wait).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

__all__ = ["Clock", "RealClock", "SimulatorClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Epoch seconds."""

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Wall-clock time: what a run against AWS uses."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatorClock:
    """A simulator's virtual clock (epoch seconds too): sleeping advances the simulation.

    Typed loosely on purpose: the aws backend never imports looplab.sim, it only needs an
    object with ``now`` and ``advance(seconds)``.
    """

    def __init__(self, sim: Any) -> None:
        self.sim = sim

    def now(self) -> float:
        return float(self.sim.now)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sim.advance(seconds)
