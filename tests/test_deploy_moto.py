"""A real `sls deploy` / `sls remove` of the stack, against moto's server on 127.0.0.1.

Proves the plugin's AWS side with osls's own SDK v3 clients: the stack file after deploy,
`sls looplab-outputs`, and on remove the mappings disabled BEFORE CloudFormation's
DeleteStack (read from moto's request recorder: the final state cannot show the order,
the mappings are gone with the stack). Nothing is sent to the queues: moto would run the
mapping synchronously and try to start the function in Docker.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from _support.moto import MotoServer
from _support.sls import REGION, TEMPLATE_NAME, VALID_SCENARIOS, SlsProject, make_project
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

STAGE = "mototest"
REMOVE_STAGE = "mototest-rm"  # a stack of its own, so removing it disturbs no other test
MOTO_ACCOUNT = "123456789012"


def _deploy(moto_server: MotoServer, folder: Path, stage: str) -> SlsProject:
    project = make_project(folder)
    project.write_scenarios(VALID_SCENARIOS)  # the deploy runs the plugin's check too
    project.run("deploy", "--stage", stage, "--region", REGION, endpoint=moto_server.url)
    return project


@pytest.fixture(scope="module")
def deployed(
    moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SlsProject]:
    yield _deploy(moto_server, tmp_path_factory.mktemp("sls-moto"), STAGE)


@pytest.fixture
def to_remove(moto_server: MotoServer, tmp_path: Path) -> SlsProject:
    """A stack deployed for the removal test alone: test order does not matter."""
    return _deploy(moto_server, tmp_path / "sls-moto-rm", REMOVE_STAGE)


def client(moto_server: MotoServer, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=moto_server.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def record_of(project: SlsProject, stage: str = STAGE) -> dict[str, Any]:
    return json.loads(project.stack_file(stage).read_text())


def test_deploy_records_the_stack_with_every_output(deployed: SlsProject):
    record = record_of(deployed)
    template = json.loads((deployed.path / ".serverless" / TEMPLATE_NAME).read_text())
    assert set(record["outputs"]) == set(template["Outputs"])
    assert all(record["outputs"].values()), record["outputs"]
    assert record["stackName"] == f"looplab-{STAGE}"
    assert (record["stage"], record["region"], record["account"]) == (STAGE, REGION, MOTO_ACCOUNT)
    assert record["outputs"]["RecursiveFunctionName"] == f"looplab-{STAGE}-recursive"
    mapping = record["resources"]["RecursiveEventSourceMappingSQSQueue"]
    assert mapping == {
        "type": "AWS::Lambda::EventSourceMapping",
        "physicalId": record["outputs"]["QueueMappingUuid"],
    }


def test_queues_have_the_posts_retention_and_redrive(deployed: SlsProject, moto_server):
    outputs = record_of(deployed)["outputs"]
    sqs = client(moto_server, "sqs")
    queue = sqs.get_queue_attributes(QueueUrl=outputs["QueueUrl"], AttributeNames=["All"])
    attrs = queue["Attributes"]
    assert attrs["MessageRetentionPeriod"] == "120"
    assert json.loads(attrs["RedrivePolicy"]) == {
        "deadLetterTargetArn": outputs["DeadLetterQueueArn"],
        "maxReceiveCount": 1,
    }
    dlq = sqs.get_queue_attributes(QueueUrl=outputs["DeadLetterQueueUrl"], AttributeNames=["All"])
    assert dlq["Attributes"]["MessageRetentionPeriod"] == "1209600"


def test_both_mappings_exist_and_only_the_main_one_is_enabled(deployed: SlsProject, moto_server):
    outputs = record_of(deployed)["outputs"]
    lam = client(moto_server, "lambda")
    main = lam.get_event_source_mapping(UUID=outputs["QueueMappingUuid"])
    dlq = lam.get_event_source_mapping(UUID=outputs["DeadLetterQueueMappingUuid"])
    assert (main["EventSourceArn"], main["State"], main["BatchSize"]) == (
        outputs["QueueArn"],
        "Enabled",
        1,
    )
    assert (dlq["EventSourceArn"], dlq["State"], dlq["BatchSize"]) == (
        outputs["DeadLetterQueueArn"],
        "Disabled",
        1,
    )
    for mapping in (main, dlq):
        assert mapping["FunctionArn"] == outputs["RecursiveFunctionArn"]
    env = lam.get_function(FunctionName=outputs["RecursiveFunctionName"])["Configuration"]
    assert env["Environment"]["Variables"] == {
        "QUEUE_URL": outputs["QueueUrl"],
        "COUNTER_CAP": "1000",
    }


def test_looplab_outputs_rewrites_the_stack_file(deployed: SlsProject, moto_server):
    before = record_of(deployed)
    deployed.stack_file(STAGE).unlink()
    deployed.run("looplab-outputs", "--stage", STAGE, "--region", REGION, endpoint=moto_server.url)
    after = record_of(deployed)
    assert after["outputs"] == before["outputs"]
    assert after["stackId"] == before["stackId"]


def test_remove_disables_every_mapping_before_the_stack_goes(to_remove: SlsProject, moto_server):
    outputs = record_of(to_remove, REMOVE_STAGE)["outputs"]
    main_uuid, dlq_uuid = outputs["QueueMappingUuid"], outputs["DeadLetterQueueMappingUuid"]
    moto_server.start_recording()

    result = to_remove.run(
        "remove", "--stage", REMOVE_STAGE, "--region", REGION, endpoint=moto_server.url
    )

    calls = moto_server.recorded_calls()
    delete_at = next(i for i, c in enumerate(calls) if c["operation"] == "DeleteStack")
    before_delete = calls[:delete_at]
    disabled = [
        c
        for c in before_delete
        if c["method"] == "PUT"
        and c["path"].endswith(f"event-source-mappings/{main_uuid}")
        and json.loads(c["body"]).get("Enabled") is False
    ]
    assert disabled, "UpdateEventSourceMapping(Enabled=false) was not sent before DeleteStack"
    # The plugin re-reads each mapping after disabling it, and only then lets remove go on.
    for uuid in (main_uuid, dlq_uuid):
        reads = [
            i
            for i, c in enumerate(before_delete)
            if c["method"] == "GET" and c["path"].endswith(f"event-source-mappings/{uuid}")
        ]
        assert reads, f"mapping {uuid} was never confirmed before DeleteStack"
    # The log line is printed only once Lambda reported the state as Disabled.
    log = result.stdout + result.stderr
    for logical_id, uuid in [
        ("RecursiveEventSourceMappingSQSQueue", main_uuid),
        ("RecursiveEventSourceMappingSQSDeadLetterQueue", dlq_uuid),
    ]:
        assert f"disabled event source mapping {logical_id} ({uuid})" in log, log
    assert "2 of 2 event source mappings" in log

    assert not to_remove.stack_file(REMOVE_STAGE).exists()
    with pytest.raises(ClientError) as gone:
        client(moto_server, "sqs").get_queue_attributes(QueueUrl=outputs["QueueUrl"])
    assert "NonExistentQueue" in gone.value.response["Error"]["Code"]
