"""The bridge and the service table: parameters as botocore validated them, errors in each
protocol's shape, STS, session() and stack_record(), and refusal of unrouted calls."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import pytest
from _support.sim_shapes import check_reply, replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import (
    build_stack,
    function_resource,
    mapping_resource,
    queue_resource,
    repo_stack,
    write_handler,
)
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from looplab.sim import Simulator

pytestmark = pytest.mark.usefixtures("replies_match_botocore")

ACCOUNT = "123456789012"

WHOAMI = """\
import json
import boto3

def handler(event, context):
    for record in event["Records"]:
        print("ATTR", json.dumps(record["messageAttributes"]))
    print("WHO", boto3.client("sts").get_caller_identity()["Arn"])
"""


@pytest.fixture
def sim(tmp_path: Path):
    handler = write_handler(tmp_path, "who", WHOAMI)
    role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "who-role"}}
    resources = {
        "Role": role,
        "Q": queue_resource("br-q"),
        "F": function_resource("br-fn", handler, {}, Role={"Fn::GetAtt": ["Role", "Arn"]}),
        "M": mapping_resource("Q", "F"),
    }
    with Simulator(build_stack(resources, tmp_path), seed=2) as simulator:
        yield simulator


def error(call, **params) -> dict:
    with pytest.raises(ClientError) as err:
        call(**params)
    return err.value.response


def test_dispatch_is_the_entry_point_with_unserialised_params(sim: Simulator) -> None:
    url = sim.queues["Q"].spec.url
    status, reply = sim.dispatch(
        "sqs",
        "SendMessage",
        {
            "QueueUrl": url,
            "MessageBody": "x",
            "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
        },
        None,
    )
    assert status == 200 and reply["MessageId"] and reply["_request_id"]
    status, reply = sim.dispatch("sqs", "GetQueueUrl", {"QueueName": "nope"}, None)
    assert status == 400
    assert reply["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_binary_attributes_arrive_as_bytes_and_reach_lambda_as_base64(sim: Simulator) -> None:
    sqs = sim.session().client("sqs")
    url = sim.queues["Q"].spec.url
    sim.set_mapping("M", False)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={"blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
    )
    (message,) = sim.queues["Q"].messages.values()
    assert message.message_attributes["blob"]["BinaryValue"] == b"\x00\xff"
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0)
    assert got["Messages"][0]["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\xff"
    sim.set_mapping("M", True)
    sim.advance(2)
    (line,) = [e.message for e in sim.logs.events() if e.message.startswith("ATTR")]
    attribute = json.loads(line[5:])["blob"]
    assert base64.b64decode(attribute["binaryValue"]) == b"\x00\xff"


def test_sts_caller_is_the_experimenter_outside_and_the_role_inside(sim: Simulator) -> None:
    me = sim.session().client("sts").get_caller_identity()
    assert me["Account"] == ACCOUNT
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/looplab-experimenter/looplab"
    assert me["UserId"].startswith("AROA") and me["UserId"].endswith(":looplab")
    sim.send("Q", "x")
    sim.advance(2)
    (line,) = [e.message for e in sim.logs.events() if e.message.startswith("WHO")]
    assert line == f"WHO arn:aws:sts::{ACCOUNT}:assumed-role/who-role/br-fn"


def test_errors_take_each_protocols_shape(sim: Simulator) -> None:
    session = sim.session()
    # rest-json (Lambda): the modelled error's members are added, as botocore does.
    response = error(session.client("lambda").get_function, FunctionName="nope")
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Type"] == "User" and response["Message"].startswith("Function not found")
    # json with query compatibility (SQS): the legacy code, the shape name and the fault.
    response = error(session.client("sqs").get_queue_url, QueueName="nope")
    assert response["Error"] == {
        "Code": "AWS.SimpleQueueService.NonExistentQueue",
        "QueryErrorCode": "QueueDoesNotExist",
        "Type": "Sender",
        "Message": "The specified queue does not exist.",
    }
    # query (STS): XML's Type / Code / Message.
    response = error(
        session.client("sts").get_session_token,
    )
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Type"] == "Receiver"
    assert "sts:GetSessionToken" in response["Error"]["Message"]
    # smithy-rpc-v2-cbor (CloudWatch, not in the table here): a CBOR error body.
    response = error(session.client("cloudwatch").list_dashboards)
    assert response["Error"]["Code"] == "NotImplemented"
    assert "does not model cloudwatch:ListDashboards" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_adding_a_service_is_one_entry_in_the_table(sim: Simulator) -> None:
    class Dashboards:
        def handle(self, operation, params, call):
            assert (operation, params, call.function) == ("ListDashboards", {}, None)
            return {"DashboardEntries": [{"DashboardName": "looplab"}]}

    sim.services["cloudwatch"] = Dashboards()
    got = sim.session().client("cloudwatch").list_dashboards()
    assert got["DashboardEntries"] == [{"DashboardName": "looplab"}]


def test_session_reads_no_host_configuration(sim: Simulator, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing"))
    session = sim.session()
    assert session.region_name == sim.stack.region
    assert session.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_stack_record_is_the_plugins_document_for_the_simulated_stack() -> None:
    stack = repo_stack()
    with Simulator(stack) as sim:
        record = sim.stack_record()
        sqs = sim.session().client("sqs")
        # Everything the record names is answered by the simulator under that name.
        assert (
            sqs.get_queue_url(QueueName="looplab-simtest-queue")["QueueUrl"]
            == (record["outputs"]["QueueUrl"])
        )
        lam = sim.session().client("lambda")
        uuid = record["outputs"]["QueueMappingUuid"]
        assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
        name = record["outputs"]["RecursiveFunctionName"]
        assert (
            lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
            == (record["outputs"]["RecursiveFunctionArn"])
        )
    # The keys serverless-plugins/experiment-hooks/lib/stack-file.js writes.
    assert set(record) == {
        "formatVersion", "service", "stackName", "stackId", "stackStatus", "stage", "region",
        "account", "outputs", "resources", "recordedAt",
    }  # fmt: skip
    assert record["formatVersion"] == 1
    assert (record["service"], record["stackName"], record["stage"]) == (
        "looplab",
        "looplab-simtest",
        "simtest",
    )
    assert record["stackId"].startswith(
        f"arn:aws:cloudformation:eu-central-1:{ACCOUNT}:stack/looplab-simtest/"
    )
    assert (record["stackStatus"], record["account"]) == ("CREATE_COMPLETE", ACCOUNT)
    assert record["recordedAt"] == "2023-07-21T00:00:00.000Z"
    resources = record["resources"]
    assert resources["Queue"] == {
        "type": "AWS::SQS::Queue",
        "physicalId": f"https://sqs.eu-central-1.amazonaws.com/{ACCOUNT}/looplab-simtest-queue",
    }
    assert resources["RecursiveLambdaFunction"]["physicalId"] == "looplab-simtest-recursive"
    for logical_id in stack.mappings:
        assert resources[logical_id] == {
            "type": "AWS::Lambda::EventSourceMapping",
            "physicalId": stack.mappings[logical_id].uuid,
        }
    assert resources["RecursiveLogGroup"]["physicalId"] == "/aws/lambda/looplab-simtest-recursive"
    assert record["outputs"]["DeadLetterQueueMappingUuid"] == (
        stack.mappings["RecursiveEventSourceMappingSQSDeadLetterQueue"].uuid
    )
    assert all(isinstance(v, str) for v in record["outputs"].values())


def _unrouted_client():
    # An endpoint nothing listens on: a call that reaches the network fails to connect.
    return boto3.client(
        "sqs",
        region_name="eu-central-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )


def test_an_unrouted_call_is_refused_while_a_simulator_is_open(sim: Simulator) -> None:
    response = error(_unrouted_client().list_queues)
    assert response["Error"]["Code"] == "LooplabRefused"
    assert "sqs:ListQueues refused" in response["Error"]["Message"]
    assert "not sent to AWS" in response["Error"]["Message"]


def test_with_no_simulator_open_the_bridge_stands_aside(tmp_path: Path) -> None:
    stack = build_stack({"Q": queue_resource("aside-q")}, tmp_path)
    Simulator(stack).close()
    Simulator(stack)  # dropped without close(): collected, it must not refuse either
    with pytest.raises(EndpointConnectionError):
        _unrouted_client().list_queues()


def test_check_reply_catches_a_reply_botocore_would_not_parse() -> None:
    with pytest.raises(AssertionError, match="MessageId"):
        check_reply("sqs", "SendMessage", 200, {"MessageId": 7})
    with pytest.raises(AssertionError):
        check_reply("lambda", "GetFunction", 404, {"Error": {"Code": ""}})
