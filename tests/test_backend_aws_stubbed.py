"""The aws backend's rails against botocore's Stubber: the stack record, the account, region
and loop-protection guards, credentials, endpoints and what the journal says about them.

The other stubbed tests: test_backend_aws_stubbed_steps.py (mappings, recursion, purge, the
kill switch), _observe.py (metrics and logs) and _budget.py (the invocation budget); their
scripted replies are tests/_support/aws_stubs.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from _support.aws_stubs import FN_NAME, Aws, no_aws_config
from _support.fakes import (
    ACCOUNT,
    FUNCTION,
    MAIN_UUID,
    MAPPINGS,
    REGION,
    STAGE,
    ManualClock,
    fake_record,
)
from botocore.stub import ANY, Stubber

from looplab.backends.aws import (
    AwsBackend,
    AwsCallError,
    Calls,
    GuardError,
    StackRecord,
    StackRecordError,
    check_identity,
    open_calls,
)


@pytest.fixture
def aws() -> Aws:
    return Aws()


@pytest.fixture
def record(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> StackRecord:
    """A stack record, in an environment with no AWS configuration but the test's own."""
    no_aws_config(monkeypatch, tmp_path)
    return StackRecord.from_dict(fake_record(), "unit.json")


def _open(monkeypatch: pytest.MonkeyPatch, record: StackRecord, **env: str) -> tuple[Calls, str]:
    """open_calls(record) with ``env`` set on top of the ``record`` fixture's bare environment."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return open_calls(record)


def _backend(record: StackRecord, calls: Calls, **kwargs: Any) -> AwsBackend:
    return AwsBackend(record, calls, ManualClock(), mappings=MAPPINGS, verify=False, **kwargs)


# -- the record and the guards ------------------------------------------------------------


def test_a_missing_record_names_the_command_that_makes_it(tmp_path: Path) -> None:
    with pytest.raises(StackRecordError) as caught:
        StackRecord.load(tmp_path, "dev")
    assert "invoke deploy --stage dev" in str(caught.value)
    assert "npx sls looplab-outputs --stage dev" in str(caught.value)


def test_a_record_of_another_format_or_half_written_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / ".looplab" / "stacks"
    folder.mkdir(parents=True)
    (folder / "dev.json").write_text(json.dumps(fake_record(formatVersion=2)))
    with pytest.raises(StackRecordError, match="formatVersion 2"):
        StackRecord.load(tmp_path, "dev")
    (folder / "dev.json").write_text('{"formatVersion": 1, "stackName": ')
    with pytest.raises(StackRecordError, match="cannot read the stack record"):
        StackRecord.load(tmp_path, "dev")


def test_the_guard_refuses_another_account_before_any_action(aws: Aws) -> None:
    aws.identity("999999999999", "arn:aws:iam::999999999999:user/someone", UserId="X")
    with pytest.raises(GuardError) as caught:
        aws.backend(verify=True)
    assert f"recorded in account {ACCOUNT}" in str(caught.value)
    assert "999999999999" in str(caught.value)
    aws.done()  # nothing else was asked, so nothing else was done


def test_the_guard_refuses_another_region() -> None:
    aws = Aws(region="us-east-1")
    aws.identity()
    with pytest.raises(GuardError, match=f"AWS_REGION={REGION}"):
        check_identity(aws.calls, aws.record)


def test_a_record_of_a_rolled_back_stack_is_stale() -> None:
    aws = Aws(stackStatus="ROLLBACK_COMPLETE")
    aws.identity()
    with pytest.raises(GuardError, match="ROLLBACK_COMPLETE"):
        aws.backend(verify=True)


def test_a_record_whose_queue_is_gone_says_to_deploy(aws: Aws) -> None:
    aws.identity()
    aws.error("sqs", "get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue")
    with pytest.raises(GuardError) as caught:
        aws.backend(verify=True)
    assert "does not exist" in str(caught.value)
    assert f"invoke deploy --stage {STAGE}" in str(caught.value)


def test_a_record_whose_mapping_points_elsewhere_is_stale(aws: Aws) -> None:
    aws.identity()
    aws.queue_arns()
    aws.function_config()
    other = f"arn:aws:sqs:{REGION}:{ACCOUNT}:somebody-elses-queue"
    aws.mapping(MAIN_UUID, EventSourceArn=other, FunctionArn=f"arn:x:{FN_NAME}")
    with pytest.raises(GuardError, match="somebody-elses-queue"):
        aws.backend(verify=True)


def test_a_stack_deployed_with_loop_protection_off_is_refused_without_the_flag(aws: Aws) -> None:
    aws.guards_pass()
    aws.recursion("Allow", FunctionName=FN_NAME)
    with pytest.raises(GuardError) as caught:
        aws.backend(verify=True)
    message = str(caught.value)
    assert f"{FN_NAME}" in message and "RecursiveLoop Allow" in message
    assert "--allow-recursion" in message and "recursiveLoop=Terminate" in message
    aws.done()  # nothing but reads


def test_with_the_flag_a_stack_deployed_at_allow_is_left_as_deployed(aws: Aws) -> None:
    aws.guards_pass()
    aws.recursion("Allow")
    backend = aws.backend(verify=True, allow_recursion=True)
    aws.recursion("Allow")
    done = backend.finish()["recursion"]
    assert done["deployed"] == {FUNCTION: "Allow"}
    assert done["left"] == {FUNCTION: "Allow"} and done["restored_to_terminate"] == []
    aws.done()


def test_a_stack_deployed_at_terminate_opens_without_the_flag(aws: Aws) -> None:
    aws.guards_pass()
    aws.recursion("Terminate")
    aws.backend(verify=True)
    aws.done()


# -- who, where, and with which credentials -----------------------------------------------


def test_describe_records_where_and_who_never_a_secret(aws: Aws) -> None:
    aws.identity(arn="arn:aws:iam::123456789012:user/op", UserId="AIDA")
    backend = aws.backend()
    backend.identity = check_identity(aws.calls, aws.record)
    info = backend.describe()
    assert (info["account"], info["region"], info["stack_name"]) == (
        ACCOUNT,
        REGION,
        f"looplab-{STAGE}",
    )
    assert info["identity_arn"] == "arn:aws:iam::123456789012:user/op"
    assert "testing" not in json.dumps(info)  # the access key and secret are "testing"
    assert ANY  # the Stubber's wildcard stays importable for the moto tests' reuse


def test_no_credentials_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    bare = boto3.Session(region_name=REGION)
    # Port 9 has no listener: even a signed request could not leave this machine.
    calls = Calls(bare, region=REGION, endpoint_url="http://127.0.0.1:9", stage=STAGE)
    with pytest.raises(AwsCallError) as caught:
        check_identity(calls, StackRecord.from_dict(fake_record()))
    message = str(caught.value)
    assert message.startswith("sts:GetCallerIdentity on the current credentials: no usable")
    assert "aws sso login" in message


def test_per_service_endpoints_are_journalled_and_judged(
    monkeypatch: pytest.MonkeyPatch, record: StackRecord
) -> None:
    lambda_url = {"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:5999"}
    calls, origin = _open(monkeypatch, record, AWS_REGION=REGION, **lambda_url)
    assert calls.endpoint_url is None and origin == "AWS default endpoints"
    assert calls.endpoints()["lambda"] == "http://127.0.0.1:5999"
    assert calls.emulated("lambda") and not calls.emulated("sqs")
    # The emulator rail: an endpoint without the recursion-config API (404) is tolerated
    # only where the lambda client does not talk to AWS.
    stub = Stubber(calls.client("lambda"))
    stub.add_client_error("get_function_recursion_config", "404", "Not Found", 404)
    stub.activate()
    backend = _backend(record, calls)
    backend._check_deployed_recursion()
    assert "no recursion-config API" in backend.recursion.deployed[FUNCTION]
    info = backend.describe()
    assert info["endpoints"]["lambda"] == "http://127.0.0.1:5999"
    assert info["endpoints"]["sqs"].endswith(".amazonaws.com")
    stub.assert_no_pending_responses()


def test_the_region_configured_is_judged_not_the_record_s_own(
    monkeypatch: pytest.MonkeyPatch, record: StackRecord
) -> None:
    # botocore reads AWS_DEFAULT_REGION (and the profile); AWS_REGION is honoured first.
    for name, region in (("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "us-west-2")):
        calls, _ = _open(monkeypatch, record, **{name: region})
        stub = Stubber(calls.client("sts"))  # nothing scripted: any call fails the test
        stub.activate()
        with pytest.raises(GuardError) as caught:
            check_identity(calls, record)
        message = str(caught.value)
        assert f"region {region} (from {name}" in message
        assert f"recorded in {REGION}" in message and f"AWS_REGION={REGION}" in message


def test_no_region_configured_uses_the_record_s_and_says_so(record: StackRecord) -> None:
    calls, _ = open_calls(record)
    assert calls.region == REGION and calls.configured_region is None
    stub = Stubber(calls.client("sts"))
    stub.add_response(
        "get_caller_identity", {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/op"}
    )
    stub.activate()
    check_identity(calls, record)
    backend = _backend(record, calls)
    assert backend.describe()["region_from"] == "the stack record (no region configured)"


def test_the_journal_says_when_only_a_per_service_setting_moves_an_endpoint(
    monkeypatch: pytest.MonkeyPatch, record: StackRecord
) -> None:
    sqs_url = {"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:5998"}
    calls, origin = _open(monkeypatch, record, AWS_REGION=REGION, **sqs_url)
    backend = _backend(record, calls, endpoint_origin=origin)
    info = backend.describe()
    assert "AWS default endpoints" not in info["endpoint_from"]
    assert "sqs" in info["endpoint_from"]
