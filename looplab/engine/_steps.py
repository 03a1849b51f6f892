"""What each step kind does to the backend, and what it records as its output."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from looplab.backends.base import Backend
from looplab.engine._probe import Probe, message_json, state_json
from looplab.engine._stopwatch import StopWatch
from looplab.scenarios import (
    Connect,
    Disconnect,
    Drain,
    Expect,
    Invoke,
    Publish,
    Purge,
    PutObject,
    Recursion,
    Seed,
    Snapshot,
    Step,
    Wait,
)

Progress = Callable[[float], None]


@dataclass
class StepContext:
    backend: Backend
    probe: Probe
    queues: list[str]
    watch: StopWatch
    progress: Callable[[float], Progress]  # total seconds -> callback(done)


@dataclass
class Outcome:
    status: str  # ok | failed | timeout
    output: dict[str, Any]


def execute(step: Step, ctx: StepContext) -> Outcome:
    handler = _HANDLERS[type(step)]
    return handler(step, ctx)


def _purge(step: Purge, ctx: StepContext) -> Outcome:
    for queue in step.queues:
        ctx.backend.purge(queue)
    return Outcome("ok", {"purged": list(step.queues)})


def _seed(step: Seed, ctx: StepContext) -> Outcome:
    ids = ctx.backend.seed(step.queue, step.body, step.count)
    return Outcome("ok", {"queue": step.queue, "body": step.body, "message_ids": list(ids)})


# On a backend that cannot step (AWS), stop conditions are watched during waits at most
# this often (backend seconds): each check is an observations query (CloudWatch, a log
# scan), and an invocation budget does not need a per-second one. The simulator checks
# after every event instead (see engine/_stopwatch.py).
STOP_POLL = 5.0


def _stop_check(ctx: StepContext) -> Callable[[], None] | None:
    if not ctx.watch.polled:
        return None
    last: list[float] = []

    def check() -> None:
        now = ctx.backend.now()
        if last and now - last[0] < STOP_POLL:
            return
        last[:] = [now]
        ctx.watch.check(fresh=False)  # the caller started the round

    return check


def _wait(step: Wait, ctx: StepContext) -> Outcome:
    backend, probe = ctx.backend, ctx.probe
    before = backend.now()
    stop = _stop_check(ctx)
    if step.seconds is not None:
        progress = ctx.progress(step.seconds)
        if stop is None:
            backend.advance(step.seconds, progress)
        else:
            # A fixed wait still watches the stop conditions (an invocation budget must hold
            # while time passes, not only between steps).
            def stop_now() -> bool:
                probe.fresh()
                stop()
                return False

            poll = max(step.poll, STOP_POLL)
            backend.wait_until(stop_now, timeout=step.seconds, poll=poll, progress=progress)
        return Outcome("ok", {"seconds": step.seconds, "waited": backend.now() - before})

    def until() -> bool:
        probe.fresh()  # one round: the stop check and the conditions share one query
        if stop is not None:
            stop()
        return probe.holds_all(step.until)

    assert step.timeout is not None
    held = backend.wait_until(
        until, timeout=step.timeout, poll=step.poll, progress=ctx.progress(step.timeout)
    )
    probe.fresh()
    output = {
        "held": held,
        "waited": backend.now() - before,
        "timeout": step.timeout,
        "conditions": [probe.check(c) for c in step.until],
    }
    return Outcome("ok" if held else "timeout", output)


def _drain(step: Drain, ctx: StepContext) -> Outcome:
    messages = ctx.backend.drain(step.queue, step.max)
    ctx.probe.drained.setdefault(step.queue, []).extend(messages)
    return Outcome("ok", {"queue": step.queue, "messages": [message_json(m) for m in messages]})


def _snapshot(step: Snapshot, ctx: StepContext) -> Outcome:
    queues = list(step.queues) or ctx.queues
    states = {q: ctx.backend.queue_state(q) for q in queues}
    label = step.name or f"snapshot-{len(ctx.probe.snapshots) + 1}"
    ctx.probe.snapshots[label] = states
    return Outcome(
        "ok",
        {
            "name": label,
            "at": ctx.backend.now() - ctx.probe.since,
            "queues": {q: state_json(s) for q, s in states.items()},
        },
    )


def _connect(step: Connect | Disconnect, ctx: StepContext) -> Outcome:
    enabled = isinstance(step, Connect)
    ctx.backend.set_mapping(step.function, step.source, enabled)
    return Outcome("ok", {"function": step.function, "source": step.source, "enabled": enabled})


def _recursion(step: Recursion, ctx: StepContext) -> Outcome:
    ctx.backend.set_recursion(step.function, step.mode)
    return Outcome("ok", {"function": step.function, "recursive_loop": step.mode})


def _expect(step: Expect, ctx: StepContext) -> Outcome:
    # On AWS, metrics arrive minutes late and queue counts are approximate: let them settle
    # before judging (a no-op on the simulator, whose figures are exact at once).
    ctx.backend.settle()
    ctx.probe.fresh()
    results = [ctx.probe.check(c) for c in step.checks]
    passed = all(r["passed"] for r in results)
    return Outcome("ok" if passed else "failed", {"expectations": results})


def _publish(step: Publish, ctx: StepContext) -> Outcome:
    attributes = dict(step.attributes) or None
    message_id = ctx.backend.publish(step.topic, step.body, attributes)
    return Outcome("ok", {"topic": step.topic, "body": step.body, "message_id": message_id})


def _put_object(step: PutObject, ctx: StepContext) -> Outcome:
    ctx.backend.put_object(step.bucket, step.key, step.body)
    return Outcome("ok", {"bucket": step.bucket, "key": step.key})


def _invoke(step: Invoke, ctx: StepContext) -> Outcome:
    reply = ctx.backend.invoke(step.function, json.loads(step.payload), step.type)
    # A function error in a RequestResponse call is the step's finding, not the run's
    # failure (a looping chain's synchronous call is expected to fail): it is recorded.
    return Outcome("ok", {"function": step.function, "type": step.type, "reply": reply})


_HANDLERS: dict[type, Callable[[Any, StepContext], Outcome]] = {
    Purge: _purge,
    Seed: _seed,
    Wait: _wait,
    Drain: _drain,
    Snapshot: _snapshot,
    Connect: _connect,
    Disconnect: _connect,
    Recursion: _recursion,
    Expect: _expect,
    Publish: _publish,
    PutObject: _put_object,
    Invoke: _invoke,
}
