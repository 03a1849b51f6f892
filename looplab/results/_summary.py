"""One run, summarised: the row of runs.csv and of the report's tables.

A summary is small and plain (it is cached between collects, so a second collect with
nothing new parses no journal). Everything the tables and the comparison with the post
show comes from here.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, fields
from typing import Any

from looplab.journal import DEFAULT_STACK, RunRecord

__all__ = ["RUNS_CSV_COLUMNS", "RunSummary", "overrides_text", "summarise"]


@dataclass(frozen=True)
class RunSummary:
    run: str  # the run's folder name
    scenario: str
    backend: str
    status: str  # a journal status, or "dead": says running, its process is gone
    started_at: str
    ended_at: str
    invocations: int | None
    errors: int | None
    drops: int | None
    stopped_at: int | None  # the last counter the chain sent (max_counter_sent)
    dlq_body: str  # bodies drained from the DLQ, " | "-joined ("" when none)
    dlq_counter: int | None  # the largest counter among them
    dlq_in_flight: int | None  # the DLQ's in-flight count at its last snapshot (or end)
    log_streams: int | None  # execution environments that logged (the post saw two)
    expectations_passed: int
    expectations_total: int
    wall_seconds: float
    simulated_seconds: float
    seed: int | None
    schema_version: int
    pending: str  # "no", "yes" (CloudWatch had not settled), "collected" (collected.json)
    reason: str
    journal: str  # path of the journal, relative to the results folder
    # The loop shapes: where each chain stopped and where the stopped event went.
    stack: str = DEFAULT_STACK  # the loop shape the run ran on
    per_function: str = ""  # "<function> <invocations> ran, <drops> dropped", "; "-joined
    reached: str = ""  # "<queue>: <n> (counter <c>)" per queue drained or holding messages
    # What the command line changed (definition.overrides), as options: "--sim k=v --param
    # k=v"; "" when the run used the defaults the post's figures are for (review finding 7).
    overrides: str = ""
    # Messages the DLQ held at the end: drained ones, else those still in it (visible, in
    # flight or delayed); None when the run knows neither. "DLQ held" is blank no more for
    # a run that did not drain (the Loop shapes table once said "1 held" for one that did).
    dlq_held: int | None = None

    def row(self) -> dict[str, Any]:
        """The runs.csv row: None is an empty cell."""
        return {k: ("" if v is None else v) for k, v in self.to_json().items()}

    def to_json(self) -> dict[str, Any]:
        # Every field is a plain value: no deep copy (dataclasses.asdict) needed, and a
        # collect of 10,000 runs calls this three times per run.
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSummary:
        # A field added since the cache was written takes its default (or the entry is
        # re-read: a required one missing raises TypeError, which the cache treats so).
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        for name, value in values.items():
            # The cache is a file anyone can edit: a value of the wrong type is a damaged
            # entry (TypeError: the journal is read again), not a crash in a later sort.
            allowed = _TYPES[name]
            if type(value) not in allowed and not (float in allowed and type(value) is int):
                raise TypeError(f"cached {name} is {value!r}")
        return cls(**values)


RUNS_CSV_COLUMNS = tuple(f.name for f in fields(RunSummary))
_FIELDS = RUNS_CSV_COLUMNS
_NAMES = {"str": str, "int": int, "float": float, "None": type(None)}
_TYPES = {f.name: {_NAMES[t.strip()] for t in str(f.type).split("|")} for f in fields(RunSummary)}


def summarise(
    record: RunRecord, journal: str, collected: dict[str, Any] | None = None
) -> RunSummary:
    obs = record.observations
    dlq = _dlq(record)
    drained = (obs.get("drained") or {}).get(dlq, []) if dlq else []
    counters = [m.get("counter") for m in drained if isinstance(m.get("counter"), int)]
    invocations, drops = (
        _int(obs.get("invocations")),
        _int(obs.get("recursive_invocations_dropped")),
    )
    pending = "yes" if record.timeline.metrics_pending else "no"
    if collected is not None and collected.get("ok"):
        # Settled CloudWatch values replace what the run saw while they were still late.
        totals = collected.get("totals") or {}
        invocations = _int(totals.get("Invocations"), invocations)
        drops = _int(totals.get("RecursiveInvocationsDropped"), drops)
        pending = "collected"
    passed = sum(1 for e in record.expectations if e.get("passed"))
    return RunSummary(
        run=record.run,
        scenario=record.scenario,
        backend=record.backend,
        status=_status(record),
        started_at=record.started_at or "",
        ended_at=record.ended_at or "",
        invocations=invocations,
        errors=_int(obs.get("errors")),
        drops=drops,
        stopped_at=_int(obs.get("max_counter_sent")),
        dlq_body=" | ".join(str(m.get("body", "")) for m in drained),
        dlq_counter=max(counters) if counters else None,
        dlq_in_flight=_in_flight(obs, dlq),
        log_streams=len(obs["log_streams"]) if isinstance(obs.get("log_streams"), list) else None,
        expectations_passed=passed,
        expectations_total=len(record.expectations),
        wall_seconds=round(record.wall_seconds, 3),
        simulated_seconds=round(record.elapsed, 3),
        seed=record.seed if isinstance(record.seed, int) else None,
        schema_version=record.schema_version,
        pending=pending,
        reason=str(record.reason or ""),
        journal=journal,
        stack=record.stack,
        per_function=_per_function(obs),
        reached=_reached(record, obs),
        overrides=overrides_text(record.definition.get("overrides")),
        dlq_held=len(drained) if drained else _held(obs, dlq),
    )


# How the journal names each kind of override, as the option that set it; a kind a later
# looplab records (not known here) is shown under its own name, after these.
_OPTIONS = {"stack_params": "--param", "simulator": "--sim", "sets": "--set"}


def overrides_text(overrides: Any) -> str:
    """``definition.overrides`` as the options that made it: ``--param maxReceiveCount=3
    --sim recursion_threshold=30``; "" when nothing was overridden."""
    if not isinstance(overrides, dict):
        return ""
    order = [k for k in _OPTIONS if k in overrides] + sorted(set(overrides) - set(_OPTIONS))
    parts = []
    for kind in order:
        items = overrides[kind]
        if not isinstance(items, dict):
            continue
        option = _OPTIONS.get(kind, f"{kind}:")
        for name, value in sorted(items.items()):
            shown = value if isinstance(value, str) else json.dumps(value)
            parts.append(f"{option} {name}={shown}")
    return " ".join(parts)


def _per_function(obs: dict[str, Any]) -> str:
    parts = []
    for lid, counts in sorted((obs.get("by_function") or {}).items()):
        if not isinstance(counts, dict):
            continue
        ran = _int(counts.get("invocations"), 0)
        dropped = _int(counts.get("recursive_invocations_dropped"), 0)
        if ran or dropped:
            parts.append(f"{lid} {ran} ran, {dropped} dropped")
    return "; ".join(parts)


def _reached(record: RunRecord, obs: dict[str, Any]) -> str:
    """Where stopped events ended: every queue the run drained, with the highest counter,
    else every DLQ / destination queue still holding messages at the end."""
    parts = []
    drained = obs.get("drained") or {}
    for queue, messages in sorted(drained.items()):
        if not isinstance(messages, list) or not messages:
            continue
        counters = [m.get("counter") for m in messages if isinstance(m.get("counter"), int)]
        top = f" (counter {max(counters)})" if counters else ""
        parts.append(f"{queue}: {len(messages)}{top}")
    for queue, state in sorted((obs.get("queues") or {}).items()):
        if queue in drained or not isinstance(state, dict) or not _is_dead_end(record, queue):
            continue
        held = sum(_int(state.get(k), 0) or 0 for k in ("visible", "in_flight", "delayed"))
        if held:
            parts.append(f"{queue}: {held} held")
    failures = []
    for lid, counts in sorted(record.async_counts().items()):
        for name, label in (
            ("dead_letter_errors", "DLQ send failed"),
            ("destination_delivery_failures", "destination failed"),
        ):
            if counts[name]:
                failures.append(f"{lid}: {counts[name]} {label}")
    return "; ".join(parts + failures)


def _is_dead_end(record: RunRecord, queue: str) -> bool:
    """A queue stopped events go to: a redrive target, or named as a DLQ or destination."""
    queues = ((record.definition.get("stack") or {}).get("queues")) or {}
    targets = {q.get("redrive_target") for q in queues.values() if isinstance(q, dict)}
    return queue in targets or any(w in queue for w in ("DeadLetter", "Failure", "Dlq", "DLQ"))


def _status(record: RunRecord) -> str:
    if record.status != "running":
        return record.status
    if record.pid is None or record.host not in (None, socket.gethostname()):
        return "running"  # another machine's run: cannot tell, say what it says
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return "dead"
    except PermissionError:
        return "running"  # alive, someone else's
    return "running"


def _dlq(record: RunRecord) -> str | None:
    """The logical ID of the dead-letter queue: a redrive target in the stack, else the
    shipped stack's name for it."""
    queues = ((record.definition.get("stack") or {}).get("queues")) or {}
    targets = {q.get("redrive_target") for q in queues.values() if isinstance(q, dict)}
    targets.discard(None)
    if len(targets) == 1:
        return str(targets.pop())
    return "DeadLetterQueue"


def _held(obs: dict[str, Any], dlq: str | None) -> int | None:
    state = (obs.get("queues") or {}).get(dlq) if dlq else None
    if not isinstance(state, dict):
        return None
    return sum(_int(state.get(k), 0) or 0 for k in ("visible", "in_flight", "delayed"))


def _in_flight(obs: dict[str, Any], dlq: str | None) -> int | None:
    if dlq is None:
        return None
    snapshots = obs.get("snapshots") or {}
    for states in reversed(list(snapshots.values())):
        if dlq in states:
            return _int(states[dlq].get("in_flight"))
    state = (obs.get("queues") or {}).get(dlq)
    return _int(state.get("in_flight")) if isinstance(state, dict) else None


def _int(value: Any, default: int | None = None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default
