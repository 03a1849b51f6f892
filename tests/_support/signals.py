"""Ctrl-C as an interactive Python has it, whatever disposition pytest inherited.

A shell starts a background job (``pytest &`` in a script) with SIGINT ignored, and Python
keeps an inherited ignore instead of installing KeyboardInterrupt. A test that sends itself
SIGINT, or asserts the default handler is back after a run, then fails for a reason that has
nothing to do with looplab; so does one that interrupts a child, which inherits the ignore.
While Python's handler is installed here, children start with SIGINT at its default (a
handler, unlike an ignore, does not survive exec), so they get KeyboardInterrupt too.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def default_sigint() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt inside; the previous disposition is back after."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
