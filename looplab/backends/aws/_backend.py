"""The aws backend: the Backend protocol on a deployed stack, with boto3 only.

Names come from the stack record (physical IDs) and the compiled template (which mapping
joins which queue to which function); time from a clock seam (real, or a simulator's
virtual clock in tests); the queues' SQS rules from _queues; observation from CloudWatch
and Logs; and every safety rail sits in its own module and is wired here: the
account/stack guard before anything, the recursion guard on set_recursion, the
log-watched budget during every wait, the restore of loop protection and the budget's
release after ``finally``, the quiet start minute before the first action (_observe), the
figures a wait says (_figures). Over 400 lines because it is that wiring: every method is
the protocol's or a rail's hook, and each rail's own logic lives in its module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from looplab.backends.aws import _shape_steps
from looplab.backends.aws._account_guard import GuardError, check_identity, check_stack
from looplab.backends.aws._budget import InvocationBudget
from looplab.backends.aws._busy import Busy
from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._clock import Clock
from looplab.backends.aws._figures import WaitFigures
from looplab.backends.aws._observe import Observer
from looplab.backends.aws._params import AwsParams
from looplab.backends.aws._queues import Queues
from looplab.backends.aws._record import StackRecord
from looplab.backends.aws._recursion_guard import RecursionGuard
from looplab.backends.base import (
    BackendError,
    Brakeable,
    BrakeAction,
    DrainedMessage,
    DropRecord,
    FunctionLogEvent,
    MetricPoint,
    Observations,
    QueueState,
    RecursiveLoop,
    TimelineSource,
)

__all__ = ["AwsBackend"]

_LAMBDA = "AWS/Lambda"


class AwsBackend(Brakeable, TimelineSource):
    name = "aws"

    def __init__(
        self,
        record: StackRecord,
        calls: Calls,
        clock: Clock,
        *,
        mappings: dict[str, tuple[str, str]],
        allow_recursion: bool = False,
        budget: int | None = None,
        params: AwsParams | None = None,
        endpoint_origin: str = "AWS default endpoints",
        verify: bool = True,
        say: Callable[[str], None] | None = None,
    ) -> None:
        """``mappings``: mapping logical ID -> (function, source queue), from the template.
        ``say``: where a wait's figures are said, once per CloudWatch refresh (None: not).

        Runs the account and stack guards at once (``verify``): a refused backend has done
        nothing.
        """
        self.record = record
        self.calls = calls
        self.clock = clock
        self.params = params or AwsParams()
        self.mappings = dict(mappings)
        self.endpoint_origin = endpoint_origin
        self.identity = check_identity(calls, record) if verify else {}
        if verify:
            check_stack(calls, record, self.mappings)
        self.recursion = RecursionGuard(allow_recursion)
        if verify:
            self._check_deployed_recursion()
        self.budget = InvocationBudget(budget)
        # Busy resources are waited out on the clock; the brake's own waits use the raw
        # clock (a budget check inside the brake would trip it again).
        self._busy = Busy(calls, clock.now, self._sleep, self.params)
        self._brake_busy = Busy(calls, clock.now, clock.sleep, self.params)
        self.observer = Observer(
            calls,
            record,
            {lid: source for lid, (_, source) in self.mappings.items()},
            clock.now,
            self.params,
        )
        self._queues = Queues(record, calls, clock, self._sleep, self.params)
        self.figures = WaitFigures(say, self.params.metric_refresh_seconds)
        # How long after a run its metric series keep filling in (the timeline's note):
        # the slowest service the stack is observed through.
        self.metric_settle_seconds = max(
            self.params.metric_settle_for(ns) for ns in self.observer.namespaces() | {_LAMBDA}
        )
        # The budget counts invocations since the backend was opened (the run's start).
        self.started = clock.now()
        self._last_since = self.started
        # The run's start: the since of its first observations (the engine's baseline read),
        # else the backend's opening. Its minute is kept quiet (_hold_start_minute).
        self._run_since: float | None = None
        self._last_budget_check = float("-inf")
        self.closed = False

    # -- time ----------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def _sleep(self, seconds: float) -> None:
        """Sleep in slices, checking the invocation budget from the logs between them."""
        end = self.clock.now() + seconds
        while (left := end - self.clock.now()) > 0:
            self.clock.sleep(min(left, self.params.budget_poll_seconds))
            self._check_budget()

    def _check_budget(self) -> None:
        if self.budget.limit is None or self.budget.tripped_at is not None:
            return
        now = self.clock.now()
        if now - self._last_budget_check < self.params.budget_poll_seconds:
            return
        self._last_budget_check = now
        count = self.observer.starts(self.started)
        self.figures.budget(count, self.budget.limit)
        if self.budget.exceeded(count):
            spent = self.budget.trip(self.calls, self.record, now, count, self._brake_busy)
            # Let what was already running finish before finally purges the queues.
            self.clock.sleep(self._longest_timeout() + self.params.brake_quiet_seconds)
            raise spent

    def _longest_timeout(self) -> float:
        timeouts = [3.0]  # Lambda's default, if a configuration cannot be read
        for lid in self.record.functions:
            name = self.record.function_name(lid)
            try:
                config = self.calls("lambda", "GetFunctionConfiguration", name, FunctionName=name)
                timeouts.append(float(config.get("Timeout", 3)))
            except BackendError:
                pass
        return max(timeouts)

    def advance(self, seconds: float, progress: Callable[[float], None] | None = None) -> None:
        start = self.clock.now()
        end = start + seconds
        self.figures.start(start)
        while (left := end - self.clock.now()) > 0:
            self._sleep(min(left, 10.0))
            if progress:
                progress(self.clock.now() - start)
            self.figures.tick(self.clock.now(), self.clock.now() - start, seconds)

    def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        poll: float = 1.0,
        progress: Callable[[float], None] | None = None,
    ) -> bool:
        # Each source refreshes at its own rate (metrics, logs, queue counts): polling the
        # predicate often costs cached reads, not requests.
        start = self.clock.now()
        end = start + timeout
        self.figures.start(start)
        while not predicate():
            if self.clock.now() >= end:
                return False
            self._sleep(min(poll, end - self.clock.now()))
            if progress:
                progress(self.clock.now() - start)
            # What the predicate just read, said once per CloudWatch refresh.
            self.figures.tick(self.clock.now(), self.clock.now() - start, timeout)
        return True

    def settle(self) -> None:
        """Wait until every figure has held over its window (or its service's settle
        timeout passes)."""
        end = self.clock.now() + self.params.settle_timeout_for(self.observer.namespaces())
        while self.clock.now() < end:
            obs = self.observations(self._last_since)
            queues = [self.queue_state(q) for q in self.record.queues]
            if not obs.pending() and all(s.settled for s in queues):
                return
            self._sleep(min(self.params.metric_refresh_seconds, end - self.clock.now()))

    # -- actions -------------------------------------------------------------------------

    def _hold_start_minute(self) -> None:
        """Before the run's first action that can make the stack run: wait for its start
        minute to end. CloudWatch counts per minute, and that minute also holds what came
        before the run (an earlier run's tail, published minutes later): the run's figures
        count whole minutes from the next one (Observer.counted_from), so nothing of the run
        may fall in it. A step that makes nothing run (purge, a read) is not held."""
        since = self.started if self._run_since is None else self._run_since
        first = self.observer.counted_from(since)
        if first == since:
            return
        # Beyond the minute by a margin: AWS stamps datapoints by its own clock.
        wait = first + self.params.start_minute_margin_seconds - self.clock.now()
        if wait > 0:
            self._sleep(wait)

    def start_minute(self) -> dict[str, Any]:
        """The run's start minute as last read: what it held (left out of the run's
        figures) and whether that had settled."""
        since = self.started if self._run_since is None else self._run_since
        return self.observer.start_minute(since)

    def seed(self, queue: str, body: str, count: int = 1) -> list[str]:
        self._hold_start_minute()
        return self._queues.seed(queue, body, count)

    def purge(self, queue: str) -> None:
        self._queues.purge(queue)

    def publish(self, topic: str, message: str, attributes: dict[str, str] | None = None) -> str:
        self._hold_start_minute()
        return _shape_steps.publish(self.record, self.calls, topic, message, attributes)

    def put_object(self, bucket: str, key: str, body: str | bytes) -> None:
        self._hold_start_minute()
        _shape_steps.put_object(self.record, self.calls, bucket, key, body)

    def invoke(self, function: str, payload: Any, invocation_type: str = "Event") -> dict[str, Any]:
        self._hold_start_minute()
        return _shape_steps.invoke(self.record, self.calls, function, payload, invocation_type)

    def _mapping_id(self, function: str, source_queue: str) -> str:
        for lid, (fn, source) in self.mappings.items():
            if fn == function and source == source_queue:
                return lid
        raise BackendError(f"no event source mapping from {source_queue} to {function}")

    def set_mapping(self, function: str, source_queue: str, enabled: bool) -> None:
        lid = self._mapping_id(function, source_queue)
        uuid = self.record.mapping_uuid(lid)
        if enabled:  # a mapping turned on polls, and can invoke at once
            self._hold_start_minute()
        self.budget.asked(lid, enabled)  # what the release after a trip must respect
        resource = f"{lid} ({uuid})"
        want = "Enabled" if enabled else "Disabled"
        # Lambda refuses an update while the mapping is mid-transition (ResourceInUse or
        # ResourceConflict): the busy retry waits it out, bounded, then names the mapping.
        self._busy.call("lambda", "UpdateEventSourceMapping", resource, UUID=uuid, Enabled=enabled)
        end = self.clock.now() + self.params.mapping_timeout
        state = "?"
        while self.clock.now() < end:
            state = self.calls("lambda", "GetEventSourceMapping", resource, UUID=uuid)["State"]
            if state == want:
                return
            self._sleep(min(self.params.mapping_poll_seconds, max(end - self.clock.now(), 0)))
        raise BackendError(
            f"mapping {resource} is still {state} after {self.params.mapping_timeout:.0f} s "
            f"(asked for {want}); check it in the Lambda console, and if it keeps invoking, "
            f"run: invoke kill-switch --stage {self.record.stage}"
        )

    def set_recursion(self, function: str, mode: RecursiveLoop) -> None:
        self.recursion.check(function, mode)
        name = self.record.function_name(function)
        # The intent is recorded before the Put: a Put that AWS applied but whose reply
        # never came (timeout, Ctrl-C, a crash) still leaves finish() restoring Terminate.
        self.recursion.intend(function, mode)
        self._busy.call(
            "lambda", "PutFunctionRecursionConfig", name, FunctionName=name, RecursiveLoop=mode
        )
        end = self.clock.now() + self.params.recursion_timeout
        while True:
            got = self._recursion_of(function)
            if got == mode:
                self.recursion.confirmed(function, mode)
                return
            if self.clock.now() >= end:
                raise BackendError(
                    f"{name}: RecursiveLoop still reads {got} "
                    f"{self.params.recursion_timeout:.0f} s after setting {mode}"
                )
            self._sleep(self.params.recursion_poll_seconds)

    def _check_deployed_recursion(self) -> None:
        """A stack deployed with loop protection off (``--param recursiveLoop=Allow``) is
        refused without --allow-recursion (GuardError: exit 2, nothing done); with it, the
        deployed setting is recorded, and finish() leaves it as deployed."""
        for function in self.record.functions:
            try:
                mode = self._recursion_of(function)
            except AwsCallError as exc:
                # An emulator without the recursion-config API (moto answers 404); AWS itself
                # always answers, and any other failure refuses the run.
                if not self.calls.emulated("lambda") or exc.code != "404":
                    raise
                mode = "unknown (the endpoint has no recursion-config API)"
            self.recursion.deployed[function] = mode
        allowed = [f for f, mode in self.recursion.deployed.items() if mode == "Allow"]
        if allowed and not self.recursion.allow:
            names = ", ".join(self.record.function_name(f) for f in allowed)
            raise GuardError(
                f"refusing to run: {names} was deployed with RecursiveLoop Allow (Lambda's loop "
                "protection off, nothing but the handler's cap stops a loop); pass "
                "--allow-recursion to mean it, or redeploy with loop protection on "
                f"(npx sls deploy --stage {self.record.stage} --param recursiveLoop=Terminate)"
            )

    def _recursion_of(self, function: str) -> str:
        name = self.record.function_name(function)
        reply = self.calls("lambda", "GetFunctionRecursionConfig", name, FunctionName=name)
        return str(reply.get("RecursiveLoop", "Terminate"))

    # -- reading -------------------------------------------------------------------------

    def queue_state(self, queue: str) -> QueueState:
        state = self._queues.state(queue)
        self.figures.queue(queue, state)
        return state

    def drain(self, queue: str, max_messages: int = 10) -> list[DrainedMessage]:
        return self._queues.drain(queue, max_messages)

    def observations(self, since: float | None = None) -> Observations:
        self._last_since = self.started if since is None else since
        if self._run_since is None:
            self._run_since = self._last_since
        obs = self.observer.observations(self._last_since)
        self.figures.observed(obs)
        return obs

    def metric_series(self, since: float, until: float) -> list[MetricPoint]:
        return self.observer.series(since, until)

    def log_events(self, since: float, until: float | None = None) -> list[FunctionLogEvent]:
        return self.observer.log_events(since, until)

    def dropped_invocations(
        self, since: float, until: float | None = None
    ) -> list[DropRecord] | None:
        """None: AWS reports stopped invocations only per minute (RecursiveInvocationsDropped)."""
        return None

    # -- the journal's view and the rails after finally ----------------------------------

    def describe(self) -> dict[str, Any]:
        endpoints = self.calls.endpoints()
        moved = sorted(s for s in endpoints if self.calls.emulated(s))
        origin = self.endpoint_origin
        if moved and self.calls.endpoint_url is None:
            # No global override, yet some client does not talk to AWS: say which.
            origin = (
                "per-service settings (AWS_ENDPOINT_URL_<SERVICE> or the profile) for "
                + ", ".join(moved)
            )
        return {
            "kind": "aws",
            "account": self.record.account,
            "region": self.record.region,
            "stack_name": self.record.stack_name,
            "stack_id": self.record.stack_id,
            "stack_record": self.record.path,
            "recorded_at": self.record.recorded_at,
            "endpoint": self.calls.endpoint_url,
            "endpoint_from": origin,
            # Where each client really sends (AWS_ENDPOINT_URL_<SERVICE>, a profile's
            # endpoint_url or services section apply per service, not via --endpoint-url).
            "endpoints": endpoints,
            "region_from": self.calls.region_origin,
            "identity_arn": self.identity.get("arn"),
            "allow_recursion": self.recursion.allow,
            "invocation_budget": self.budget.limit,
            # The run's metric figures count whole minutes from the one after its start
            # (its first action waits for it); collect-results fetches the same minutes.
            "metrics_count_from": "next-minute",
        }

    def brake(self) -> list[BrakeAction]:
        """The budget's emergency brake, for a stop condition that holds during finally: the
        same actions, journal entry and release after finally as a budget trip (once)."""
        if self.budget.tripped_at is None:
            count = self.observer.starts(self.started)
            self.budget.trip(self.calls, self.record, self.clock.now(), count, self._brake_busy)
        return [BrakeAction(**action) for action in self.budget.brake_actions]

    def finish(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # Loop protection: a function this run left at Allow goes back to Terminate (the
        # scenario's finally normally did it; a second Ctrl-C may have cut that short).
        restored, errors = [], []
        as_deployed = {f for f, mode in self.recursion.deployed.items() if mode == "Allow"}
        for function in sorted(self.recursion.allowed - as_deployed):
            try:
                self.set_recursion(function, "Terminate")
                restored.append(function)
            except BackendError as exc:
                errors.append(str(exc))
        left: dict[str, str] = {}
        for function in self.record.functions:
            try:
                left[function] = self._recursion_of(function)
            except BackendError as exc:
                left[function] = f"unknown ({exc})"
        out["recursion"] = {"restored_to_terminate": restored, "left": left}
        if self.recursion.history:  # every Put asked, and whether a Get confirmed it
            out["recursion"]["asked"] = [dict(e) for e in self.recursion.history]
        if self.recursion.deployed:  # what the stack had when the run opened it
            out["recursion"]["deployed"] = dict(self.recursion.deployed)
        if errors:
            out["recursion"]["errors"] = errors
        if self.budget.limit is not None or self.budget.tripped_at is not None:
            try:
                empty = self.budget.tripped_at is not None and self._queues.stay_empty()
                count = self.observer.starts(self.started, final=True)
                out["budget"] = self.budget.after_finally(
                    self.calls, self.record, count, empty, self._brake_busy
                )
            except BackendError as exc:
                out["budget"] = {"error": str(exc)}
        out["metric_requests"] = self.observer.metric_calls
        out["logs"] = self.observer.log_report()
        out["start_minute"] = self.start_minute()
        return out

    def close(self) -> None:
        self.closed = True
