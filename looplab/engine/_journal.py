"""The run's journal: one JSON file, replaced atomically as the run goes.

A reader (a person, ``invoke collect-results``, a test between steps) always finds a
complete, valid JSON document: the new text goes to a temporary file in the same folder
and ``os.replace`` swaps it in (:func:`looplab._files.replacing`: created exclusively under
an unpredictable name, so a planted symlink is never written through). No fsync: the
guarantee is against readers and crashes of this process, not power loss, and an fsync
per step would dominate a simulated run.

The cost stays linear in the number of steps. A finished step's record never changes, so
it is serialised once (:meth:`Journal.seal`) and its text reused by every later write; only
the small head of the document is serialised again. Writing the file is still one pass
over it, so once the journal is large the writes are paced: a write is skipped when the
last one ended less than ``_PACE`` times its own duration ago (the journal then lags the
run by at most a few times one write), and every forced write (the run's start, its end,
a status change) always happens. Small journals (the shipped scenarios) are written after
every step.

Every write lands, whatever the document holds (a run's record is its only evidence): a
value that JSON cannot hold (nested deeper than :data:`VALUE_DEPTH`, containing itself, an
integer too long to print, an object of no JSON type) is written as a string saying so, in
its place; the rest of the document, its status and its ``finally`` steps, is written as
ever. A run's last write is never lost to its content (a handler's reply nested 900 deep
left journals ``running``).

The document is the schema's :class:`looplab.journal.RunDocument`, the record the reader
reads back: its members are written in the schema's order, and each record in it (a step,
the clock, the timeline) is serialised by its own ``to_json``.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from looplab._files import JSON_DEPTH, replacing
from looplab.journal import SCHEMA_VERSION, Record, RunDocument

__all__ = ["SCHEMA_VERSION", "VALUE_DEPTH", "Journal", "run_dir", "utc_now"]

_SMALL = 64 * 1024  # bytes: below this, every write happens (the shipped scenarios: 15-30 KB)
_PACE = 20.0  # above it, writes take at most ~1/20 of the run's wall time
_NUMBERED = 99  # same-second run folders numbered -2 .. -99; then a random suffix
# How deep a value in the journal may nest. The document puts a value at most ~5 levels
# down (steps[i].output.reply...), so the file stays within what looplab reads back
# (looplab._files.JSON_DEPTH); the shipped scenarios' values nest 4 deep at most.
VALUE_DEPTH = 64
assert VALUE_DEPTH + 10 < JSON_DEPTH, "what the journal writes must read back"
# Python prints at most this many digits of an int (sys.get_int_max_str_digits: 4300).
_INT_BITS = int(4300 * 3.32)


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
    """Holds the journal document and writes it to ``<folder>/journal.json``.

    ``doc`` is the run's :class:`RunDocument` (a plain dict is written the same way).
    """

    def __init__(self, folder: Path, doc: RunDocument | dict[str, Any]) -> None:
        self.folder = folder
        self.path = folder / "journal.json"
        self.doc = doc
        self._sealed: dict[int, tuple[Any, str]] = {}  # id(value) -> (value, its JSON)
        self._walk: set[int] = set()  # ids of dicts that hold sealed values
        self._last_end = 0.0
        self._last_cost = 0.0
        self._last_size = 0

    def seal(self, value: Any, *within: dict[str, Any]) -> None:
        """``value`` (a finished :class:`StepRecord`, a snapshot, the timeline) will not change:
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
        stays in place, complete; the error is raised to the caller. The document itself
        never makes it fail: what cannot be serialised is written as a placeholder.
        """
        began = time.monotonic()
        text = self._text()
        with replacing(self.path, text=True) as out:
            out.write(text)
        self._last_end = time.monotonic()
        self._last_cost = self._last_end - began
        self._last_size = len(text)

    def _text(self) -> str:
        # One top-level key per line and one step per line: readable, greppable, and a
        # fraction of the size (and time) of indenting every level.
        parts = []
        members = self.doc.members() if isinstance(self.doc, Record) else self.doc
        for key, value in members.items():
            if isinstance(value, list) and value and isinstance(value[0], (dict, Record)):
                items = ",\n".join(self._fragment(item) for item in value)
                parts.append(f"{_key(key)}: [\n{items}\n]")
            else:
                parts.append(f"{_key(key)}: {self._fragment(value)}")
        return "{\n" + ",\n".join(parts) + "\n}\n"

    def _fragment(self, value: Any, depth: int = 0) -> str:
        sealed = self._sealed.get(id(value))
        if sealed is not None and sealed[0] is value:
            return sealed[1]
        if isinstance(value, dict) and id(value) in self._walk and depth < 4:
            items = (f"{_key(k)}: {self._fragment(v, depth + 1)}" for k, v in value.items())
            return "{" + ", ".join(items) + "}"
        return _dumps(value)


def _key(key: Any) -> str:
    return json.dumps(key if isinstance(key, str) else _describe(key, str))


def _dumps(value: Any) -> str:
    """``value`` as JSON, always: :func:`_clean` leaves nothing json.dumps refuses, and
    whatever still fails (a ``__str__`` raising, memory) is written as what happened."""
    try:
        return json.dumps(_clean(value, VALUE_DEPTH, set()), allow_nan=False)
    except Exception as exc:
        return json.dumps(f"<not recorded: {type(exc).__name__}: {_describe(exc, str)}>")


def _clean(value: Any, depth: int, path: set[int]) -> Any:
    """``value`` in the types JSON holds: no NaN / infinity (null), no tuples or sets
    (lists); too deep, self-containing, unprintable or unknown values become a string
    saying so (the placeholder). Recursion is bounded by ``depth`` (``VALUE_DEPTH``
    levels, far under Python's limit); ``path`` holds the containers above ``value``."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        if value.bit_length() > _INT_BITS:
            return f"<not recorded: an integer of {value.bit_length()} bits>"
        return value
    if isinstance(value, Record):  # a record of the schema: its JSON object
        value = value.to_json()
    elif not isinstance(value, (dict, list, tuple, set, frozenset)):
        return f"<not recorded: a {type(value).__name__}, not a JSON value>"
    if depth <= 0:
        return f"<not recorded: nested deeper than {VALUE_DEPTH} levels>"
    if id(value) in path:
        return "<not recorded: a value that contains itself>"
    path.add(id(value))
    try:
        if isinstance(value, dict):
            return {
                (k if isinstance(k, str) else _describe(k, str)): _clean(v, depth - 1, path)
                for k, v in value.items()
            }
        return [_clean(v, depth - 1, path) for v in value]
    finally:
        path.discard(id(value))


def _describe(value: Any, show: Any) -> str:
    """``show(value)`` (``str`` of a key, an exception), or what stopped it."""
    try:
        return str(show(value))
    except Exception as exc:
        return f"<{type(value).__name__}: {type(exc).__name__}>"
