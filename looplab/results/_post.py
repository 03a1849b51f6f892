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

__all__ = ["POST_OBSERVATIONS", "Comparison", "Observation", "compare"]


@dataclass(frozen=True)
class Observation:
    label: str
    post: int | str  # what the post saw
    read: Callable[[RunSummary], int | None]  # the same figure from one run
    note: str = ""


POST_OBSERVATIONS: dict[str, tuple[Observation, ...]] = {
    "loop-detection": (
        Observation("invocations", 16, lambda s: s.invocations, "the post: executed 16 times"),
        Observation("stopped at (last counter sent)", 21, lambda s: s.stopped_at),
        Observation("errors", 0, lambda s: s.errors),
        Observation("recursive invocations dropped", "> 0", lambda s: s.drops),
        Observation("log streams", 2, lambda s: s.log_streams, "two concurrent instances"),
    ),
    "dlq-capture": (
        Observation("DLQ body counter", 26, lambda s: s.dlq_counter, "after 120 s"),
        Observation("errors", 0, lambda s: s.errors),
    ),
    "dlq-reconnect": (
        Observation("DLQ messages in flight", "stuck (1)", lambda s: s.dlq_in_flight),
        Observation("invocations", 16, lambda s: s.invocations, "the post: stopped the same way"),
        Observation("recursive invocations dropped", "> 0", lambda s: s.drops),
    ),
    "protection-off": (
        Observation(
            "last counter sent",
            "not testable in 2023 (AWS Support only)",
            lambda s: s.stopped_at,
        ),
        Observation("recursive invocations dropped", "n/a", lambda s: s.drops),
    ),
}


@dataclass(frozen=True)
class Comparison:
    label: str
    post: str
    by_backend: dict[str, str]  # backend -> value(s) seen, e.g. "21" or "19-23 (4 runs)"
    difference: dict[str, str]  # backend -> e.g. "-5 (21 vs 26)", "same", "n/a"
    note: str


def compare(
    scenario: str, runs: list[RunSummary], backends: tuple[str, ...] = SHIPPED
) -> list[Comparison]:
    """One row per observation of the post: post | each backend | the difference.

    Only runs without overrides count: the post's figures are the default parameters'
    (a run with ``--sim recursion_threshold=30`` differing from the post says nothing of
    the simulator)."""
    finished = [r for r in runs if r.status in ("completed", "failed")]
    overridden = {r.backend for r in finished if r.overrides}
    finished = [r for r in finished if not r.overrides]
    rows = []
    for obs in POST_OBSERVATIONS.get(scenario, ()):
        seen: dict[str, str] = {}
        diff: dict[str, str] = {}
        for backend in backends:
            values = [v for v in (obs.read(r) for r in finished if r.backend == backend)]
            known = [v for v in values if v is not None]
            if not known:
                if values:
                    seen[backend] = "not observed"
                elif backend in overridden:
                    seen[backend] = "no run without overrides"
                else:
                    seen[backend] = "no run"
                diff[backend] = ""
                continue
            lo, hi = min(known), max(known)
            runs_note = f" ({len(known)} runs)" if len(known) > 1 else ""
            seen[backend] = (f"{lo}" if lo == hi else f"{lo}-{hi}") + runs_note
            diff[backend] = _difference(obs.post, lo, hi)
        rows.append(Comparison(obs.label, str(obs.post), seen, diff, obs.note))
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
