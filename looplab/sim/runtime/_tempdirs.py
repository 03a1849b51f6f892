"""The runtime's own temporary folders (an environment's empty HOME, the copies of the code
it runs), and what a looplab process killed before it could remove them left behind.

Each folder is named ``looplab-<kind>-<pid>-<random>`` after the process that made it, so
the next runtime to make one removes those of processes that are gone (``kill -9`` runs no
cleanup; tests do it on purpose). A folder of a live process, or of another user, is
never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile

__all__ = ["make", "remove"]


def make(kind: str) -> str:
    """A new folder of this process for ``kind`` (its leftovers swept first)."""
    _sweep(kind)
    return tempfile.mkdtemp(prefix=f"looplab-{kind}-{os.getpid()}-")


def remove(path: str) -> None:
    """Remove ``path`` and everything in it, read-only folders included (rmtree needs
    write permission on a folder to empty it)."""
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IRWXU)
    for base, dirs, _ in os.walk(path):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(base, name), stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


def _sweep(kind: str) -> None:
    prefix = f"looplab-{kind}-"
    uid = os.getuid()
    with contextlib.suppress(OSError), os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            pid = entry.name[len(prefix) :].partition("-")[0]
            try:
                mine = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (
                pid.isdigit()
                and stat.S_ISDIR(mine.st_mode)
                and mine.st_uid == uid
                and not _alive(int(pid))
            ):
                remove(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's: alive
    return True
