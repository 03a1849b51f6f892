"""A zygote that answers late must not have its late reply read as the next request's."""

from __future__ import annotations

import os
import select
import signal

import pytest

from looplab.sim.runtime import _zygote
from looplab.sim.runtime._zygote import RuntimeUnavailable, Zygote

_NO_SUCH_CHILD = 0x3FFFFFF0  # the zygote answers status -1 for a pid it never forked


def test_a_timed_out_zygote_is_broken_and_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    slow = Zygote()  # its default timeout while it must answer: any load is fine
    try:
        assert slow.wait(_NO_SUCH_CHILD) == -1  # answers while running
        os.kill(slow.process.pid, signal.SIGSTOP)  # stopped: no answer comes, however long
        slow.reply_timeout = 0.2  # so the wait that must time out is short
        with pytest.raises(RuntimeUnavailable, match="did not answer"):
            slow.wait(_NO_SUCH_CHILD)
        assert slow.sock.gettimeout() == 0.2  # it waited its own timeout, not a default
        os.kill(slow.process.pid, signal.SIGCONT)
        # Its late reply now comes (the deadline only bounds a failure).
        assert select.select([slow.sock], [], [], 120)[0], "the late reply never came"
        assert not slow.alive
        with pytest.raises(RuntimeUnavailable, match="broken"):
            slow.wait(_NO_SUCH_CHILD + 1)  # never answered by the stale reply
        monkeypatch.setattr(_zygote, "_current", slow)
        fresh = _zygote.the_zygote()
        try:
            assert fresh is not slow
            assert fresh.alive
            assert fresh.wait(_NO_SUCH_CHILD + 2) == -1
            assert slow.process.poll() is not None  # the broken one was closed, not leaked
        finally:
            fresh.close()
    finally:
        if slow.process.poll() is None:
            os.kill(slow.process.pid, signal.SIGCONT)
        slow.close()


def _ignored_signals(pid: int) -> int:
    """The process's mask of ignored signals (SigIgn in /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("SigIgn:"):
                return int(line.split()[1], 16)
    raise AssertionError("no SigIgn line")


def test_environments_do_not_inherit_an_ignored_sigint() -> None:
    """looplab started in the background (``&``) has SIGINT and SIGQUIT ignored, and an
    exec keeps what is ignored: the zygote, and every environment forked from it, would
    ignore them too, which no process on Lambda does."""
    before = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGQUIT)}
    try:
        zygote = Zygote()
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    try:
        ignored = _ignored_signals(zygote.process.pid)
        assert not ignored & (1 << (signal.SIGINT - 1)), hex(ignored)
        assert not ignored & (1 << (signal.SIGQUIT - 1)), hex(ignored)
    finally:
        zygote.close()
