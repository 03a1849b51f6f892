"""Waiting for something a test can see (a file, a line, a process state) instead of sleeping.

A sleep guesses how long the machine takes; on a busy 2-core machine the guess is wrong and
the test fails. ``wait_for`` polls for the thing itself, so a pass never depends on timing.
Its ``timeout`` only bounds a failure (a regression must not hang the suite): callers pass a
generous one, about ten times what the wait takes under a CPU hog, and say so.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float,
    process: subprocess.Popen[Any] | None = None,
    poll: float = 0.05,
) -> T:
    """Poll ``condition`` until it returns something true and return that.

    Fails the test, naming ``what``, when ``process`` (the one expected to make it happen)
    exits first, or when ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"{process.args!r} exited ({process.returncode}) before: {what}")
        if time.monotonic() >= deadline:
            pytest.fail(f"no {what} within {timeout:.0f} s")
        time.sleep(poll)
