"""The function code an environment runs: a private read-only copy, never the cache's entry.

A stack's code directory is the compile cache's entry (``.looplab/compiled/<key>/code``),
which every later run with the same inputs reuses. Were it the handler's working directory
and ``LAMBDA_TASK_ROOT``, a handler could rewrite its own module there and the next run, a
cache hit, would run the change. On Lambda the code is read-only at /var/task.

So each runtime copies a code directory once, the first time an environment needs it,
into a private temporary folder (``_tempdirs.py``), removed when the runtime closes or is
collected:

- the handler's module, working directory and LAMBDA_TASK_ROOT are the copy: no path the
  handler is given leads into the cache;
- the copy is read-only (no write permission on any file or folder), as /var/task is.
  Permission bits do not hold against root; a sandbox that mounts the code read-only
  would replace this copy (``CodeViews.view`` is the one seam);
- ``__pycache__`` folders are not copied: bytecode found beside the code (an earlier run's,
  or planted) is never what runs, its source is; environments write none (``-B``).

Verifying the entry against a digest on every hit was the alternative: a digest kept
beside the entry is within reach of the same user, and the handler would still be handed
the cache's path. Copying takes that path away; for the few kilobytes of a function's code
it costs about a millisecond per run.
"""

from __future__ import annotations

import os
import shutil
import stat
import weakref
from pathlib import Path

from looplab.sim.runtime import _tempdirs

__all__ = ["CodeViews"]

_READ_ONLY = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


class CodeViews:
    """One runtime's read-only copies of code directories (made on first use)."""

    def __init__(self) -> None:
        self._root: str | None = None
        self._views: dict[Path, Path] = {}
        self._remove: weakref.finalize | None = None

    def view(self, code_dir: Path) -> Path:
        """The copy of ``code_dir`` an environment runs (``code_dir`` itself when it is
        not a directory: the environment then fails to start as it would have)."""
        code_dir = Path(code_dir)
        found = self._views.get(code_dir)
        if found is not None:
            return found
        if not code_dir.is_dir():
            return code_dir
        if self._root is None:
            self._root = _tempdirs.make("task")
            # Removed at close, or when the runtime is collected, or at exit.
            self._remove = weakref.finalize(self, _tempdirs.remove, self._root)
        view = Path(self._root, str(len(self._views)))
        shutil.copytree(code_dir, view, symlinks=True, ignore=_not_code)
        _read_only(view)
        self._views[code_dir] = view
        return view

    def close(self) -> None:
        """Remove every copy."""
        if self._remove is not None:
            self._remove()
        self._root = self._remove = None
        self._views.clear()


def _not_code(folder: str, names: list[str]) -> list[str]:
    """What is not copied: bytecode caches, and what is neither a file, a folder nor a
    link (a FIFO or a socket someone left there: no package holds one)."""
    skipped = []
    for name in names:
        mode = os.lstat(os.path.join(folder, name)).st_mode
        if name == "__pycache__" or not (
            stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)
        ):
            skipped.append(name)
    return skipped


def _read_only(top: Path) -> None:
    """Every file and folder under ``top`` (and ``top``) without write permission;
    symbolic links are left as they are (their targets are not the copy's)."""
    for base, dirs, files in os.walk(top, topdown=False):
        for name in [*files, *dirs]:
            path = os.path.join(base, name)
            mode = os.lstat(path).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(path, stat.S_IMODE(mode) & _READ_ONLY)
    os.chmod(top, stat.S_IMODE(os.lstat(top).st_mode) & _READ_ONLY)
