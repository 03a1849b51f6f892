"""Headless Chromium driven over the DevTools protocol on a pipe (no extra package).

``chromium --remote-debugging-pipe`` reads protocol messages (JSON, each ended by a NUL
byte) on its file descriptor 3 and writes replies and events on 4. That is all a test
needs to open a page at a given width, collect every console message, exception and
network request, evaluate a script in the page and take a screenshot, with Debian's
``chromium`` package and the standard library only.

Every wait has a deadline (:data:`DEADLINE`, generous: a cold Chromium start on a busy
2-core machine takes seconds, and a test must not depend on load), after which the
browser is killed and :class:`BrowserError` says what was awaited.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["DEADLINE", "FLAGS", "BrowserError", "Page", "chromium_path", "open_page"]

DEADLINE = 120.0  # seconds for any one reply: far above a cold start on a loaded machine
# The flags that work in this sandbox (root, no GPU, no network): no first-run UI, no
# background fetches of Google's services (they would be external requests of their own).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    pass


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Page:
    """One page of a running Chromium: what it logged and requested, and how to ask it."""

    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int):
        self._proc = proc
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None
        self.events: list[dict[str, Any]] = []

    # -- the protocol ------------------------------------------------------------------
    def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        session = kw.get("session", self._session)
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(f"the reply to {method}")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read(f"the event {method}")
            if "method" in event:
                self.events.append(event)
                if event["method"] == method:
                    return event

    def _read(self, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + DEADLINE
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._in], [], [], max(left, 0))
            if not ready:
                raise BrowserError(f"no answer from Chromium in {DEADLINE:.0f} s: {what}")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium closed the pipe while waiting for {what}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    # -- what a test uses --------------------------------------------------------------
    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"the page's script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(data["data"]))

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and the browser's own error log entries
        (a Content-Security-Policy violation, a failed load)."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                found.append(str(params.get("exceptionDetails", {}).get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(str(params["entry"].get("text")))
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]


def _high(fd: int) -> int:
    """``fd`` moved to a descriptor number of at least 10 (the original is closed)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class open_page:
    """``with open_page(url, width=800) as page:`` a loaded page in a fresh profile."""

    def __init__(self, url: str, width: int = 800, height: int = 1000) -> None:
        self.url, self.width, self.height = url, width, height
        self._profile = tempfile.TemporaryDirectory(prefix="looplab-chromium-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._fds: list[int] = []

    def __enter__(self) -> Page:
        binary = chromium_path()
        if binary is None:
            raise BrowserError("no chromium on PATH (Debian: apt-get install chromium)")
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Above 9, so that moving them onto 3 and 4 never closes one another.
        to_child_r, from_child_w = _high(to_child_r), _high(from_child_w)
        # The browser's fd 3 reads what we write, its fd 4 writes what we read: bash moves
        # the pipe ends there (their own numbers are whatever the OS gave) and execs it.
        moves = f"3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-"
        self._proc = subprocess.Popen(
            [
                "bash",  # dash (sh) cannot redirect a descriptor above 9
                "-c",
                f'exec "$0" "$@" {moves}',
                binary,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._fds = [to_child_w, from_child_r]
        page = Page(self._proc, to_child_w, from_child_r)
        try:
            targets = page.send("Target.getTargets")["targetInfos"]
            [target] = [t for t in targets if t["type"] == "page"][:1]
            attached = page.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )
            page._session = attached["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                page.send(f"{domain}.enable")
            page.send(
                "Emulation.setDeviceMetricsOverride",
                {
                    "width": self.width,
                    "height": self.height,
                    "deviceScaleFactor": 1,
                    "mobile": False,
                },
            )
            page.send("Page.navigate", {"url": self.url})
            page.wait_for("Page.loadEventFired")
        except BaseException:
            self.__exit__()
            raise
        return page

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            try:
                os.write(self._fds[0], json.dumps({"id": 0, "method": "Browser.close"}).encode())
                os.write(self._fds[0], b"\0")
                self._proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._profile.cleanup()
