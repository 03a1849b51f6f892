"""The zygote: one process per looplab process that forks every execution environment.

``_child.py`` run as a script (``python -I -B``, an empty environment, its own session so a
terminal's Ctrl-C reaches looplab only), started at the first environment. It imports
boto3/botocore once, so a cold start costs a fork instead of ~350 ms of imports.

No orphans: an environment gets SIGKILL when the zygote dies (PR_SET_PDEATHSIG); the
zygote kills every environment and exits when its socket to looplab closes, which the
kernel does however looplab ends (even kill -9).
"""

from __future__ import annotations

import atexit
import pickle
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["RuntimeUnavailable", "Zygote", "current_zygote", "the_zygote"]

_CHILD = Path(__file__).with_name("_child.py")


class RuntimeUnavailable(RuntimeError):
    """The zygote could not start or stopped answering: a fault of looplab's host, not of
    a handler."""


class Zygote:
    """looplab's end of the zygote: fork requests and exit statuses, one at a time.

    ``reply_timeout`` bounds each wait for an answer (a fork or a reap is milliseconds; 30 s
    means the zygote is stuck). Requests are not numbered, so after a timeout the late reply
    would be read as the next request's: the zygote is marked broken instead, refuses every
    further request, and :func:`the_zygote` replaces it.
    """

    def __init__(self, reply_timeout: float = 30.0) -> None:
        self.reply_timeout = reply_timeout
        self.broken = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = ours
        self.lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                # -B: an environment writes no bytecode (its code is read-only, _code.py).
                [sys.executable, "-I", "-B", str(_CHILD), str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env={},  # nothing of the host's environment, even before a fork
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            theirs.close()
        reply = self._receive(timeout=60)
        if reply[0] != "ready":
            raise RuntimeUnavailable(f"the environment zygote answered {reply!r}")

    def _receive(self, timeout: float) -> tuple[Any, ...]:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except (OSError, TimeoutError) as exc:
            self.broken = True  # a late reply may follow: nothing more is read from here
            raise RuntimeUnavailable(f"the environment zygote did not answer: {exc}") from exc
        if not data:
            raise RuntimeUnavailable(
                f"the environment zygote exited (status {self.process.poll()})"
            )
        return pickle.loads(data)  # the zygote is looplab's own code, not a handler's

    def _check(self) -> None:
        if self.broken:
            raise RuntimeUnavailable(
                "the environment zygote is broken (a reply timed out); the_zygote() replaces it"
            )

    def fork(self, spec: dict[str, Any], fds: list[int]) -> int:
        with self.lock:
            self._check()
            try:
                socket.send_fds(self.sock, [pickle.dumps(("fork", spec))], fds)
            except OSError as exc:
                raise RuntimeUnavailable(f"the environment zygote is gone: {exc}") from exc
            reply = self._receive(self.reply_timeout)
        return int(reply[1])

    def wait(self, pid: int) -> int:
        """The exit status of a child that is dead or was just sent SIGKILL."""
        with self.lock:
            self._check()
            try:
                self.sock.send(pickle.dumps(("wait", pid)))
            except OSError as exc:
                raise RuntimeUnavailable(f"the environment zygote is gone: {exc}") from exc
            return int(self._receive(self.reply_timeout)[2])

    @property
    def alive(self) -> bool:
        return not self.broken and self.process.poll() is None

    def close(self) -> None:
        self.sock.close()  # the zygote kills its environments and exits on EOF
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_current: Zygote | None = None
_lock = threading.Lock()


def the_zygote() -> Zygote:
    """This looplab process's zygote, started (or restarted) on demand."""
    global _current
    with _lock:
        if _current is None or not _current.alive:
            if _current is not None:
                _current.close()  # a broken one may still run: end it and its environments
            _current = Zygote()
        return _current


def current_zygote() -> Zygote | None:
    return _current


@atexit.register
def _shutdown() -> None:
    global _current
    if _current is not None:
        _current.close()
        _current = None
