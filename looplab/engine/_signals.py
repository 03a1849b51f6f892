"""Ctrl-C and SIGTERM become an exception the runner can record, then clean up after.

Chaos Toolkit users complain that Ctrl-C skips rollbacks; here a signal during the steps
raises :class:`Interrupted` (a BaseException, so a backend's ``except Exception`` cannot
swallow it), the runner records it and then runs ``finally``. After that first signal (and
during ``finally``) the next signal is only noted (cleanup matters more than impatience); the
one after gives up on ``finally``. Once ``finally`` is over (:meth:`SignalGuard.settle`), signals
are only noted, so the journal's last write always happens. At most two :class:`Interrupted`
are raised per run. Signals that arrive while the journal is being replaced wait until the
write is done, so a journal is never half-written.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

WATCHED = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """The run was interrupted by a signal (``signame`` is SIGINT or SIGTERM)."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame

    @property
    def exit_code(self) -> int:
        # The shell convention: 128 + the signal's number.
        number = signal.SIGINT if self.signame == "SIGINT" else signal.SIGTERM
        return 128 + int(number)


class SignalGuard:
    """Installs the handlers for the duration of a run (main thread only)."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._defer = 0
        self._pending: str | None = None
        self.cleaning = False
        self.settled = False
        self.noted: list[str] = []

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in WATCHED:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def settle(self) -> None:
        """From now on signals are only noted (the run is writing its end)."""
        self.settled = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = WATCHED.get(signum, str(signum))
        if self._defer:
            self._pending = self._pending or name
            return
        self._deliver(name)

    def _deliver(self, name: str) -> None:
        if self.settled or (self.cleaning and not self.noted):
            self.noted.append(name)
            return
        if self.cleaning:
            self.settled = True  # giving up on finally: nothing is raised after this
        self.cleaning = True  # the run now heads for finally: the next signal is noted
        raise Interrupted(name)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold signals back while the body runs (an atomic journal write)."""
        self._defer += 1
        try:
            yield
        finally:
            self._defer -= 1
            if not self._defer and self._pending:
                name, self._pending = self._pending, None
                self._deliver(name)
