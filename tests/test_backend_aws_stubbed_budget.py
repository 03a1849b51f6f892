"""The aws backend's log-watched invocation budget against botocore's Stubber.

The trip counted from the logs, the brake (cap at 0, mappings off) and its release after
finally: what is restored, what is left as the scenario asked, what is kept when a queue is
not empty, and a brake cut short. The scripted replies: tests/_support/aws_stubs.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from _support.aws_stubs import DLQ_URL, FN_NAME, QUIET, Aws, starts
from _support.fakes import DLQ, DLQ_UUID, FUNCTION, MAIN_UUID, STAGE

from looplab.backends.aws import BudgetSpent, Busy
from looplab.backends.aws._budget import InvocationBudget


@pytest.fixture
def aws() -> Aws:
    return Aws()


def _brake(aws: Aws, dlq_state: str = "Disabled") -> None:
    """The brake: the cap, the function's mappings listed, each read and disabled, each
    confirmed Disabled, then the function's timeout."""
    aws.cap()
    aws.listed((MAIN_UUID, "Enabled"), (DLQ_UUID, dlq_state))
    for uuid, state in ((DLQ_UUID, dlq_state), (MAIN_UUID, "Enabled")):
        aws.mapping(uuid, State=state)
        aws.update_mapping(uuid, False)
    aws.confirmed()
    aws.function_config(Timeout=6)


def _finally_reads(aws: Aws, log_events: list[dict[str, Any]], dlq_visible: int = 0) -> None:
    """finish() after a trip: the recursion config, the queues until one is not empty, the logs."""
    aws.recursion("Terminate")
    aws.counts(dlq_visible, 0, DLQ_URL)
    if not dlq_visible:
        aws.counts(0, 0)
    aws.logs(log_events)


def _release(aws: Aws) -> None:
    """The queues stayed empty: the cap is deleted and the main mapping enabled again."""
    aws.ok("lambda", "delete_function_concurrency", {}, FunctionName=FN_NAME)
    aws.update_mapping(MAIN_UUID, True)


def test_the_budget_trips_from_the_logs_and_brakes_at_once(aws: Aws) -> None:
    backend = aws.backend(budget=10, params=QUIET)
    start = aws.clock.t
    aws.logs(starts(4, start))
    aws.logs(starts(12, start))
    _brake(aws)
    with pytest.raises(BudgetSpent) as caught:
        backend.wait_until(lambda: False, timeout=60)
    assert "12 invocations counted from the logs, budget 10" in str(caught.value)
    # Two budget polls 5 s apart (seconds late, not minutes), then the function's timeout and
    # the quiet margin, so what was running ends before finally.
    assert aws.clock.t - start == pytest.approx(6 + 6 + 5)
    aws.done()
    # After finally: the queues stay empty, so the cap is released and the main mapping
    # (Enabled before the brake; the DLQ's was Disabled) is enabled again.
    _finally_reads(aws, starts(13, start))
    _release(aws)
    done = backend.finish()["budget"]
    assert (done["tripped"], done["invocations_at_trip"], done["overshoot"]) == (True, 12, 3)
    assert done["concurrency_cap"] == "released (the queues stayed empty)"
    assert done["mappings_restored"] == ["RecursiveEventSourceMappingSQSQueue"]
    aws.done()


def test_after_a_trip_a_queue_not_empty_keeps_the_cap_and_says_how_to_release(aws: Aws) -> None:
    backend = aws.backend(budget=1, params=QUIET)
    aws.logs(starts(2, aws.clock.t))
    _brake(aws)
    with pytest.raises(BudgetSpent):
        backend.advance(30)
    _finally_reads(aws, starts(2, aws.clock.t), dlq_visible=1)
    done = backend.finish()["budget"]
    assert done["concurrency_cap"].startswith("left at 0")
    assert f"invoke kill-switch --stage {STAGE} --release" in done["concurrency_cap"]
    aws.done()  # no DeleteFunctionConcurrency


def test_after_a_trip_a_mapping_finally_disabled_is_not_turned_back_on(aws: Aws) -> None:
    # dlq-reconnect: the DLQ mapping is Enabled when the brake fires, and finally runs
    # `disconnect dlq`; releasing the brake must not turn the DLQ trigger back on.
    backend = aws.backend(budget=1, params=QUIET)
    aws.logs(starts(2, aws.clock.t))
    _brake(aws, dlq_state="Enabled")
    with pytest.raises(BudgetSpent):
        backend.advance(30)
    # finally: disconnect dlq.
    aws.update_mapping(DLQ_UUID, False)
    aws.mapping(DLQ_UUID, State="Disabled")
    backend.set_mapping(FUNCTION, DLQ, False)
    _finally_reads(aws, starts(2, aws.clock.t))
    _release(aws)
    done = backend.finish()["budget"]
    assert "restore_errors" not in done
    assert done["mappings_restored"] == ["RecursiveEventSourceMappingSQSQueue"]
    assert done["mappings_left_as_requested"] == {
        "RecursiveEventSourceMappingSQSDeadLetterQueue": "Disabled"
    }
    aws.done()  # no UpdateEventSourceMapping Enabled=True on the DLQ's mapping


def test_the_budget_s_brake_waits_out_a_busy_mapping(aws: Aws) -> None:
    backend = aws.backend(budget=10, params=QUIET)
    aws.logs(starts(12, aws.clock.t))
    aws.cap()
    aws.listed()
    aws.mapping(DLQ_UUID, State="Disabled")
    aws.update_mapping(DLQ_UUID, False)
    aws.mapping(MAIN_UUID, State="Updating")
    aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    aws.update_mapping(MAIN_UUID, False)
    aws.confirmed()
    actions = backend.brake()
    assert all(a.ok for a in actions), actions
    aws.done()


def test_a_brake_cut_short_still_leaves_the_trip_in_the_journal(aws: Aws) -> None:
    def interrupted(_: float) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the brake waits out a busy function

    aws.error("lambda", "put_function_concurrency", "ResourceConflictException", 409)
    budget = InvocationBudget(10)
    with pytest.raises(KeyboardInterrupt):
        budget.trip(aws.calls, aws.record, 5.0, 12, Busy(aws.calls, aws.clock.now, interrupted))
    # The cap may be on: after finally the journal must say the budget tripped (and keep it).
    after = budget.after_finally(aws.calls, aws.record, 12, queues_empty=False)
    assert after["tripped"] is True and after["invocations_at_trip"] == 12
    assert "left at 0" in after["concurrency_cap"]
    aws.done()
