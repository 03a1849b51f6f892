"""What a wait on AWS is waiting on, said each time it reads the figures again.

A wait on AWS can last minutes (CloudWatch is minutes late, settle windows are minutes
long), and a progress bar's "waiting N/900 s" alone does not tell a slow run from one
where nothing runs (a wrong endpoint, a mapping left off). So during a wait the backend
notes every figure the wait reads (its observations, the queues it asks about, the
budget's count from the logs) and, once per CloudWatch refresh, says them in one line:
"aws 30/300 s: invocations 0, errors 0, ...; Queue 0/0/0 (visible/in flight/delayed)".
A figure that has not settled yet is marked so.
"""

from __future__ import annotations

from collections.abc import Callable

from looplab.backends.base import Observations, QueueState

__all__ = ["WaitFigures"]

# The observations a line shows (the figures every scenario's waits and stop_when use).
_SHOWN = (
    ("invocations", "invocations"),
    ("recursive_invocations_dropped", "dropped"),
    ("errors", "errors"),
)


class WaitFigures:
    """The figures read since the last line, and when to say the next one."""

    def __init__(self, say: Callable[[str], None] | None, every: float) -> None:
        self.say = say
        self.every = every
        self._obs: Observations | None = None
        self._queues: dict[str, QueueState] = {}
        self._budget: tuple[int, int] | None = None
        self._last: float | None = None

    def observed(self, obs: Observations) -> None:
        self._obs = obs

    def queue(self, name: str, state: QueueState) -> None:
        self._queues[name] = state

    def budget(self, count: int, limit: int) -> None:
        self._budget = (count, limit)

    def start(self, now: float) -> None:
        """A wait begins: the first line comes one interval in."""
        self._last = now
        self._obs, self._queues, self._budget = None, {}, None

    def tick(self, now: float, done: float, total: float) -> None:
        """Say the figures read, if an interval has passed and any was read."""
        if self.say is None or (self._last is not None and now - self._last < self.every):
            return
        parts = self._parts()
        if not parts:
            return
        self._last = now
        self.say(f"   aws {done:.0f}/{total:.0f} s: {parts}")

    def _parts(self) -> str:
        shown: list[str] = []
        obs = self._obs
        if obs is not None:
            pending = obs.pending()
            for field, label in _SHOWN:
                mark = " (settling)" if field in pending else ""
                shown.append(f"{label} {getattr(obs, field)}{mark}")
            if obs.counters_sent:
                mark = " (settling)" if "counters_sent" in pending else ""
                shown.append(f"last counter sent {obs.counters_sent[-1]}{mark}")
        if self._budget is not None:
            count, limit = self._budget
            shown.append(f"START lines {count} of budget {limit}")
        line = ", ".join(shown)
        if self._queues:
            queues = ", ".join(
                f"{name} {s.visible}/{s.in_flight}/{s.delayed}"
                + ("" if s.settled else " (settling)")
                for name, s in sorted(self._queues.items())
            )
            line = f"{line}; {queues}" if line else queues
            line += " (visible/in flight/delayed)"
        return line
