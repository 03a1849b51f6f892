"""The report's first table: the post's four runs, in the post's order, one line each.

Each line says what the post saw, what the simulator shows, what AWS showed (a column
only when there are aws runs), whether they are the same, and the status of the runs
behind the figures. Only :func:`looplab.results._post.compared` runs give a figure
(completed, no overrides); the status column says what the others were, so a failed or
aborted run is visible and never silently set beside the post.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from looplab.backends.registry import BACKENDS
from looplab.results._post import POST_RUNS, Comparison, compare, compared
from looplab.results._summary import RunSummary

__all__ = ["HeadlineRow", "always_shown", "backend_title", "headline", "status_text"]


def backend_title(name: str) -> str:
    """How the report calls a backend: the registry's label ("the local simulator",
    "AWS"); a backend no longer registered by its journal's name."""
    kind = BACKENDS.get(name)
    return kind.label if kind is not None else name


def always_shown(name: str) -> bool:
    """The simulator's column is in the headline even without a run: the story is told
    against it. Other backends' columns appear when they have runs."""
    kind = BACKENDS.get(name)
    return kind is not None and kind.simulated


@dataclass(frozen=True)
class HeadlineRow:
    scenario: str
    name: str  # the post's run
    post: str  # what the post saw
    seen: dict[str, str]  # backend -> what its compared runs show, in one line
    verdict: str  # "same", "differs: ...", per backend when there are two
    status: str  # the runs behind it: "local: 2 completed; aws: 1 failed (not compared)"


def status_text(runs: list[RunSummary]) -> str:
    """``2 completed, 1 failed, 1 with overrides``: the runs by status, those that enter no
    comparison said as such."""
    if not runs:
        return "no run"
    used = {id(r) for r in compared(runs)}
    counts: Counter[str] = Counter()
    for run in runs:
        if id(run) in used:
            counts["completed"] += 1
        elif run.overrides:
            counts["with overrides"] += 1
        elif run.pending == "yes":
            counts[f"{_status_word(run)} (metrics pending)"] += 1
        else:
            counts[_status_word(run)] += 1
    order = ["completed", "completed (metrics pending)", "failed", "aborted", "interrupted"]
    order += ["running", "with overrides"]
    keys = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    parts = [f"{counts[k]} {k}" for k in keys]
    left_out = len(runs) - len(used)
    why = " (only completed runs without overrides are compared)" if left_out else ""
    return ", ".join(parts) + why


def _status_word(run: RunSummary) -> str:
    if run.status == "dead":
        return "running (process gone)"
    return run.status


def _one_line(rows: list[Comparison], backend: str) -> str:
    values = [(c.short or c.label, c.by_backend.get(backend, "")) for c in rows]
    if values and all(v == values[0][1] for _, v in values) and not values[0][1][:1].isdigit():
        return values[0][1]  # "no run", "no completed run": said once
    return "; ".join(f"{label} {value}" for label, value in values)


def _verdict(rows: list[Comparison], backend: str) -> str:
    diffs = [(c.short or c.label, c.difference.get(backend, "")) for c in rows]
    if not any(d for _, d in diffs):
        seen = rows[0].by_backend.get(backend, "") if rows else ""
        return "nothing to compare" if seen[:1].isdigit() or not seen else seen
    differing = [f"{label} {d}" for label, d in diffs if d and not d.startswith("same")]
    if differing:
        return "differs: " + "; ".join(differing)
    return "same"


def headline(runs: list[RunSummary], backends: tuple[str, ...]) -> list[HeadlineRow]:
    """One row per post run, for ``backends`` (those with runs, in the order shown)."""
    rows = []
    for post_run in POST_RUNS:
        mine = [r for r in runs if r.scenario == post_run.scenario]
        comparison = compare(post_run.scenario, mine, backends)
        seen = {b: _one_line(comparison, b) for b in backends}
        if post_run.scenario == "protection-off":
            # The post could not run it: there is nothing to be the same as.
            verdicts = {b: "new: the post could not test it" for b in backends}
        else:
            verdicts = {b: _verdict(comparison, b) for b in backends}
        if len(backends) == 1:
            verdict = verdicts[backends[0]]
        else:
            verdict = "; ".join(f"{backend_title(b)}: {verdicts[b]}" for b in backends)
        statuses = [
            f"{backend_title(b)}: {status_text([r for r in mine if r.backend == b])}"
            for b in backends
        ]
        rows.append(
            HeadlineRow(
                post_run.scenario,
                post_run.name,
                post_run.saw,
                seen,
                verdict,
                "; ".join(statuses),
            )
        )
    return rows
