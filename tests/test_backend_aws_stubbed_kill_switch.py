"""The kill switch against botocore's Stubber: the record is checked against the stack itself
before anything is done, and every mapping of the stack's functions is turned off.

The record is a file. It used to be trusted as it was: a record naming a queue outside the
stack (same account and region) had that queue purged. Now CloudFormation's own list of the
stack's resources must agree with every resource the record names, or nothing is done.
The scripted replies: tests/_support/aws_stubs.py.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from _support.aws_stubs import FN_NAME, Aws
from _support.fakes import ACCOUNT, DLQ, DLQ_UUID, FUNCTION, MAIN_UUID, QUEUE, REGION, STAGE

from looplab.backends.aws import AwsCallError, AwsParams, Busy, GuardError, kill_switch

CREATED = {"CreationTime": datetime(2026, 12, 2, tzinfo=UTC), "StackStatus": "CREATE_COMPLETE"}
OUTSIDE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/somebody-elses-queue"


def _resources(aws: Aws) -> dict[str, dict[str, str]]:
    return copy.deepcopy(aws.record.resources)


def test_a_record_naming_a_queue_outside_the_stack_is_refused_and_nothing_is_done() -> None:
    stack = Aws()  # what CloudFormation says the stack is
    tampered = Aws(
        resources={
            **_resources(stack),
            QUEUE: {"type": "AWS::SQS::Queue", "physicalId": OUTSIDE_URL},
        }
    )
    tampered.stack(resources=_resources(stack))
    with pytest.raises(GuardError) as caught:
        kill_switch(tampered.calls, tampered.record)
    message = str(caught.value)
    assert QUEUE in message and OUTSIDE_URL in message
    assert stack.record.queue_url(QUEUE) in message  # what the stack's Queue really is
    assert "nothing was done" in message
    assert f"npx sls looplab-outputs --stage {STAGE}" in message
    tampered.done()  # the two CloudFormation reads, then nothing: no cap, no purge


def test_a_record_resource_the_stack_does_not_have_is_refused() -> None:
    aws = Aws()
    live = _resources(aws)
    del live[DLQ]
    aws.stack(resources=live)
    with pytest.raises(GuardError) as caught:
        kill_switch(aws.calls, aws.record)
    assert f"{DLQ}" in str(caught.value) and "not a resource of the stack" in str(caught.value)
    aws.done()


def test_a_function_the_stack_has_and_the_record_lacks_is_refused() -> None:
    # The brake would leave it running: the record must be rewritten first.
    aws = Aws()
    live = _resources(aws)
    live["OtherLambdaFunction"] = {"type": "AWS::Lambda::Function", "physicalId": "other-fn"}
    aws.stack(resources=live)
    with pytest.raises(GuardError, match=r"OtherLambdaFunction: .*which the record lacks"):
        kill_switch(aws.calls, aws.record)
    aws.done()


def test_a_stack_re_created_under_the_recorded_name_is_refused() -> None:
    aws = Aws()
    other = aws.record.stack_id.rsplit("/", 1)[0] + "/another-id"
    aws.ok(
        "cloudformation",
        "describe_stacks",
        {"Stacks": [{"StackName": aws.record.stack_name, "StackId": other, **CREATED}]},
    )
    with pytest.raises(GuardError) as caught:
        kill_switch(aws.calls, aws.record)
    assert other in str(caught.value) and aws.record.stack_id in str(caught.value)
    aws.done()


def test_a_stack_that_does_not_exist_is_refused_with_its_name() -> None:
    aws = Aws()
    aws.stub["cloudformation"].add_client_error(
        "describe_stacks",
        "ValidationError",
        f"Stack with id {aws.record.stack_name} does not exist",
        400,
    )
    with pytest.raises(GuardError, match=f"{aws.record.stack_name} does not exist"):
        kill_switch(aws.calls, aws.record)
    aws.done()


def test_no_permission_to_read_the_stack_is_a_failed_call_naming_the_fix() -> None:
    aws = Aws()
    aws.error("cloudformation", "describe_stacks", "AccessDenied", 403)
    with pytest.raises(AwsCallError) as caught:
        kill_switch(aws.calls, aws.record)
    assert "cloudformation:DescribeStacks" in str(caught.value)
    assert f"invoke operator-policy --stage {STAGE}" in str(caught.value)
    aws.done()


def test_the_release_is_refused_too_for_a_function_outside_the_stack() -> None:
    stack = Aws()
    tampered = Aws(
        resources={
            **_resources(stack),
            FUNCTION: {"type": "AWS::Lambda::Function", "physicalId": "somebody-elses-fn"},
        }
    )
    tampered.stack(resources=_resources(stack))
    with pytest.raises(GuardError, match="somebody-elses-fn"):
        kill_switch(tampered.calls, tampered.record, release=True)
    tampered.done()  # no DeleteFunctionConcurrency on somebody else's function


def test_the_stack_listed_over_several_pages_is_read_whole_then_the_release_acts() -> None:
    aws = Aws()
    aws.stack(page_size=2)  # five resources: three pages
    aws.ok("lambda", "delete_function_concurrency", {}, FunctionName=FN_NAME)
    actions: list[Any] = kill_switch(aws.calls, aws.record, release=True)
    assert [(a.action, a.ok) for a in actions] == [("lambda:DeleteFunctionConcurrency", True)]
    aws.done()


# -- every mapping of the stack's functions, not only the record's ---------------------------

OUTSIDE_UUID = "33333333-3333-4333-8333-333333333333"


def _brake_start(aws: Aws, *listed: tuple[str, str], page_size: int = 100) -> None:
    """The record checked against the stack, the cap, the function's mappings listed."""
    aws.stack()
    aws.cap()
    aws.listed(*listed, page_size=page_size)


def test_a_mapping_missing_from_the_record_is_found_by_listing_and_disabled() -> None:
    aws = Aws()
    # Three mappings over two pages: the record's two, and one made by hand on the function.
    _brake_start(
        aws, (MAIN_UUID, "Enabled"), (OUTSIDE_UUID, "Enabled"), (DLQ_UUID, "Disabled"), page_size=2
    )
    aws.disable_mappings()
    aws.update_mapping(OUTSIDE_UUID, False)
    aws.confirmed(DLQ_UUID, MAIN_UUID, OUTSIDE_UUID)
    aws.purges()
    actions = kill_switch(aws.calls, aws.record)
    assert all(a.ok for a in actions), [a for a in actions if not a.ok]
    outside = [a for a in actions if OUTSIDE_UUID in a.resource]
    assert [a.action for a in outside] == ["lambda:UpdateEventSourceMapping"]
    assert "not in the record" in outside[0].resource and outside[0].result == "Disabled"
    listing = next(a for a in actions if a.action == "lambda:ListEventSourceMappings")
    assert "3 mappings" in listing.result and "1 not in the record" in listing.result
    aws.done()


def test_a_mapping_still_enabled_after_the_wait_is_reported_as_failed() -> None:
    aws = Aws()
    _brake_start(aws, (MAIN_UUID, "Enabled"), (DLQ_UUID, "Disabled"), (OUTSIDE_UUID, "Enabled"))
    aws.disable_mappings()
    aws.update_mapping(OUTSIDE_UUID, False)
    aws.confirmed(DLQ_UUID, MAIN_UUID)
    aws.mapping(OUTSIDE_UUID, State="Enabled")
    for _ in range(5):  # polled every 2 s for the 10 s bound: read at 0, 2, 4, 6, 8, 10
        aws.mapping(OUTSIDE_UUID, State="Enabled")
    aws.purges()
    params = AwsParams(mapping_timeout=10, mapping_poll_seconds=2)
    busy = Busy(aws.calls, aws.clock.now, aws.clock.sleep, params)
    actions = kill_switch(aws.calls, aws.record, busy=busy)
    failed = [a for a in actions if not a.ok]
    assert len(failed) == 1 and OUTSIDE_UUID in failed[0].resource
    assert "still Enabled after 10 s" in failed[0].result
    assert "Lambda console" in failed[0].result
    assert aws.clock.slept == [2.0] * 5
    aws.done()


def test_a_listing_that_fails_is_a_failed_action_and_the_rest_still_runs() -> None:
    aws = Aws()
    aws.stack()
    aws.cap()
    aws.error("lambda", "list_event_source_mappings", "AccessDeniedException", 403)
    aws.disable_mappings()
    aws.confirmed()
    aws.purges()
    actions = kill_switch(aws.calls, aws.record)
    failed = [a for a in actions if not a.ok]
    assert [a.action for a in failed] == ["lambda:ListEventSourceMappings"]
    assert "AccessDeniedException" in failed[0].result
    assert "a mapping outside the record may still be enabled" in failed[0].result
    assert sum(a.ok for a in actions) == 5  # the cap, both recorded mappings, both purges
    aws.done()


def test_a_mapping_deleted_while_the_brake_runs_counts_as_off() -> None:
    # Listed, then gone before its update (someone removed it, or the stack is being
    # removed): it can no longer invoke anything, so it is not a failure of the brake.
    aws = Aws()
    _brake_start(aws, (MAIN_UUID, "Enabled"), (DLQ_UUID, "Disabled"), (OUTSIDE_UUID, "Deleting"))
    aws.disable_mappings()
    aws.error("lambda", "update_event_source_mapping", "ResourceNotFoundException", 404)
    aws.mapping(DLQ_UUID, State="Disabled")
    aws.error("lambda", "get_event_source_mapping", "ResourceNotFoundException", 404)  # MAIN
    aws.purges()
    actions = kill_switch(aws.calls, aws.record)
    assert all(a.ok for a in actions), [a for a in actions if not a.ok]
    results = {a.resource.split(" ")[0]: a.result for a in actions if "UpdateEvent" in a.action}
    assert results[OUTSIDE_UUID] == "gone (deleted)"
    assert results["RecursiveEventSourceMappingSQSQueue"] == "gone (deleted)"
    aws.done()
