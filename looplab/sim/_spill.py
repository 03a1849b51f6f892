"""Spill files that no exit can leave behind: unlinked as soon as they are open.

The simulator spills its log events to a temporary file. A named temporary file is
removed on ``close()`` or at a clean interpreter exit, but not when the process is killed
(SIGKILL, the default SIGTERM), leaves through ``os._exit`` (as forked children do), or
crashes: those runs left ``looplab-logs-*.bin`` in /tmp. Here the file's name is removed
right after a writer and a reader are open on it; the two handles keep the data until the
process ends, however it ends, and the kernel frees it then.

Where the platform refuses to unlink an open file (Windows), the name stays and is
removed on close, as before.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import BinaryIO

__all__ = ["SpillFile"]


class SpillFile:
    """An append-only temporary file with a separate reader (reading never moves the writer).

    ``writer`` appends; ``reader`` seeks and reads; ``name`` is None once unlinked.
    """

    def __init__(self, prefix: str = "looplab-", suffix: str = ".bin") -> None:
        fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix)
        self.writer: BinaryIO = os.fdopen(fd, "wb")
        self.reader: BinaryIO = open(path, "rb")  # noqa: SIM115 - lives as long as the spill
        self.name: str | None = path
        try:
            os.unlink(path)
            self.name = None
        except OSError:  # e.g. Windows: an open file cannot be unlinked; close() does it
            pass

    def read_from(self, position: int) -> BinaryIO:
        """The reader at byte ``position``, after pushing what was written to the file."""
        self.writer.flush()
        self.reader.seek(position)
        return self.reader

    def close(self) -> None:
        self.writer.close()
        self.reader.close()
        if self.name is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.name)
            self.name = None

    def __enter__(self) -> SpillFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
