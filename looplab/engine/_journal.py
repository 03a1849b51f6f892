"""The run's journal: one JSON file, replaced atomically as the run goes.

A reader (a person, ``invoke collect-results``, a test between steps) always finds a
complete, valid JSON document: the new text goes to a temporary file in the same folder
and ``os.replace`` swaps it in. No fsync: the guarantee is against readers and crashes of
this process, not power loss, and an fsync per step would dominate a simulated run.

The cost stays linear in the number of steps. A finished step's record never changes, so
it is serialised once (:meth:`Journal.seal`) and its text reused by every later write; only
the small head of the document is serialised again. Writing the file is still one pass
over it, so once the journal is large the writes are paced: a write is skipped when the
last one ended less than ``_PACE`` times its own duration ago (the journal then lags the
run by at most a few times one write), and every forced write (the run's start, its end,
a status change) always happens. Small journals (the shipped scenarios) are written after
every step.

The schema itself is :mod:`looplab.journal`.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from looplab.journal import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Journal", "run_dir", "utc_now"]

_SMALL = 64 * 1024  # bytes: below this, every write happens (the shipped scenarios: 15-30 KB)
_PACE = 20.0  # above it, writes take at most ~1/20 of the run's wall time
_NUMBERED = 99  # same-second run folders numbered -2 .. -99; then a random suffix


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_dir(results: Path, scenario: str, backend: str) -> Path:
    """A fresh ``results/runs/<UTC time>-<scenario>-<backend>/`` (suffixed if taken).

    Past 99 runs in one second the suffix is random: a thousand runs in a second (a loop
    in a script) still each get a folder, never an error. Raises OSError when the folder
    cannot be made at all (permissions, disk full).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(results) / "runs"
    base.mkdir(parents=True, exist_ok=True)
    attempt = 1
    while True:
        if attempt <= _NUMBERED:
            suffix = "" if attempt == 1 else f"-{attempt}"
        else:
            suffix = f"-{uuid.uuid4().hex[:8]}"
        path = base / f"{stamp}-{scenario}-{backend}{suffix}"
        try:
            path.mkdir()
        except FileExistsError:
            attempt += 1
            continue
        return path


class Journal:
    """Holds the journal document and writes it to ``<folder>/journal.json``."""

    def __init__(self, folder: Path, doc: dict[str, Any]) -> None:
        self.folder = folder
        self.path = folder / "journal.json"
        self.doc = doc
        self._sealed: dict[int, tuple[Any, str]] = {}  # id(value) -> (value, its JSON)
        self._walk: set[int] = set()  # ids of dicts that hold sealed values
        self._last_end = 0.0
        self._last_cost = 0.0
        self._last_size = 0

    def seal(self, value: Any, *within: dict[str, Any]) -> None:
        """``value`` (a finished step record, a snapshot, the timeline) will not change:
        serialise it once, here, and reuse the text in every later write. ``within`` are
        the dicts that hold it below the document's top level (observations -> snapshots):
        those are walked when written, so the sealed text is found inside them."""
        known = self._sealed.get(id(value))
        if known is None or known[0] is not value:
            self._sealed[id(value)] = (value, _dumps(value))
        # Ids only (no references kept): a stale id that a new dict reuses just gets
        # walked, which writes the same JSON.
        self._walk.update(id(c) for c in within)

    def due(self) -> bool:
        """Whether an unforced write should happen now (see the module's docstring)."""
        if self._last_size < _SMALL:
            return True
        return time.monotonic() - self._last_end >= _PACE * self._last_cost

    def write_if_due(self) -> bool:
        """Write unless the pacing says not yet; returns whether it wrote."""
        if not self.due():
            return False
        self.write()
        return True

    def write(self) -> None:
        """Replace the file with the document.

        On failure (disk full, ...) the temporary file is removed and the previous journal
        stays in place, complete; the error is raised to the caller.
        """
        began = time.monotonic()
        text = self._text()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._last_end = time.monotonic()
        self._last_cost = self._last_end - began
        self._last_size = len(text)

    def _text(self) -> str:
        # One top-level key per line and one step per line: readable, greppable, and a
        # fraction of the size (and time) of indenting every level.
        parts = []
        for key, value in self.doc.items():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                items = ",\n".join(self._fragment(item) for item in value)
                parts.append(f"{json.dumps(str(key))}: [\n{items}\n]")
            else:
                parts.append(f"{json.dumps(str(key))}: {self._fragment(value)}")
        return "{\n" + ",\n".join(parts) + "\n}\n"

    def _fragment(self, value: Any) -> str:
        sealed = self._sealed.get(id(value))
        if sealed is not None and sealed[0] is value:
            return sealed[1]
        if isinstance(value, dict) and id(value) in self._walk:
            items = (f"{json.dumps(str(k))}: {self._fragment(v)}" for k, v in value.items())
            return "{" + ", ".join(items) + "}"
        return _dumps(value)


def _dumps(value: Any) -> str:
    return json.dumps(_clean(value), allow_nan=False)


def _clean(value: Any) -> Any:
    """JSON has no NaN / infinity and no tuples or sets: say what we mean instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    return value
