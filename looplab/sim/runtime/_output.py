"""An invocation's stdout/stderr as looplab keeps it: log events, bounded, the rest counted.

An environment's fd 1 and 2 append to a memory file (``_process.py``); looplab reads it
while the invocation runs and when it ends, in chunks, into an :class:`Output`. Lambda
sends each line to CloudWatch Logs as one event and splits a line longer than an event
may be; looplab does the same, keeps the first OUTPUT_LIMIT bytes of an invocation's
events and only counts the rest, so what a handler prints costs looplab at most that
much, however much it prints.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["EVENT_LIMIT", "OUTPUT_LIMIT", "Output", "punch"]

EVENT_OVERHEAD = 26
"""Bytes CloudWatch Logs counts for each event besides its message (PutLogEvents' batch
size is "the sum of all event messages in UTF-8, plus 26 bytes for each log event")."""

EVENT_LIMIT = 262_144 - EVENT_OVERHEAD
"""Bytes of one log event's message: Lambda splits a longer line into events of this size
(CloudWatch's 256 KB event quota less the overhead; measured in public reports as
2^18 - 26). CloudWatch raised its quota to 1 MB in April 2025; whether Lambda's split
followed is not documented, so this keeps the figure Lambda is known to use."""

OUTPUT_LIMIT = 1 << 20
"""Bytes of one invocation's output events (with their overhead) that looplab keeps: four
events of the largest size, or ~10,000 lines of a hundred characters. Lambda keeps all
of it; looplab's own bound, so a handler printing 400 MB costs looplab a megabyte."""


class Output:
    """One invocation's output, fed as it is read: its lines as events (split at
    EVENT_LIMIT) while they fit in OUTPUT_LIMIT; from the first that does not, only
    counted: ``dropped_bytes`` raw bytes in ``dropped_lines`` lines (or rests of one)."""

    __slots__ = ("dropped_bytes", "dropped_lines", "full", "kept", "lines", "partial", "tail")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines  # the events kept, in order (the Result's list)
        self.kept = 0  # their bytes, overhead included
        self.partial = b""  # the start of a line not ended yet (shorter than an event)
        self.full = False  # nothing more is kept
        self.dropped_bytes = 0
        self.dropped_lines = 0
        self.tail = False  # the bytes dropped last end inside a line

    def feed(self, data: bytes) -> None:
        if self.full:
            self._drop(data)
            return
        *ended, rest = (self.partial + data).split(b"\n")
        self.partial = b""
        for n, line in enumerate(ended):
            size = len(line) + EVENT_OVERHEAD
            if size <= EVENT_LIMIT + EVENT_OVERHEAD and self.kept + size <= OUTPUT_LIMIT:
                self.lines.append(line.decode("utf-8", "replace"))  # most lines, at once
                self.kept += size
                continue
            self._line(line)  # longer than an event, or the first that does not fit
            if self.full:  # its newline and everything after it: counted
                self._drop(b"\n".join([b"", *ended[n + 1 :], rest]))
                return
        # An unended line longer than an event: its events so far (a line of exactly an
        # event waits for its newline, or it would end with an empty one).
        while len(rest) > EVENT_LIMIT and self._event(rest[:EVENT_LIMIT]):
            rest = rest[EVENT_LIMIT:]
        if self.full:
            self._drop(rest)
        else:
            self.partial = rest

    def end(self) -> None:
        """The output is over (the invocation ended): an unended line is a line."""
        if self.partial:
            self._line(self.partial)
            self.partial = b""
        if self.tail:
            self.dropped_lines += 1
            self.tail = False

    def _line(self, line: bytes) -> None:
        """Keep one line (without its newline) as events, or count what does not fit."""
        while True:
            if not self._event(line[:EVENT_LIMIT]):
                self._drop(line)
                return
            line = line[EVENT_LIMIT:]
            if not line:
                return

    def _event(self, piece: bytes) -> bool:
        size = len(piece) + EVENT_OVERHEAD
        if self.full or self.kept + size > OUTPUT_LIMIT:
            self.full = True
            return False
        self.lines.append(piece.decode("utf-8", "replace"))
        self.kept += size
        return True

    def _drop(self, data: bytes) -> None:
        if data:
            self.dropped_bytes += len(data)
            self.dropped_lines += data.count(b"\n")
            self.tail = data[-1:] != b"\n"


_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
_fallocate: Any = None


def punch(fd: int, end: int) -> int:
    """Free the memory file's pages below ``end`` (whole pages) without moving its size or
    offset, so appends go on where they were; how far it freed (0 without fallocate)."""
    global _fallocate
    if _fallocate is None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _fallocate = getattr(libc, "fallocate", False)
        if _fallocate:
            _fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    end -= end % os.sysconf("SC_PAGE_SIZE")
    if not _fallocate or _fallocate(fd, _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE, 0, end):
        return 0
    return end
