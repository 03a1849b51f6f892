"""The aws backend against moto's server on 127.0.0.1, after a real `sls deploy`.

Real requests, real botocore serialisation, real moto state: seed, queue_state, drain,
purge (moto enforces the one-purge-a-minute rule: the backend must not spend it on an
empty queue, and moto's request log shows it does not), connect/disconnect changing the
mapping in moto, the kill switch and its release, the account/region guard, missing and
stale records, the operator policy accepted by (moto's) IAM, and credentials expiring
mid-run with finally still attempted.

moto runs an enabled SQS mapping synchronously inside SendMessage and would try to start
the function in Docker: every test starts with every mapping disabled and every queue
drained (_support.moto.start_clean), so no test depends on what ran before it.
moto has no recursion-config API (see test_backend_aws_stubbed.py for that).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from _support.fakes import ManualClock
from _support.moto import MotoServer, start_clean
from _support.policy import assert_scoped_to_the_stack
from _support.sls import REGION, TEMPLATE_NAME, VALID_SCENARIOS, SlsProject, make_project
from botocore.awsrequest import AWSResponse
from rich.console import Console

from looplab import cli
from looplab.backends.aws import (
    AwsBackend,
    GuardError,
    StackRecord,
    StackRecordError,
    open_backend,
)
from looplab.cli import commands
from looplab.engine import run_scenario
from looplab.scenarios import build_scenario, validate_file
from looplab.stack import Stack

pytestmark = pytest.mark.integration

STAGE = "awsmoto"
FUNCTION, QUEUE, DLQ = "RecursiveLambdaFunction", "Queue", "DeadLetterQueue"


@pytest.fixture(autouse=True)
def _no_host_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No profile, key or endpoint of the host can take part."""
    import os

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(scope="module")
def deployed(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> SlsProject:
    project = make_project(tmp_path_factory.mktemp("aws-moto"))
    project.write_scenarios(VALID_SCENARIOS)
    project.run("deploy", "--stage", STAGE, "--region", REGION, endpoint=moto_server.url)
    return project


@pytest.fixture(scope="module")
def stack(deployed: SlsProject) -> Stack:
    template = json.loads((deployed.path / ".serverless" / TEMPLATE_NAME).read_text())
    return Stack.from_template(template, code_dir=deployed.path, stage=STAGE, region=REGION)


def session(region: str = REGION) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )


@pytest.fixture
def backend(deployed: SlsProject, stack: Stack, moto_server: MotoServer) -> Iterator[AwsBackend]:
    instance = open_backend(
        deployed.path,
        STAGE,
        stack,
        session=session(),
        endpoint_url=moto_server.url,
        clock=ManualClock(),
    )
    start_clean(instance)  # whatever the tests before left on the shared stack
    yield instance
    instance.close()


def moto_client(moto_server: MotoServer, service: str) -> Any:
    return session().client(service, endpoint_url=moto_server.url)


def mapping_state(moto_server: MotoServer, backend: AwsBackend, queue: str) -> str:
    lid = next(k for k, (_, q) in backend.mappings.items() if q == queue)
    uuid = backend.record.mapping_uuid(lid)
    return moto_client(moto_server, "lambda").get_event_source_mapping(UUID=uuid)["State"]


def test_the_backend_opens_on_the_recorded_stack_and_says_where(
    backend: AwsBackend, moto_server: MotoServer
) -> None:
    info = backend.describe()
    assert (info["account"], info["region"]) == ("123456789012", REGION)
    assert info["stack_name"] == f"looplab-{STAGE}"
    assert info["endpoint"] == moto_server.url and info["endpoint_from"] == "--endpoint-url"
    assert info["identity_arn"].startswith("arn:aws:")
    assert "testing" not in json.dumps(info)


def test_seed_queue_state_drain_on_moto(backend: AwsBackend) -> None:
    ids = backend.seed(QUEUE, '{"counter": 5}', count=12)  # two SendMessageBatch calls
    assert len(set(ids)) == 12
    assert backend.queue_state(QUEUE).visible == 12
    first = backend.drain(QUEUE, max_messages=5)
    assert len(first) == 5
    assert {m.body for m in first} == {'{"counter": 5}'}
    assert all(m.receive_count == 1 and m.attributes["SenderId"] for m in first)
    rest = backend.drain(QUEUE, max_messages=100)
    assert len(rest) == 7 and {m.message_id for m in first + rest} == set(ids)
    assert backend.queue_state(QUEUE).total == 0


def test_purge_is_skipped_for_an_empty_queue(backend: AwsBackend, moto_server: MotoServer) -> None:
    # moto allows one PurgeQueue a minute per queue, in wall time and across this module's
    # tests (the kill switch purges too): the proof that an empty queue costs no PurgeQueue
    # is the log of what moto received, whichever test ran before.
    assert backend.queue_state(DLQ).total == 0
    moto_server.start_recording()
    try:
        backend.purge(DLQ)
    finally:
        moto_server.stop_recording()
    operations = [call["operation"] for call in moto_server.recorded_calls()]
    assert "GetQueueAttributes" in operations  # the log has the SQS calls: the count was read
    assert "PurgeQueue" not in operations


def test_connect_and_disconnect_change_the_mapping_in_moto(
    backend: AwsBackend, moto_server: MotoServer
) -> None:
    assert mapping_state(moto_server, backend, DLQ) == "Disabled"
    backend.set_mapping(FUNCTION, DLQ, True)
    assert mapping_state(moto_server, backend, DLQ) == "Enabled"
    backend.set_mapping(FUNCTION, DLQ, False)
    assert mapping_state(moto_server, backend, DLQ) == "Disabled"


def test_kill_switch_and_release(
    backend: AwsBackend, deployed: SlsProject, moto_server: MotoServer
) -> None:
    backend.set_mapping(FUNCTION, DLQ, True)
    backend.seed(QUEUE, "left behind")
    out = Console(file=io.StringIO(), width=200)
    code = cli.kill_switch_command(
        stage=STAGE,
        project=deployed.path,
        endpoint_url=moto_server.url,
        session=session(),
        console=out,
    )
    text = out.file.getvalue()
    assert code == 0, text
    assert text.count("ok lambda:UpdateEventSourceMapping") == 2
    assert "ok lambda:PutFunctionConcurrency" in text and text.count("sqs:PurgeQueue") == 2
    lam = moto_client(moto_server, "lambda")
    name = backend.record.function_name(FUNCTION)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    assert mapping_state(moto_server, backend, DLQ) == "Disabled"
    assert mapping_state(moto_server, backend, QUEUE) == "Disabled"
    assert backend.queue_state(QUEUE).total == 0

    out = Console(file=io.StringIO(), width=200)
    assert (
        cli.kill_switch_command(
            stage=STAGE,
            release=True,
            project=deployed.path,
            endpoint_url=moto_server.url,
            session=session(),
            console=out,
        )
        == 0
    )
    assert "ok lambda:DeleteFunctionConcurrency" in out.file.getvalue()
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)


def _kill(deployed: SlsProject, moto_server: MotoServer, stage: str = STAGE, **kw: Any) -> Any:
    """kill_switch_command on ``stage``'s record: (exit code, what it printed)."""
    out = Console(file=io.StringIO(), width=200)
    code = cli.kill_switch_command(
        stage=stage,
        project=deployed.path,
        endpoint_url=moto_server.url,
        session=session(),
        console=out,
        **kw,
    )
    return code, out.file.getvalue()


def test_the_kill_switch_refuses_a_record_naming_a_queue_outside_the_stack(
    backend: AwsBackend,
    deployed: SlsProject,
    moto_server: MotoServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sqs, lam = moto_client(moto_server, "sqs"), moto_client(moto_server, "lambda")
    outside = sqs.create_queue(QueueName="somebody-elses-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=outside, MessageBody="not the experiment's")
    doc = json.loads(deployed.stack_file(STAGE).read_text())
    doc["resources"][QUEUE]["physicalId"] = outside  # same account, same region
    _copy_record(deployed, "tampered", resources=doc["resources"])

    code, text = _kill(deployed, moto_server, "tampered")

    err = capsys.readouterr().err
    assert code == 2, text + err
    assert f"{QUEUE}: the record says AWS::SQS::Queue {outside}" in err
    assert "nothing was done" in err
    counts = sqs.get_queue_attributes(QueueUrl=outside, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "1"  # not purged
    name = backend.record.function_name(FUNCTION)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)


def test_the_kill_switch_disables_a_mapping_made_outside_the_stack(
    backend: AwsBackend, deployed: SlsProject, moto_server: MotoServer
) -> None:
    sqs, lam = moto_client(moto_server, "sqs"), moto_client(moto_server, "lambda")
    side = sqs.create_queue(QueueName="side-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=side, AttributeNames=["QueueArn"])["Attributes"]
    name = backend.record.function_name(FUNCTION)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn["QueueArn"], FunctionName=name, Enabled=True
    )["UUID"]
    try:
        code, text = _kill(deployed, moto_server)
        assert code == 0, text
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
        assert f"ok lambda:UpdateEventSourceMapping {uuid}" in text
        assert "not in the record" in text
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        assert _kill(deployed, moto_server, release=True)[0] == 0


def _copy_record(deployed: SlsProject, stage: str, **changes: Any) -> None:
    doc = json.loads(deployed.stack_file(STAGE).read_text())
    doc.update(stage=stage, **changes)
    path = deployed.stack_file(stage)
    path.write_text(json.dumps(doc))


def _record_of_another_account(deployed: SlsProject, stage: str) -> None:
    """The record as a deploy in account 999999999999 would write it: the account in every
    field that holds one (stack ID, queue URLs), so only the credentials' account differs."""
    doc = json.loads(deployed.stack_file(STAGE).read_text().replace("123456789012", "999999999999"))
    deployed.stack_file(stage).write_text(json.dumps({**doc, "stage": stage}))


def test_the_guard_refuses_another_account_and_another_region(
    deployed: SlsProject, stack: Stack, moto_server: MotoServer
) -> None:
    _record_of_another_account(deployed, "elsewhere")
    with pytest.raises(GuardError, match="recorded in account 999999999999"):
        open_backend(
            deployed.path, "elsewhere", stack, session=session(), endpoint_url=moto_server.url
        )
    with pytest.raises(GuardError, match="says region us-east-1"):
        open_backend(
            deployed.path, STAGE, stack, session=session("us-east-1"), endpoint_url=moto_server.url
        )


def test_missing_or_stale_records_stop_with_the_fix(
    deployed: SlsProject, stack: Stack, moto_server: MotoServer
) -> None:
    with pytest.raises(StackRecordError, match="npx sls looplab-outputs --stage nothing"):
        open_backend(
            deployed.path, "nothing", stack, session=session(), endpoint_url=moto_server.url
        )
    doc = json.loads(deployed.stack_file(STAGE).read_text())
    gone = dict(doc["resources"])
    gone["Queue"] = {**gone["Queue"], "physicalId": gone["Queue"]["physicalId"] + "-gone"}
    _copy_record(deployed, "stale", resources=gone)
    with pytest.raises(GuardError, match="does not exist"):
        open_backend(deployed.path, "stale", stack, session=session(), endpoint_url=moto_server.url)


def test_a_scenario_on_a_stale_record_exits_2_and_runs_nothing(
    deployed: SlsProject, moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record_of_another_account(deployed, "elsewhere2")
    monkeypatch.setattr(
        commands, "load_stack_for", lambda project, stage, params=None: _stack_of(deployed)
    )
    code = cli.scenario_command(
        "smoke",
        backend="aws",
        stage="elsewhere2",
        project=deployed.path,
        results=tmp_path,
        endpoint_url=moto_server.url,
    )
    assert code == 2 and not (tmp_path / "runs").exists()


def _stack_of(deployed: SlsProject) -> Stack:
    template = json.loads((deployed.path / ".serverless" / TEMPLATE_NAME).read_text())
    return Stack.from_template(template, code_dir=deployed.path, stage=STAGE, region=REGION)


def test_the_operator_policy_names_only_the_stacks_resources_and_iam_accepts_it(
    deployed: SlsProject, moto_server: MotoServer
) -> None:
    out = io.StringIO()
    assert cli.operator_policy_command(stage=STAGE, project=deployed.path, out=out) == 0
    policy = json.loads(out.getvalue())  # JSON only
    assert_scoped_to_the_stack(policy, StackRecord.load(deployed.path, STAGE))
    iam = moto_client(moto_server, "iam")
    iam.create_policy(PolicyName=f"looplab-{STAGE}-operator", PolicyDocument=json.dumps(policy))


# -- credentials that expire mid-run --------------------------------------------------------


class Expiry:
    """Once armed, every call of the backend's clients fails as an expired session does."""

    def __init__(self) -> None:
        self.armed = False
        self.refused: list[str] = []

    def __call__(self, model: Any, **_: Any) -> Any:
        if not self.armed:
            return None
        self.refused.append(model.name)
        parsed = {
            "Error": {
                "Code": "ExpiredToken",
                "Message": "The security token included in the request is expired",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse("https://expired", 400, {}, None), parsed


EXPIRE = """\
version: 1
aliases: {queue: Queue, dlq: DeadLetterQueue, recursive: RecursiveLambdaFunction}
scenarios:
  expire:
    description: the session expires during the wait
    steps:
      - seed: {queue: queue, body: {counter: 5}}
      - wait: {seconds: 30}
      - drain: {queue: queue}
    finally:
      - disconnect: {function: recursive, source: dlq}
      - purge: {queues: [queue, dlq]}
"""


def test_credentials_expiring_mid_run_still_attempt_finally_with_a_clear_message(
    backend: AwsBackend, stack: Stack, tmp_path: Path
) -> None:
    expiry = Expiry()
    for service in ("sqs", "lambda", "cloudwatch", "logs", "sts"):
        backend.calls.client(service).meta.events.register_last("before-call", expiry)
    # The run starts on a minute, so its seed has no start minute to wait out: the first
    # sleep is the wait's, and the credentials expire there.
    backend.clock.t = (backend.clock.t // 60 + 1) * 60  # type: ignore[attr-defined]
    backend.clock.on_sleep = lambda t: setattr(expiry, "armed", True)  # type: ignore[attr-defined]
    (tmp_path / "s.yaml").write_text(EXPIRE)
    scenario = build_scenario(validate_file(tmp_path / "s.yaml", stack), "expire", [], stack)

    result = run_scenario(scenario, backend, results=tmp_path)

    doc = result.doc
    assert result.status == "aborted" and result.exit_code == 1
    drain = doc["steps"][2]
    assert drain["status"] == "error"
    assert "sqs:ReceiveMessage" in drain["error"] and "ExpiredToken" in drain["error"]
    assert "credentials expired" in drain["error"]
    assert "invoke kill-switch --stage awsmoto" in drain["error"]
    # finally was attempted, step by step, and says what it could not do.
    assert [s["kind"] for s in doc["finally"]] == ["disconnect", "purge"]
    assert all(s["status"] == "error" and "ExpiredToken" in s["error"] for s in doc["finally"])
    assert doc["cleanup"] == "failed"
    assert "UpdateEventSourceMapping" in expiry.refused
    assert doc["definition"]["backend"]["stack_name"] == f"looplab-{STAGE}"
    assert json.loads(result.journal_path.read_text())["status"] == "aborted"
