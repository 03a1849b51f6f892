"""Rail: the invocation budget, watched from the functions' log events (seconds late).

A scenario's ``stop_when: invocations at_least N`` is, on AWS, also a brake: CloudWatch's
Invocations arrive minutes late, so the backend counts START lines in the logs during
every wait. Past the budget it brakes at once (concurrency 0, every mapping disabled), and
the step fails with the count, so the run is ``aborted`` and ``finally`` runs. After
finally, the cap is released (and the mappings restored to their state before the brake,
except a mapping the run itself last asked to disable, e.g. in finally) only when every
queue stays empty over a window of reads (an invocation running when the brake came can
still send); otherwise it stays, and the journal says how to release it.
"""

from __future__ import annotations

from typing import Any

from looplab.backends.aws._busy import Busy, real_time
from looplab.backends.aws._calls import Calls
from looplab.backends.aws._kill_switch import brake, release_cap, release_hint
from looplab.backends.aws._record import StackRecord
from looplab.backends.base import BackendError, RailBraked

__all__ = ["BudgetSpent", "InvocationBudget"]


class BudgetSpent(RailBraked):
    """The budget tripped and braked: in finally a stop recorded in the journal, not a
    failed cleanup step (RailBraked)."""


class InvocationBudget:
    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.tripped_at: float | None = None
        self.count_at_trip: int | None = None
        self.last_count = 0
        self.brake_actions: list[dict[str, Any]] = []
        self.mappings_before: dict[str, str] = {}  # mapping logical ID -> State before
        # mapping logical ID -> the last state the run asked for (set_mapping): the release
        # never turns back on a mapping the run itself last asked to disable (a finally's
        # `disconnect dlq` must leave the DLQ trigger off).
        self.requested: dict[str, str] = {}

    def asked(self, mapping: str, enabled: bool) -> None:
        self.requested[mapping] = "Enabled" if enabled else "Disabled"

    def exceeded(self, count: int) -> bool:
        self.last_count = count
        return self.limit is not None and self.tripped_at is None and count >= self.limit

    def trip(
        self, calls: Calls, record: StackRecord, now: float, count: int, busy: Busy | None = None
    ) -> BudgetSpent:
        # Tripped before the brake acts: a brake cut short (Ctrl-C during a busy wait) may
        # have capped the functions, and the journal and the release must know it.
        self.tripped_at, self.count_at_trip = now, count
        actions = brake(calls, record, self.mappings_before, busy)
        self.brake_actions = [a.to_json() for a in actions]
        failed = [a["action"] + " " + a["resource"] for a in self.brake_actions if not a["ok"]]
        tail = f"; brake FAILED for {', '.join(failed)}" if failed else ""
        return BudgetSpent(
            f"invocation budget spent: {count} invocations counted from the logs, budget "
            f"{self.limit}; braked (reserved concurrency 0, every mapping disabled){tail}"
        )

    def after_finally(
        self,
        calls: Calls,
        record: StackRecord,
        final_count: int,
        queues_empty: bool,
        busy: Busy | None = None,
    ) -> dict[str, Any]:
        if self.tripped_at is None:
            # The count read from the whole run's logs now, not the last check's: lines
            # ingested after that check (seconds, or minutes, late) count too.
            return {"limit": self.limit, "tripped": False, "invocations_seen": final_count}
        out: dict[str, Any] = {
            "limit": self.limit,
            "tripped": True,
            "tripped_at": self.tripped_at,
            "invocations_at_trip": self.count_at_trip,
            "invocations_after": final_count,
            "overshoot": final_count - (self.limit or 0),
            "brake": self.brake_actions,
        }
        out["mappings_before"] = dict(self.mappings_before)
        if not queues_empty:
            out["concurrency_cap"] = (
                "left at 0 (and the mappings disabled): a queue was not empty after finally; "
                f"empty it, then release with: {release_hint(record)}"
            )
            return out
        busy = real_time(calls, busy)
        released = [a.to_json() for a in release_cap(calls, record, busy)]
        restored = []
        left = {lid: s for lid, s in self.requested.items() if s == "Disabled"}
        for lid, state in self.mappings_before.items():
            if state in ("Enabled", "Enabling") and lid not in left:
                uuid = record.mapping_uuid(lid)
                try:
                    busy.call("lambda", "UpdateEventSourceMapping", lid, UUID=uuid, Enabled=True)
                    restored.append(lid)
                except BackendError as exc:
                    out.setdefault("restore_errors", []).append(str(exc))
        out["concurrency_cap"] = "released (the queues stayed empty)"
        out["release"] = released
        out["mappings_restored"] = restored
        out["mappings_left_as_requested"] = left
        return out
