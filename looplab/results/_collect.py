"""``collect-results``: journals in, report.md / report.html / runs.csv / timeline.png out.

Fast on the second call: a cache (``<results>/.collect-cache.json``) keeps each journal's
summary under its size and modification time, so an unchanged journal is not parsed
again and its plot not redrawn. Only reads journals; never writes one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from looplab.backends.registry import metrics_settle
from looplab.journal import JournalError, read_journal
from looplab.results._plot import PLOT_VERSION, draw, plot_data
from looplab.results._report import render
from looplab.results._settle import COLLECTED_NAME, ClientFactory, settle
from looplab.results._summary import RUNS_CSV_COLUMNS, RunSummary, summarise

__all__ = ["CollectResult", "collect", "parse_since"]

CACHE_NAME = ".collect-cache.json"
_CACHE_VERSION = 4  # 4: summaries carry overrides (a 3 would say "none" for every run)
EXIT_OK, EXIT_NOTHING = 0, 2


@dataclass
class CollectResult:
    exit_code: int
    message: str
    runs: list[RunSummary] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (journal, problem)
    pending: list[tuple[str, str]] = field(default_factory=list)  # (run, why still pending)
    written: list[Path] = field(default_factory=list)
    plotted: list[str] = field(default_factory=list)  # runs whose timeline.png was drawn


def parse_since(text: str) -> datetime:
    """``--since``: a date (2026-12-01) or an ISO 8601 time (2026-12-01T10:00Z), in UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r} is not a date: use YYYY-MM-DD or an ISO 8601 time such as "
            "2026-12-01T10:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _default_cloudwatch(region: str | None) -> Any:
    import boto3

    return boto3.client("cloudwatch", region_name=region)


def collect(
    results: Path,
    *,
    scenario: str | None = None,
    backend: str | None = None,
    since: datetime | None = None,
    out: Path | None = None,
    cloudwatch: ClientFactory | None = _default_cloudwatch,
    progress: Callable[[int, int], None] | None = None,
) -> CollectResult:
    """Collect every ``<results>/runs/*/journal.json``; write the report into ``out``
    (default: ``results``). ``cloudwatch`` makes the client for pending aws runs (None:
    offline). ``progress(done, total)`` is called while plots are drawn."""
    results = Path(results)
    out = Path(out) if out is not None else results
    journals = sorted((results / "runs").glob("*/journal.json"))
    if not journals:
        return CollectResult(
            EXIT_NOTHING, f"no journals under {results / 'runs'}: run a scenario first"
        )
    cache = _load_cache(results)
    fresh: dict[str, Any] = {}
    outcome = CollectResult(EXIT_OK, "")
    to_plot: list[Any] = []
    for path in journals:
        rel = str(path.relative_to(results))
        key = _stat(path, path.parent / COLLECTED_NAME)
        entry = cache.get(rel)
        summary = _cached(entry, key)
        # A running run changes, a pending one may settle: those are always read again.
        if summary is not None and summary.status != "running" and summary.pending != "yes":
            fresh[rel] = entry
            if entry.get("plot") != PLOT_VERSION or not (path.parent / "timeline.png").is_file():
                to_plot.append(path)
            outcome.runs.append(summary)
            continue
        try:
            record = read_journal(path)
        except JournalError as exc:
            outcome.skipped.append((rel, exc.problem))
            continue
        try:
            settled = settle(record, cloudwatch) if metrics_settle(record.backend) else None
            summary = summarise(record, rel, settled.data if settled else None)
        except Exception as exc:  # whatever the shape checks missed: this journal's problem
            outcome.skipped.append((rel, _unexpected("summarising it", exc)))
            continue
        if settled is not None and settled.state == "pending":
            outcome.pending.append((record.run, settled.detail))
        outcome.runs.append(summary)
        fresh[rel] = {
            "key": _stat(path, path.parent / COLLECTED_NAME),
            "summary": summary.to_json(),
            "plot": None,
        }
        if entry is None and _plot_is_newer(path) and summary.status != "running":
            # No cache entry (first collect here, or the cache was removed) but a plot
            # drawn after the journal's last change: the journal has not changed since.
            fresh[rel]["plot"] = PLOT_VERSION
            continue
        to_plot.append(record)
    selected = _select(outcome.runs, scenario, backend, since)
    if not selected:
        _save_cache(results, fresh)
        if outcome.runs:
            have = sorted({f"{r.scenario} on {r.backend}" for r in outcome.runs})
            what = f"no run matches the filters; the journals hold: {', '.join(have)}"
        else:
            what = "no journal could be read"
        outcome.exit_code = EXIT_NOTHING
        outcome.message = f"{what} ({len(outcome.skipped)} skipped)"
        return outcome
    wanted = {s.journal for s in selected}
    plots = [p for p in to_plot if str(_path_of(p).relative_to(results)) in wanted]
    undrawn: set[str] = set()
    for done, item in enumerate(plots, 1):
        record = item if not isinstance(item, Path) else _read_or_none(item)
        if record is not None:
            rel = str(record.path.relative_to(results))
            try:
                draw(plot_data(record), record.path.parent / "timeline.png")
            except OSError:
                raise  # cannot write the plot: the command says where, for every run
            except Exception as exc:
                # Left un-drawn in the cache: the next collect tries (and says so) again.
                outcome.skipped.append((rel, _unexpected("drawing its timeline", exc)))
                undrawn.add(rel)
            else:
                fresh[rel]["plot"] = PLOT_VERSION
                outcome.plotted.append(record.run)
        if progress:
            progress(done, len(plots))
    selected = [s for s in selected if s.journal not in undrawn]
    if not selected:
        _save_cache(results, fresh)
        outcome.exit_code = EXIT_NOTHING
        outcome.message = f"no journal could be read ({len(outcome.skipped)} skipped)"
        return outcome
    outcome.runs = selected
    out.mkdir(parents=True, exist_ok=True)
    outcome.written = _write_outputs(results, out, outcome)
    _save_cache(results, fresh)
    outcome.message = (
        f"{len(selected)} run(s) reported, {len(outcome.plotted)} plot(s) drawn, "
        f"{len(outcome.skipped)} journal(s) skipped, {len(outcome.pending)} still pending"
    )
    return outcome


def _unexpected(doing: str, exc: Exception) -> str:
    return f"unexpected {type(exc).__name__} {doing}: {exc} (hand-edited or damaged?)"


def _cached(entry: Any, key: list[Any]) -> RunSummary | None:
    """The cached summary when the journal (and collected.json) are as they were."""
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    try:
        return RunSummary.from_json(entry["summary"])
    except (KeyError, TypeError):
        return None  # a damaged cache entry: read the journal again


def _plot_is_newer(journal: Path) -> bool:
    try:
        return (journal.parent / "timeline.png").stat().st_mtime_ns >= journal.stat().st_mtime_ns
    except OSError:
        return False


def _path_of(item: Any) -> Path:
    return item if isinstance(item, Path) else item.path


def _read_or_none(path: Path) -> Any:
    try:
        return read_journal(path)
    except JournalError:
        return None


def _select(
    runs: list[RunSummary], scenario: str | None, backend: str | None, since: datetime | None
) -> list[RunSummary]:
    chosen = []
    for run in runs:
        if scenario is not None and run.scenario != scenario:
            continue
        if backend is not None and run.backend != backend:
            continue
        if since is not None:
            try:
                started = parse_since(run.started_at)
            except ValueError:
                continue
            if started < since:
                continue
        chosen.append(run)
    return sorted(chosen, key=lambda r: (r.scenario, r.run))


def _write_outputs(results: Path, out: Path, outcome: CollectResult) -> list[Path]:
    md, html = render(results, outcome.runs, outcome.skipped, outcome.pending)
    written = []
    for name, text in (("report.md", md), ("report.html", html), ("runs.csv", _csv(outcome.runs))):
        path = out / name
        _atomic(path, text)
        written.append(path)
    return written


def _csv(runs: list[RunSummary]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(RUNS_CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for run in runs:
        writer.writerow(run.row())
    return buffer.getvalue()


def _stat(*paths: Path) -> list[Any]:
    key: list[Any] = []
    for path in paths:
        try:
            st = path.stat()
            key.append([st.st_size, st.st_mtime_ns])
        except OSError:
            key.append(None)
    return key


def _load_cache(results: Path) -> dict[str, Any]:
    try:
        data = json.loads((results / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return {}
    runs = data.get("runs")
    return runs if isinstance(runs, dict) else {}


def _save_cache(results: Path, runs: dict[str, Any]) -> None:
    # A cache that cannot be written only costs speed next time.
    with contextlib.suppress(OSError):
        _atomic(results / CACHE_NAME, json.dumps({"version": _CACHE_VERSION, "runs": runs}))


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
