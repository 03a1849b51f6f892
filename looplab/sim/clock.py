"""A virtual clock driving a discrete-event simulation: waiting 120 s costs microseconds.

Events at the same instant run in the order they were scheduled (a sequence number breaks
ties), which together with a seeded random generator makes every run of the same seed
identical.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class Clock:
    __slots__ = ("_heap", "_seq", "now")

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._seq = 0

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` at virtual time ``when`` (never in the past)."""
        self._seq += 1
        heapq.heappush(self._heap, (max(when, self.now), self._seq, fn, args))

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        self.at(self.now + delay, fn, *args)

    def next_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def run_until(self, until: float) -> int:
        """Run every event due at or before ``until``; leave the clock at ``until``."""
        heap = self._heap
        done = 0
        while heap and heap[0][0] <= until:
            when, _, fn, args = heapq.heappop(heap)
            self.now = when
            fn(*args)
            done += 1
        self.now = max(self.now, until)
        return done
