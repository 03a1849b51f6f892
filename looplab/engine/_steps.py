"""Run one step: its kind's ``run`` (looplab.scenarios.kinds), given the engine's context.

What each kind does to the backend, and the output it records, is declared with the kind;
the engine supplies what a running step needs of it (:class:`RunContext`, the
:class:`~looplab.scenarios.kinds.StepContext` protocol): the backend, the run's readings,
progress reports and the polled watch of ``stop_when``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from looplab.backends.base import Backend
from looplab.engine._probe import Probe
from looplab.engine._stopwatch import StopWatch
from looplab.scenarios import Step
from looplab.scenarios.kinds import Progress, StepOutcome, kind_of

__all__ = ["STOP_POLL", "RunContext", "execute"]

# On a backend that cannot step (AWS), stop conditions are watched during waits at most
# this often (backend seconds): each check is an observations query (CloudWatch, a log
# scan), and an invocation budget does not need a per-second one. The simulator checks
# after every event instead (see engine/_stopwatch.py).
STOP_POLL = 5.0


@dataclass
class RunContext:
    """The engine's side of :class:`looplab.scenarios.kinds.StepContext`."""

    backend: Backend
    probe: Probe
    queues: list[str]
    watch: StopWatch
    progress: Callable[[float], Progress]  # total seconds -> callback(done)
    stop_poll: float = STOP_POLL

    def stop_check(self) -> Callable[[], None] | None:
        if not self.watch.polled:
            return None
        last: list[float] = []

        def check() -> None:
            now = self.backend.now()
            if last and now - last[0] < self.stop_poll:
                return
            last[:] = [now]
            self.watch.check(fresh=False)  # the caller started the round

        return check


def execute(step: Step, ctx: RunContext) -> StepOutcome:
    return kind_of(step).run(step, ctx)
