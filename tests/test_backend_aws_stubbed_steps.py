"""The aws backend's actions against botocore's Stubber: what moto cannot show.

A mapping stuck in Updating or busy with another update, the recursion config confirmed and
restored, PurgeQueueInProgress, throttling, and the kill switch (AccessDenied on one action,
conflicts waited out, never giving up silently). The scripted replies: tests/_support/aws_stubs.py.
"""

from __future__ import annotations

import pytest
from _support.aws_stubs import QUEUE_URL, Aws
from _support.fakes import DLQ, DLQ_UUID, FUNCTION, MAIN_UUID, QUEUE, STAGE

from looplab.backends.aws import (
    AwsCallError,
    AwsParams,
    Busy,
    RecursionRefused,
    kill_switch,
)
from looplab.backends.base import BackendError


@pytest.fixture
def aws() -> Aws:
    return Aws()


# -- mappings -----------------------------------------------------------------------------


def test_a_mapping_stuck_in_updating_times_out_with_the_way_out(aws: Aws) -> None:
    backend = aws.backend(params=AwsParams(mapping_timeout=10, mapping_poll_seconds=2))
    aws.ok("lambda", "update_event_source_mapping", {"UUID": DLQ_UUID, "State": "Updating"})
    for _ in range(6):
        aws.mapping(DLQ_UUID, State="Updating")
    with pytest.raises(BackendError) as caught:
        backend.set_mapping(FUNCTION, DLQ, False)
    message = str(caught.value)
    assert "still Updating after 10 s" in message
    assert f"invoke kill-switch --stage {STAGE}" in message
    assert aws.clock.t - 1_700_000_000.0 == pytest.approx(10)


def test_a_mapping_busy_with_another_update_is_retried_then_confirmed(aws: Aws) -> None:
    backend = aws.backend()
    aws.error("lambda", "update_event_source_mapping", "ResourceInUseException")
    aws.update_mapping(DLQ_UUID, True, State="Enabling")
    aws.mapping(DLQ_UUID, State="Enabling")
    aws.mapping(DLQ_UUID, State="Enabled")
    backend.set_mapping(FUNCTION, DLQ, True)
    aws.done()


def test_a_mapping_in_conflict_is_retried_with_backoff_then_confirmed(aws: Aws) -> None:
    aws.clock.t = (aws.clock.t // 60 + 1) * 60  # on a minute: no start minute to wait out
    backend = aws.backend()
    for _ in range(2):  # Lambda: "another operation is in progress" (HTTP 409)
        aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    aws.update_mapping(DLQ_UUID, True)
    aws.mapping(DLQ_UUID, State="Enabled")
    backend.set_mapping(FUNCTION, DLQ, True)
    assert aws.clock.slept[:2] == [1.0, 2.0]  # backoff on the backend's clock
    aws.done()


def test_a_mapping_busy_past_the_bound_fails_naming_it_and_the_way_out(aws: Aws) -> None:
    backend = aws.backend(params=AwsParams(busy_timeout=10))
    for _ in range(5):  # waits 1, 2, 4, then the 3 s left: 10 s
        aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    with pytest.raises(AwsCallError) as caught:
        backend.set_mapping(FUNCTION, DLQ, False)
    message = str(caught.value)
    assert DLQ_UUID in message and "still busy" in message
    assert f"invoke kill-switch --stage {STAGE}" in message
    assert aws.clock.t - 1_700_000_000.0 == pytest.approx(10)
    aws.done()


# -- recursion ----------------------------------------------------------------------------


def test_recursion_allow_is_refused_without_the_flag_and_nothing_is_called(aws: Aws) -> None:
    with pytest.raises(RecursionRefused, match="--allow-recursion"):
        aws.backend().set_recursion(FUNCTION, "Allow")
    aws.done()


def test_recursion_is_confirmed_and_finish_restores_terminate(aws: Aws) -> None:
    backend = aws.backend(allow_recursion=True)
    aws.put_recursion("Allow")
    aws.recursion("Terminate")  # not yet
    aws.recursion("Allow")
    backend.set_recursion(FUNCTION, "Allow")
    # The scenario's finally was cut short (a second Ctrl-C): finish() restores Terminate.
    aws.restores_terminate()
    done = backend.finish()
    assert done["recursion"] == {
        "restored_to_terminate": [FUNCTION],
        "left": {FUNCTION: "Terminate"},
        "asked": [
            {"function": FUNCTION, "mode": "Allow", "confirmed": True},
            {"function": FUNCTION, "mode": "Terminate", "confirmed": True},
        ],
    }
    aws.done()


def test_a_recursion_put_whose_reply_is_lost_is_still_restored_and_journalled(aws: Aws) -> None:
    backend = aws.backend(allow_recursion=True)
    # AWS applied the Allow, but the reply never came (the call failed after retries).
    aws.error("lambda", "put_function_recursion_config", "ServiceException", 500)
    with pytest.raises(AwsCallError):
        backend.set_recursion(FUNCTION, "Allow")
    aws.restores_terminate()
    done = backend.finish()["recursion"]
    assert done["restored_to_terminate"] == [FUNCTION]
    assert done["asked"] == [
        {"function": FUNCTION, "mode": "Allow", "confirmed": False},
        {"function": FUNCTION, "mode": "Terminate", "confirmed": True},
    ]
    aws.done()


# -- queues -------------------------------------------------------------------------------


def test_an_empty_queue_is_not_purged(aws: Aws) -> None:
    aws.counts(0, 0)
    aws.backend().purge(QUEUE)
    aws.done()  # no PurgeQueue was queued, and none was called


def test_purge_in_progress_waits_a_minute_and_seeding_waits_for_the_purge(aws: Aws) -> None:
    backend = aws.backend()
    aws.counts(3, 0)
    aws.error("sqs", "purge_queue", "AWS.SimpleQueueService.PurgeQueueInProgress")
    aws.ok("sqs", "purge_queue", {}, QueueUrl=QUEUE_URL)
    backend.purge(QUEUE)
    assert sum(aws.clock.slept) == pytest.approx(60)
    purged_at = aws.clock.t
    aws.ok(
        "sqs",
        "send_message_batch",
        {"Successful": [{"Id": "0", "MessageId": "m-1", "MD5OfMessageBody": "x"}], "Failed": []},
        QueueUrl=QUEUE_URL,
        Entries=[{"Id": "0", "MessageBody": '{"counter": 5}'}],
    )
    assert backend.seed(QUEUE, '{"counter": 5}') == ["m-1"]
    assert aws.clock.t - purged_at == pytest.approx(60)  # messages sent during a purge may go
    aws.done()


def test_throttling_after_retries_says_so(aws: Aws) -> None:
    aws.error("sqs", "get_queue_attributes", "ThrottlingException")
    with pytest.raises(AwsCallError) as caught:
        aws.backend().queue_state(QUEUE)
    assert caught.value.action == "sqs:GetQueueAttributes"
    assert QUEUE_URL in str(caught.value) and "throttled" in str(caught.value)


# -- the kill switch ----------------------------------------------------------------------


def test_access_denied_on_one_action_still_attempts_the_others(aws: Aws) -> None:
    aws.stack()  # the record matches the stack (test_backend_aws_stubbed_kill_switch.py)
    aws.error("lambda", "put_function_concurrency", "AccessDeniedException", 403)
    aws.listed()
    aws.disable_mappings()
    aws.confirmed()
    aws.purges()
    actions = kill_switch(aws.calls, aws.record)
    denied = [a for a in actions if not a.ok]
    assert [a.action for a in denied] == ["lambda:PutFunctionConcurrency"]
    assert "AccessDeniedException" in denied[0].result
    assert f"invoke operator-policy --stage {STAGE}" in denied[0].result
    assert sum(a.ok for a in actions) == 5  # the listing, two mappings, two purges
    aws.done()


def test_the_kill_switch_waits_out_a_conflict_and_shows_the_wait(aws: Aws) -> None:
    aws.stack()  # the record matches the stack (test_backend_aws_stubbed_kill_switch.py)
    for _ in range(5):  # a deploy is updating the function: waits 1, 2, 4, 8, 15 s
        aws.error("lambda", "put_function_concurrency", "ResourceConflictException", 409)
    aws.cap()
    aws.listed()
    aws.error("lambda", "update_event_source_mapping", "ResourceInUseException")
    aws.disable_mappings()
    aws.confirmed()
    aws.purges()
    notes: list[str] = []
    busy = Busy(aws.calls, aws.clock.now, aws.clock.sleep, progress=notes.append)
    actions = kill_switch(aws.calls, aws.record, busy=busy)
    assert all(a.ok for a in actions), [a.result for a in actions if not a.ok]
    assert aws.clock.slept == [1.0, 2.0, 4.0, 8.0, 15.0, 1.0]
    assert notes and "PutFunctionConcurrency" in notes[0] and "ResourceConflict" in notes[0]
    aws.done()


def test_the_kill_switch_never_gives_up_silently_on_a_busy_mapping(aws: Aws) -> None:
    aws.stack()  # the record matches the stack (test_backend_aws_stubbed_kill_switch.py)
    aws.cap()
    aws.listed()
    for _ in range(5):
        aws.error("lambda", "update_event_source_mapping", "ResourceConflictException", 409)
    aws.update_mapping(MAIN_UUID, False)
    aws.confirmed(MAIN_UUID)  # only what was asked is waited for
    aws.purges()
    busy = Busy(aws.calls, aws.clock.now, aws.clock.sleep, AwsParams(busy_timeout=10))
    actions = kill_switch(aws.calls, aws.record, busy=busy)
    failed = [a for a in actions if not a.ok]
    assert len(failed) == 1 and DLQ_UUID in failed[0].resource
    assert "still busy" in failed[0].result and "Lambda console" in failed[0].result
    assert sum(a.ok for a in actions) == 5  # the cap, the listing, the other mapping, purges
    aws.done()
