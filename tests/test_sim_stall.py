"""Defence in depth: a loop that never lets virtual time advance is stopped by the clock
(N events at one instant), naming what looped, instead of growing memory until the kernel
kills looplab. The template checks refuse the one such loop AWS could build (a redrive
cycle); these tests bypass them to show the kernel would stop it anyway."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from _support.simkit import function_resource, mapping_resource, queue_resource, write_handler

from looplab.sim import ClockStalled, SimParams, Simulator
from looplab.sim import clock as clock_module
from looplab.sim import simulator as simulator_module
from looplab.sim.clock import Clock
from looplab.stack import Stack

# A small limit keeps the tests fast; the default's reasoning is in clock.py.
LIMIT = 2_000


class Echo:
    """Reschedules itself at the same instant, forever (a loop with no progress)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.runs = 0

    def again(self) -> None:
        self.runs += 1
        self.clock.at(self.clock.now, self.again)


def test_a_loop_at_one_instant_is_stopped_after_the_limit_naming_what_looped() -> None:
    clock = Clock(start=100.0, stall_limit=LIMIT)
    echo = Echo(clock)
    clock.at(100.5, echo.again)
    with pytest.raises(ClockStalled) as caught:
        clock.run_until(200.0)
    assert echo.runs == LIMIT
    assert clock.now == 100.5  # stopped where it stalled, not moved on to 200
    text = str(caught.value)
    assert f"{LIMIT:,} events" in text and "Echo.again" in text


def test_after_a_stall_the_clock_refuses_at_once_instead_of_looping_again() -> None:
    """What runs next (an engine's finally, after Ctrl-C or the abort) must not loop."""
    clock = Clock(stall_limit=LIMIT)
    echo = Echo(clock)
    clock.at(1.0, echo.again)
    with pytest.raises(ClockStalled):
        clock.run_until(5.0)
    runs = echo.runs
    for _ in range(3):
        with pytest.raises(ClockStalled):
            clock.run_until(10.0)
    assert echo.runs == runs  # not one more event ran


class Interrupted(Echo):
    """Ctrl-C arrives in the middle of the loop (after ``at`` runs)."""

    def __init__(self, clock: Clock, at: int) -> None:
        super().__init__(clock)
        self.interrupt_at = at

    def again(self) -> None:
        super().again()
        if self.runs == self.interrupt_at:
            raise KeyboardInterrupt


def test_after_ctrl_c_in_a_loop_the_cleanup_meets_the_same_limit_not_a_new_one() -> None:
    """The count is the instant's, not the call's: the finally phase that runs after an
    interrupt continues the count and stops at the limit, instead of looping anew."""
    clock = Clock(stall_limit=LIMIT)
    echo = Interrupted(clock, at=LIMIT // 2)
    clock.at(1.0, echo.again)
    with pytest.raises(KeyboardInterrupt):
        clock.run_until(5.0)
    with pytest.raises(ClockStalled):
        clock.run_until(5.0)  # the cleanup's wait
    assert echo.runs == LIMIT


def test_many_events_at_one_instant_under_the_limit_and_any_number_over_time_run() -> None:
    clock = Clock(stall_limit=LIMIT)
    ran: list[float] = []
    for _ in range(LIMIT - 1):  # a burst: every message of a seed due at one instant
        clock.at(1.0, lambda: ran.append(clock.now))
    for i in range(5 * LIMIT):  # a long chain that advances time, however little
        clock.at(2.0 + i * 1e-6, lambda: ran.append(clock.now))
    clock.run_until(10.0)
    assert len(ran) == 6 * LIMIT - 1


def test_the_count_restarts_when_time_advances() -> None:
    clock = Clock(stall_limit=LIMIT)
    ran: list[int] = []
    for instant in range(1, 6):  # five bursts just under the limit, one instant each
        for _ in range(LIMIT - 1):
            clock.at(float(instant), lambda: ran.append(1))
    clock.run_until(10.0)
    assert len(ran) == 5 * (LIMIT - 1)


FAIL = "def handler(event, context):\n    raise RuntimeError('no')\n"


def _redrive(target: str) -> dict[str, object]:
    return {
        "RedrivePolicy": {
            "deadLetterTargetArn": {"Fn::GetAtt": [target, "Arn"]},
            "maxReceiveCount": 1,
        },
        "VisibilityTimeout": 10,
    }


def cycle_stack(tmp_path: Path, queues: tuple[str, ...]) -> Stack:
    """Queues redriving in a cycle (``A`` to itself, or ``A -> B -> A``), each with a
    mapping to a failing function, built past the reader's checks: the stack is read
    without the redrive policies, which are then put back on its specs."""
    handler = write_handler(tmp_path, "fail", FAIL)
    resources: dict[str, object] = {"F": function_resource("f", handler, {})}
    for q in queues:
        resources[q] = queue_resource(q.lower(), VisibilityTimeout=10)
        resources[f"M{q}"] = mapping_resource(q, "F")
    stack = Stack.from_template({"Resources": resources}, code_dir=tmp_path, stage="test")
    for i, q in enumerate(queues):
        target = queues[(i + 1) % len(queues)]
        stack.queues[q] = dataclasses.replace(
            stack.queues[q],
            redrive_target=target,
            redrive_target_arn=stack.queues[target].arn,
            max_receive_count=1,
        )
    return stack


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator without its refusals (which include the redrive cycle), and a small
    stall limit."""
    monkeypatch.setattr(simulator_module, "check_stack", lambda stack: None)
    monkeypatch.setattr(clock_module, "STALL_LIMIT", LIMIT)


# Polls that take no time: the cycle then never lets the clock advance.
INSTANT_POLLS = SimParams(poll_latency=(0.0, 0.0))


@pytest.mark.parametrize(
    "queues", [("A",), ("A", "B"), ("A", "B", "C")], ids=["self", "pair", "three"]
)
def test_a_redrive_cycle_at_one_instant_is_stopped_naming_its_queues(
    tmp_path: Path, unchecked: None, queues: tuple[str, ...]
) -> None:
    with Simulator(cycle_stack(tmp_path, queues), params=INSTANT_POLLS) as sim:
        sim.send("A", "{}")
        with pytest.raises(ClockStalled) as caught:
            sim.advance(60)  # fails once (rc 1), then moves around the cycle at 10 s
        stalled_at = sim.now
        text = str(caught.value)
        for q in queues:  # every mapping of the cycle, with its queue
            assert f"mapping M{q} ({q} -> F)" in text, text
        # The run's cleanup (or anything after Ctrl-C) cannot loop there again.
        with pytest.raises(ClockStalled):
            sim.advance(1)
        assert sim.now == stalled_at


STALLING = """\
version: 1
scenarios:
  stall:
    description: a redrive cycle that takes no time
    stop_when:
      - {metric: invocations, at_least: 100}
    steps:
      - seed: {queue: A, body: {counter: 1}}
      - wait: {seconds: 60}
    finally:
      - drain: {queue: A, max: 10}
      - wait: {seconds: 5}
      - purge: {queues: [A, B]}
"""


def test_a_run_that_stalls_is_aborted_naming_the_loop_and_its_cleanup_does_not_loop(
    tmp_path: Path, unchecked: None
) -> None:
    from looplab.backends.local import LocalBackend
    from looplab.engine import run_scenario
    from looplab.scenarios import build_scenario, validate_file

    stack = cycle_stack(tmp_path, ("A", "B"))
    (tmp_path / "stall.yaml").write_text(STALLING)
    scenario = build_scenario(validate_file(tmp_path / "stall.yaml", stack), "stall", [], stack)
    backend = LocalBackend(stack, seed=0, params=INSTANT_POLLS)
    try:
        result = run_scenario(
            scenario, backend, results=tmp_path / "results", queues=sorted(stack.queues)
        )
    finally:
        backend.close()
    doc = result.doc
    assert result.status == "aborted" and result.exit_code == 1
    assert "step 2 (wait)" in doc["reason"] and "virtual time stopped advancing" in doc["reason"]
    assert "mapping MA (A -> F)" in doc["reason"] and "mapping MB (B -> F)" in doc["reason"]
    # Cleanup ran to its end: what takes no time did its work, what moves time failed at
    # once (the clock stays stalled) rather than looping there again.
    drain, wait, purge = doc["finally"]
    assert drain["status"] != "error"  # a receive meets each message once: it returns
    assert wait["status"] == "error" and "ClockStalled" in wait["error"]
    assert purge["status"] != "running"
    assert doc["cleanup"] == "failed"
    assert result.journal_path.is_file()
