"""``collect-results``: journals in, report.md / report.html / runs.csv / report.json /
timeline.png out (``formats`` chooses which reports; timelines are drawn only for the
reports that show them, md and html).

Fast on the second call: a cache (``<results>/.collect-cache.json``) keeps each journal's
summary under its size and modification time, so an unchanged journal is not parsed
again and its plot not redrawn. Only reads journals; never writes one. Every file is read
and written through :mod:`looplab._files` (bounded reads; writes that never follow a
planted symlink).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from looplab._files import COLLECT_CACHE, IMAGE, read_json, replacing
from looplab.backends.registry import metrics_settle
from looplab.journal import JournalError, RunRecord, read_journal
from looplab.results._csv import write_csv
from looplab.results._json import write_json
from looplab.results._plot import PLOT_NAME, PLOT_VERSION, draw, plot_data
from looplab.results._post import compared
from looplab.results._report import render, report_context
from looplab.results._settle import COLLECTED_NAME, ClientFactory, settle
from looplab.results._summary import RunSummary, summarise

__all__ = ["FORMATS", "CollectResult", "check_formats", "collect", "parse_since"]

CACHE_NAME = ".collect-cache.json"
# Each format and the file it writes; collect(formats=...) writes only those asked for.
FORMATS = {"md": "report.md", "html": "report.html", "csv": "runs.csv", "json": "report.json"}
_PICTURED = ("md", "html")  # the formats that show timelines
_CACHE_VERSION = 5  # 5: summaries carry dlq_held (4: overrides)
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
    formats: tuple[str, ...] | list[str] | None = None,
) -> CollectResult:
    """Collect every ``<results>/runs/*/journal.json``; write the report into ``out``
    (default: ``results``). ``cloudwatch`` makes the client for pending aws runs (None:
    offline). ``progress(done, total)`` is called while plots are drawn. ``formats``: which
    of :data:`FORMATS` to write (default: all); a csv or json alone draws no timeline.
    An unknown format is a ValueError naming the valid ones (before anything is read).

    Streams: one journal is held at a time, and only its summary kept (10,000 runs cost
    their summaries, not their journals). Timelines are drawn for the runs whose timeline
    the report shows (the newest run of each scenario on each backend, without overrides
    when there is one): drawing every run's would cost ~1 s per run.
    """
    wanted = check_formats(formats)
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
    for path in journals:
        rel = str(path.relative_to(results))
        key = _stat(path, path.parent / COLLECTED_NAME)
        entry = cache.get(rel)
        summary = _cached(entry, key)
        # A running run changes, a pending one may settle: those are always read again.
        if summary is not None and summary.status != "running" and summary.pending != "yes":
            fresh[rel] = entry
            outcome.runs.append(summary)
            continue
        summary = _summary(results, path, cloudwatch, outcome)
        if summary is None:
            continue
        outcome.runs.append(summary)
        # No cache entry (first collect here, or the cache was removed) but a plot drawn
        # after the journal's last change: the journal has not changed since.
        kept = entry is None and _plot_is_newer(path) and summary.status != "running"
        fresh[rel] = {
            "key": _stat(path, path.parent / COLLECTED_NAME),
            "summary": summary.to_json(),
            "plot": PLOT_VERSION if kept else None,
        }
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
    if any(f in wanted for f in _PICTURED):
        images, undrawn = _draw_shown(results, selected, fresh, outcome, progress)
    else:
        images, undrawn = {}, set()
    selected = [s for s in selected if s.journal not in undrawn]
    if not selected:
        _save_cache(results, fresh)
        outcome.exit_code = EXIT_NOTHING
        outcome.message = f"no journal could be read ({len(outcome.skipped)} skipped)"
        return outcome
    outcome.runs = selected
    out.mkdir(parents=True, exist_ok=True)
    outcome.written = _write_outputs(results, out, outcome, images, wanted)
    _save_cache(results, fresh)
    outcome.message = (
        f"{len(selected)} run(s) reported, {len(outcome.plotted)} plot(s) drawn, "
        f"{len(outcome.skipped)} journal(s) skipped, {len(outcome.pending)} still pending"
    )
    return outcome


def check_formats(formats: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """The formats asked for, in FORMATS' order (None: all); ValueError for another."""
    if formats is None:
        return tuple(FORMATS)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"--format {','.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}"
        )
    return tuple(f for f in FORMATS if f in formats)


def _nothing_ran(record: RunRecord) -> bool:
    """An aborted run that saw no invocation and no stop: CloudWatch has nothing of it to
    settle, and "still pending" would be noise (an aborted 0.13 s run showed it)."""
    if record.status != "aborted":
        return False
    obs = record.observations
    return (
        not any(
            isinstance(obs.get(k), int | float) and obs.get(k)
            for k in ("invocations", "recursive_invocations_dropped")
        )
        and not record.timeline.invocations
    )


def _summary(
    results: Path, path: Path, cloudwatch: ClientFactory | None, outcome: CollectResult
) -> RunSummary | None:
    """Read one journal and summarise it (settling an aws run first); None, with the
    problem in ``outcome.skipped``, when it cannot be. The journal is not kept."""
    rel = str(path.relative_to(results))
    try:
        record = read_journal(path)
    except JournalError as exc:
        outcome.skipped.append((rel, exc.problem))
        return None
    try:
        settles = metrics_settle(record.backend) and not _nothing_ran(record)
        settled = settle(record, cloudwatch) if settles else None
        summary = summarise(record, rel, settled.data if settled else None)
        if not settles and summary.pending == "yes":
            summary = replace(summary, pending="no")
    except Exception as exc:  # whatever the shape checks missed: this journal's problem
        outcome.skipped.append((rel, _unexpected("summarising it", exc)))
        return None
    if settled is not None and settled.state == "pending":
        outcome.pending.append((record.run, settled.detail))
    return summary


def _draw_shown(
    results: Path,
    selected: list[RunSummary],
    fresh: dict[str, Any],
    outcome: CollectResult,
    progress: Callable[[int, int], None] | None,
) -> tuple[dict[tuple[str, str], RunSummary], set[str]]:
    """The run whose timeline the report shows, per (scenario, backend), its plot drawn
    unless the cache says it is (and the file is a plot-sized regular file). A run whose
    timeline cannot be drawn is skipped (named in ``outcome.skipped``) and the next
    candidate of its group shown instead. Returns the shown runs and the skipped ones."""
    groups: dict[tuple[str, str], list[RunSummary]] = {}
    for run in selected:
        groups.setdefault((run.scenario, run.backend), []).append(run)
    images: dict[tuple[str, str], RunSummary] = {}
    undrawn: set[str] = set()
    todo = [g for g, runs in groups.items() if not _drawn(results, fresh, shown_first(runs)[0])]
    done = 0
    for group, runs in groups.items():
        for run in shown_first(runs):
            if _drawn(results, fresh, run):
                images[group] = run
                break
            problem = _draw(results, run)
            if problem is None:
                fresh[run.journal]["plot"] = PLOT_VERSION
                outcome.plotted.append(run.run)
                images[group] = run
                break
            # Left un-drawn in the cache: the next collect tries (and says so) again.
            outcome.skipped.append((run.journal, problem))
            undrawn.add(run.journal)
        if group in todo:
            done += 1
            if progress:
                progress(done, len(todo))
    return images, undrawn


def shown_first(runs: list[RunSummary]) -> list[RunSummary]:
    """A group's runs in the order the report would show their timeline: the newest
    completed run without overrides first (the scenario's picture is what the comparison
    uses), then the newest without overrides, then the rest."""
    used = {id(r) for r in compared(runs)}
    return sorted(runs, key=lambda r: (id(r) in used, not r.overrides, r.run), reverse=True)


def _drawn(results: Path, fresh: dict[str, Any], run: RunSummary) -> bool:
    entry = fresh.get(run.journal) or {}
    return entry.get("plot") == PLOT_VERSION and _plot_file(results / run.journal) is not None


def _plot_file(journal: Path) -> os.stat_result | None:
    """The stat of the journal's timeline.png when it can be a plot looplab drew: a regular
    file (not a link: looplab writes one by replacing), of a plot's size. A FIFO, a device,
    a link, a huge file: None, drawn again (and replaced)."""
    try:
        st = journal.with_name(PLOT_NAME).lstat()
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) and st.st_size <= IMAGE.limit else None


def _draw(results: Path, run: RunSummary) -> str | None:
    """Draw ``run``'s timeline; the problem, when it cannot be (OSError is raised: the
    command says where it cannot write)."""
    path = results / run.journal
    try:
        record = read_journal(path)
    except JournalError as exc:  # changed since it was summarised
        return exc.problem
    try:
        draw(plot_data(record), path.with_name(PLOT_NAME))
    except OSError:
        raise  # cannot write the plot: the command says where, for every run
    except Exception as exc:
        return _unexpected("drawing its timeline", exc)
    return None


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
    plot = _plot_file(journal)
    try:
        return plot is not None and plot.st_mtime_ns >= journal.stat().st_mtime_ns
    except OSError:
        return False


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


def _write_outputs(
    results: Path,
    out: Path,
    outcome: CollectResult,
    images: dict[tuple[str, str], RunSummary],
    wanted: tuple[str, ...],
) -> list[Path]:
    """The reports asked for, each streamed into its temporary file."""
    context = report_context(results, outcome.runs, outcome.skipped, outcome.pending, images)
    fills: dict[str, Callable[[Any], None]] = {
        "md": lambda f: render(context, "md", f),
        "html": lambda f: render(context, "html", f),
        "csv": lambda f: write_csv(outcome.runs, f),
        "json": lambda f: write_json(context, outcome.runs, f),
    }
    written = []
    for kind in wanted:
        name, fill = FORMATS[kind], fills[kind]
        path = out / name
        with replacing(path, text=True) as f:
            fill(f)
        written.append(path)
    return written


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
    # A cache that cannot be read (damaged, too large, not a file) only costs speed.
    try:
        data = read_json(results / CACHE_NAME, COLLECT_CACHE)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return {}
    runs = data.get("runs")
    return runs if isinstance(runs, dict) else {}


def _save_cache(results: Path, runs: dict[str, Any]) -> None:
    # A cache that cannot be written only costs speed next time.
    # json.dumps, not json.dump: only the one-shot encoder is C (10,000 runs: 0.3 s, not 2 s).
    text = json.dumps({"version": _CACHE_VERSION, "runs": runs})
    with contextlib.suppress(OSError), replacing(results / CACHE_NAME, text=True) as f:
        f.write(text)
