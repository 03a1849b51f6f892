"""The run's journal: one JSON file, replaced atomically after every step.

A reader (a person, ``invoke collect-results``, a test between steps) always finds a
complete, valid JSON document: the new text goes to a temporary file in the same folder
and ``os.replace`` swaps it in. No fsync: the guarantee is against readers and crashes of
this process, not power loss, and an fsync per step would dominate a simulated run.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_dir(results: Path, scenario: str, backend: str) -> Path:
    """A fresh ``results/runs/<UTC time>-<scenario>-<backend>/`` (suffixed if taken)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = Path(results) / "runs"
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        suffix = "" if attempt == 1 else f"-{attempt}"
        path = base / f"{stamp}-{scenario}-{backend}{suffix}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise RuntimeError(f"cannot make a run folder under {base}")


class Journal:
    """Holds the journal document and writes it to ``<folder>/journal.json``."""

    def __init__(self, folder: Path, doc: dict[str, Any]) -> None:
        self.folder = folder
        self.path = folder / "journal.json"
        self.doc = doc
        self.writes = 0

    def write(self) -> None:
        text = json.dumps(_clean(self.doc), indent=2, allow_nan=False)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
        self.writes += 1


def _clean(value: Any) -> Any:
    """JSON has no NaN / infinity and no tuples or sets: say what we mean instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean(v) for v in value]
    return value
