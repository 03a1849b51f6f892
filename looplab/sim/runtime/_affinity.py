"""One processor for looplab's thread and the environment it is invoking, for one invocation.

An invocation is a strict hand-off: while the environment runs, looplab waits for it, and
while looplab answers an SDK call or does its bookkeeping, the environment waits. Two
processors give it nothing to run in parallel, only cross-processor wake-ups: on this
project's 2-core VM each of a hop's four hand-offs then wakes an idle processor, which cost
~300 us of kernel time per hop (looplab ~200 us, the environment ~180 us, read from /proc),
against ~100 us when both sides share a processor and a wake-up is a switch on the spot
(benchmarks/sim_throughput.py, docs/simulator.md "Performance").

So for the length of each invocation, looplab's thread is pinned to the processor it is
on, and the environment is moved there. Between invocations looplab's thread has its
own affinity back, so the kernel still balances it against whatever else runs; the next
invocation follows it wherever it went. Nothing here changes a result: where a process
runs is invisible to the simulation (the virtual clock takes wall time only through
``SimParams.handler_time_*``).

Linux only (``sched_getcpu``, ``sched_setaffinity``); elsewhere, or when the kernel
refuses (a cpuset that does not hold the processor), it does nothing.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

__all__ = ["NOWHERE", "pin", "unpin"]

NOWHERE = -1
"""An environment's processor before its first pinning (or when it cannot be pinned)."""

_getcpu: Any = None  # libc's sched_getcpu, found on first use; False where there is none


def _current_cpu() -> int:
    global _getcpu
    if _getcpu is None:
        try:
            import ctypes

            _getcpu = ctypes.CDLL(None, use_errno=True).sched_getcpu
            _getcpu.restype = ctypes.c_int
            _getcpu.argtypes = []
        except (OSError, AttributeError):
            _getcpu = False
    return int(_getcpu()) if _getcpu else NOWHERE


def pin(pid: int, where: int) -> tuple[set[int] | None, int]:
    """Pin the calling thread to its processor and move process ``pid`` (last put on
    ``where``) there. Returns (the affinity to give back with :func:`unpin`, or None when
    nothing was pinned; the processor ``pid`` is on now)."""
    if not hasattr(os, "sched_setaffinity"):
        return None, where
    cpu = _current_cpu()
    if cpu < 0:
        return None, where
    try:
        mask: set[int] | None = os.sched_getaffinity(0)
        if len(mask) > 1:
            os.sched_setaffinity(0, (cpu,))
        else:
            mask = None  # pinned already (one processor allowed, or an outer invocation's)
    except OSError:
        return None, where
    if where != cpu:
        try:
            os.sched_setaffinity(pid, (cpu,))
            where = cpu
        except OSError:  # gone (its death is the invocation's to report), or refused
            where = NOWHERE
    return mask, where


def unpin(mask: set[int] | None) -> None:
    """Give the calling thread back the affinity :func:`pin` took from it."""
    if mask is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, mask)
