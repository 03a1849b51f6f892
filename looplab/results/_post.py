"""The seed post's own observations, and each scenario's runs set beside them.

"Testing AWS Lambda Infinite Loop Protection" (21 July 2023) reported, by hand:
- first run, {"counter": 5}: "The stream stopped after 21 ... Lambda was executed 16 times",
  zero errors, a "Recursive invocations dropped" graph above zero, two log streams;
- second run, with the DLQ: after 120 s the DLQ held {"counter": 26};
- third run, the DLQ as a second trigger: "stopped the same way", the message "stuck in
  Messages in flight";
- protection off: only through AWS Support then (no observation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from looplab.backends.registry import SHIPPED
from looplab.results._summary import RunSummary

__all__ = [
    "COMPARED_STATUS",
    "POST",
    "POST_OBSERVATIONS",
    "POST_RUNS",
    "Comparison",
    "Observation",
    "PostRun",
    "compare",
    "compared",
    "why_not_compared",
]


@dataclass(frozen=True)
class Post:
    title: str
    date: str

    def __str__(self) -> str:
        return f"\u201c{self.title}\u201d ({self.date})"


POST = Post("Testing AWS Lambda Infinite Loop Protection", "21 July 2023")


@dataclass(frozen=True)
class PostRun:
    """One of the post's runs, in the post's order: the scenario that repeats it."""

    scenario: str
    name: str  # how the post's run is called in the headline
    saw: str  # what the post saw, in words


POST_RUNS: tuple[PostRun, ...] = (
    PostRun("loop-detection", "1. The loop", "stopped after 16 invocations, last counter 21"),
    PostRun("dlq-capture", "2. With a DLQ", 'after 120 s the DLQ held {"counter": 26}'),
    PostRun(
        "dlq-reconnect",
        "3. The DLQ as a second trigger",
        "stopped the same way; the DLQ message stuck in flight",
    ),
    PostRun("protection-off", "4. Protection off", "not testable in 2023 (AWS Support only)"),
)


@dataclass(frozen=True)
class Observation:
    label: str
    post: int | str  # what the post saw
    read: Callable[[RunSummary], int | None]  # the same figure from one run
    note: str = ""
    short: str = ""  # the label in the headline's one-line cells (default: label)


POST_OBSERVATIONS: dict[str, tuple[Observation, ...]] = {
    "loop-detection": (
        Observation("invocations", 16, lambda s: s.invocations, "the post: executed 16 times"),
        Observation(
            "stopped at (last counter sent)", 21, lambda s: s.stopped_at, short="stopped at"
        ),
        Observation("errors", 0, lambda s: s.errors),
        Observation("recursive invocations dropped", "> 0", lambda s: s.drops, short="dropped"),
        Observation("log streams", 2, lambda s: s.log_streams, "two concurrent instances"),
    ),
    "dlq-capture": (
        Observation(
            "DLQ body counter", 26, lambda s: s.dlq_counter, "after 120 s", short="DLQ counter"
        ),
        Observation("errors", 0, lambda s: s.errors),
    ),
    "dlq-reconnect": (
        Observation(
            "DLQ messages in flight", "stuck (1)", lambda s: s.dlq_in_flight, short="DLQ in flight"
        ),
        Observation("invocations", 16, lambda s: s.invocations, "the post: stopped the same way"),
        Observation("recursive invocations dropped", "> 0", lambda s: s.drops, short="dropped"),
    ),
    "protection-off": (
        Observation(
            "last counter sent",
            "not testable in 2023 (AWS Support only)",
            lambda s: s.stopped_at,
            short="last counter",
        ),
        Observation("recursive invocations dropped", "n/a", lambda s: s.drops, short="dropped"),
    ),
}


@dataclass(frozen=True)
class Comparison:
    label: str
    post: str
    by_backend: dict[str, str]  # backend -> value(s) seen, e.g. "21" or "19-23 (4 runs)"
    difference: dict[str, str]  # backend -> e.g. "-5 (21 vs 26)", "same", "n/a"
    note: str
    short: str = ""


# The only status whose figures are set beside the post: a failed run's expectations did
# not hold (its figures may be why), an aborted or interrupted run stopped part-way.
COMPARED_STATUS = "completed"


def compared(runs: list[RunSummary]) -> list[RunSummary]:
    """The runs a comparison uses: completed, without overrides (``--set``, ``--param``,
    ``--sim``: the post's figures are the defaults'), with settled figures (an aws run
    whose CloudWatch data is still pending counts part of its invocations). The newest of
    them is the scenario's picture."""
    return [
        r for r in runs if r.status == COMPARED_STATUS and not r.overrides and r.pending != "yes"
    ]


def why_not_compared(runs: list[RunSummary]) -> str:
    """Why a backend's runs give no figure: "no run", or what they were."""
    if not runs:
        return "no run"
    if all(r.overrides for r in runs):
        return "no run without overrides"
    if any(r.status == COMPARED_STATUS and not r.overrides for r in runs):
        return "metrics pending"  # completed, without overrides: only CloudWatch is late
    return "no completed run"


def compare(
    scenario: str, runs: list[RunSummary], backends: tuple[str, ...] = SHIPPED
) -> list[Comparison]:
    """One row per observation of the post: post | each backend | the difference, from the
    :func:`compared` runs only (a run with ``--sim recursion_threshold=30`` differing from
    the post says nothing of the simulator; a failed run with 0 invocations says nothing of
    loop detection)."""
    finished = compared(runs)
    rows = []
    for obs in POST_OBSERVATIONS.get(scenario, ()):
        seen: dict[str, str] = {}
        diff: dict[str, str] = {}
        for backend in backends:
            values = [v for v in (obs.read(r) for r in finished if r.backend == backend)]
            known = [v for v in values if v is not None]
            if not known:
                seen[backend] = (
                    "not observed"
                    if values
                    else why_not_compared([r for r in runs if r.backend == backend])
                )
                diff[backend] = ""
                continue
            lo, hi = min(known), max(known)
            runs_note = f" ({len(known)} runs)" if len(known) > 1 else ""
            seen[backend] = (f"{lo}" if lo == hi else f"{lo}-{hi}") + runs_note
            diff[backend] = _difference(obs.post, lo, hi)
        rows.append(
            Comparison(obs.label, str(obs.post), seen, diff, obs.note, obs.short or obs.label)
        )
    return rows


def _difference(post: int | str, lo: int, hi: int) -> str:
    if isinstance(post, str):
        if post.startswith("> 0"):
            return "same (> 0)" if lo > 0 else f"differs ({lo})"
        if post.startswith("stuck"):
            return "same (stuck in flight)" if lo >= 1 else "differs (not in flight)"
        return ""
    if lo == hi == post:
        return "same"
    if lo == hi:
        return f"{lo - post:+d} ({lo} vs {post})"
    return f"{lo - post:+d} to {hi - post:+d} (vs {post})"
