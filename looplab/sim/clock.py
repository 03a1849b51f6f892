"""A virtual clock driving a discrete-event simulation: waiting 120 s costs microseconds.

Events at the same instant run in the order they were scheduled (a sequence number breaks
ties), which together with a seeded random generator makes every run of the same seed
identical.

A loop that never lets time advance (each event scheduling the next at the same instant)
would run forever at one instant, its memory growing, with nothing outside the loop (a
stop condition, Ctrl-C's cleanup) ever getting a turn. So the clock counts the events at
the current instant and, past :data:`STALL_LIMIT`, raises :class:`ClockStalled` naming
what looped; it stays stalled (every later ``run_until`` raises at once, running nothing),
so whatever runs next cannot loop there again.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from typing import Any

__all__ = ["STALL_LIMIT", "Clock", "ClockStalled"]

STALL_LIMIT = 1_000_000
"""Events at one instant of virtual time before the clock calls it a loop. Generous: 100
times the largest legitimate burst found, a seed step's 10,000 messages (the scenarios'
bound) coming due together through a queue's DelaySeconds (one event each); everything
else that repeats (an invocation, a poll, a delivery, a retry) takes virtual time, unless a
--sim latency is set to 0, when a loop is exactly what this catches. A stuck
loop runs ~110,000-140,000 events a second (measured), so it is stopped within seconds and
its memory stays bounded: a redrive cycle at zero poll latency (the template checks
bypassed) stalls after 7-9 s on a loaded 2-core machine, having grown ~90 MB."""

_WINDOW = 1_000
"""How many of the last events before a stall are described in the error."""

Event = tuple[float, int, Callable[..., Any], tuple[Any, ...]]


class ClockStalled(RuntimeError):
    """Virtual time stopped advancing: a loop at one instant (the message names it)."""


def _qualname(fn: Callable[..., Any], args: tuple[Any, ...]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class Clock:
    __slots__ = (
        "_count",
        "_describe",
        "_heap",
        "_instant",
        "_limit",
        "_recent",
        "_seq",
        "_start",
        "now",
    )

    def __init__(
        self,
        start: float = 0.0,
        stall_limit: int | None = None,
        describe: Callable[[Callable[..., Any], tuple[Any, ...]], str] | None = None,
    ) -> None:
        """``describe(fn, args)`` names an event in a stall's message (default: the
        callable's qualified name); ``stall_limit`` defaults to :data:`STALL_LIMIT`."""
        self.now = start
        self._start = start
        self._heap: list[Event] = []
        self._seq = 0
        self._limit = STALL_LIMIT if stall_limit is None else stall_limit
        self._describe = describe or _qualname
        self._instant: float | None = None  # the instant the events counted ran at
        self._count = 0
        self._recent: Counter[str] | None = None  # the last events before a stall, named

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at virtual time ``when`` (never in the past)."""
        self._seq += 1
        heapq.heappush(self._heap, (max(when, self.now), self._seq, fn, args))

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        self.at(self.now + delay, fn, *args)

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def run_until(self, until: float) -> int:
        """Run every event due at or before ``until``; leave the clock at ``until``.

        Raises :class:`ClockStalled` (before running the event) when more than the stall
        limit would run at one instant; the clock then stays at that instant."""
        heap, pop = self._heap, heapq.heappop
        done = 0
        # The instant's count lives in locals in the loop (this is the simulator's hot path)
        # and is written back however the loop ends: an event's exception, Ctrl-C, a stall.
        instant, count, limit = self._instant, self._count, self._limit
        watch_from = limit - _WINDOW
        try:
            while heap:
                when = heap[0][0]
                if when > until:
                    break
                if when == instant:
                    if count >= limit:
                        self._count = count
                        raise ClockStalled(self._stall_message())
                    count += 1
                else:
                    instant, count, self._recent = when, 1, None
                _, _, fn, args = pop(heap)
                if count > watch_from:
                    self._note(fn, args)
                self.now = when
                fn(*args)
                done += 1
        finally:
            self._instant, self._count = instant, count
        self.now = max(self.now, until)
        return done

    def _note(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if self._recent is None:
            self._recent = Counter()
        try:
            name = self._describe(fn, args)
        except Exception as exc:  # naming must never be what breaks the run
            name = f"{_qualname(fn, args)} (not described: {type(exc).__name__})"
        self._recent[name] += 1

    def _stall_message(self) -> str:
        recent = self._recent or Counter()
        seen = sum(recent.values())
        listed = "; ".join(f"{name} x{n:,}" for name, n in recent.most_common(8))
        return (
            f"virtual time stopped advancing: {self._count:,} events ran at one instant "
            f"({self.now - self._start:.6f} s into the run); a loop that takes no time never "
            f"ends, so the simulation stops here. The last {seen:,} events: {listed or '(none)'}"
        )
