"""The loop shapes' handlers with botocore's Stubber: counter + 1 out, the cap, bad input."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parents[1]
TOPIC = "arn:aws:sns:eu-central-1:123456789012:looplab-sns-dev-topic"
QUEUE = "arn:aws:sqs:eu-central-1:123456789012:looplab-sns-sqs-dev-queue"
FUNCTION = "arn:aws:lambda:eu-central-1:123456789012:function:looplab-lambda-dev-relay"


def load(shape: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("COUNTER_CAP", "5")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location(
        f"shape_{shape}", ROOT / "functions" / shape / "main.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def stubbed(module: ModuleType, attr: str, service: str) -> Stubber:
    client = boto3.client(
        service, region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    setattr(module, attr, client)
    stubber = Stubber(client)
    stubber.activate()
    return stubber


def sns_event(*messages: Any) -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {"MessageId": f"m{i}", "TopicArn": TOPIC, "Message": m},
            }
            for i, m in enumerate(messages)
        ]
    }


# --- sns / sns-sqs ---------------------------------------------------------------------


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Stubber]:
    module = load("sns", monkeypatch, TOPIC_ARN=TOPIC)
    return module, stubbed(module, "_sns", "sns")


def test_sns_publishes_counter_plus_one_to_the_topic(sns, capsys):
    module, stub = sns
    stub.add_response(
        "publish", {"MessageId": "x"}, {"TopicArn": TOPIC, "Message": json.dumps({"counter": 3})}
    )
    module.handler(sns_event(json.dumps({"counter": 2})), None)
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert f"Received counter 2 from {TOPIC}" in out and "Sending count 3" in out


def test_sns_reads_raw_sqs_records_of_the_sns_sqs_shape(sns, capsys):
    module, stub = sns
    stub.add_response(
        "publish", {"MessageId": "x"}, {"TopicArn": TOPIC, "Message": json.dumps({"counter": 1})}
    )
    module.handler({"Records": [{"messageId": "q", "eventSourceARN": QUEUE, "body": "{}"}]}, None)
    stub.assert_no_pending_responses()
    assert f"Received counter 0 from {QUEUE}" in capsys.readouterr().out


def test_sns_stops_at_the_cap(sns, capsys):
    module, _ = sns  # no response queued: a publish would raise
    module.handler(sns_event(json.dumps({"counter": 5})), None)
    assert "Counter is 5, exiting" in capsys.readouterr().out


@pytest.mark.parametrize(
    "message",
    ["not json", "[1]", json.dumps({"counter": "7"}), json.dumps({"counter": True}), None],
)
def test_sns_skips_bad_messages(sns, capsys, message):
    module, _ = sns
    result = module.handler(sns_event(message), None)
    assert result["body"] == "Nothing to do"
    assert "Skipping message m0" in capsys.readouterr().out


# --- s3 --------------------------------------------------------------------------------


def s3_event(*keys: str, bucket: str = "loopbucket") -> dict[str, Any]:
    return {
        "Records": [
            {"eventSource": "aws:s3", "s3": {"bucket": {"name": bucket}, "object": {"key": k}}}
            for k in keys
        ]
    }


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Stubber]:
    module = load("s3", monkeypatch, BUCKET_NAME="loopbucket")
    return module, stubbed(module, "_s3", "s3")


def test_s3_puts_the_next_object(s3, capsys):
    module, stub = s3
    body = json.dumps({"counter": 4}).encode()
    stub.add_response(
        "put_object",
        {},
        {
            "Bucket": "loopbucket",
            "Key": "loop/4.json",
            "Body": body,
            "ContentType": "application/json",
        },
    )
    module.handler(s3_event("loop/3.json"), None)
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "Received counter 3 from arn:aws:s3:::loopbucket" in out and "Sending count 4" in out


def test_s3_stops_at_the_cap(s3, capsys):
    module, _ = s3
    module.handler(s3_event("loop/5.json"), None)
    assert "Counter is 5, exiting" in capsys.readouterr().out


@pytest.mark.parametrize("key", ["loop/x.json", "other/1.json", "loop/1.txt", "loop/-1.json"])
def test_s3_skips_keys_that_are_not_loop_counters(s3, capsys, key):
    module, _ = s3
    assert module.handler(s3_event(key), None)["body"] == "Nothing to do"
    assert "Skipping object" in capsys.readouterr().out


def test_s3_skips_records_that_are_not_s3_events(s3, capsys):
    module, _ = s3
    assert module.handler({"Records": [{"body": "{}"}]}, None)["body"] == "Nothing to do"


# --- lambda ----------------------------------------------------------------------------


@pytest.fixture
def lam(monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, Stubber]:
    module = load("lambda", monkeypatch, TARGET_FUNCTION="looplab-lambda-dev-relay")
    return module, stubbed(module, "_lambda", "lambda")


def test_lambda_invokes_itself_asynchronously_with_counter_plus_one(lam, capsys):
    module, stub = lam
    stub.add_response(
        "invoke",
        {"StatusCode": 202},
        {
            "FunctionName": "looplab-lambda-dev-relay",
            "InvocationType": "Event",
            "Payload": json.dumps({"counter": 8}).encode(),
        },
    )
    module.COUNTER_CAP = 100
    module.handler({"counter": 7}, SimpleNamespace(invoked_function_arn=FUNCTION))
    stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert f"Received counter 7 from {FUNCTION}" in out and "Sending count 8" in out


def test_lambda_stops_at_the_cap(lam, capsys):
    module, _ = lam
    module.handler({"counter": 5}, SimpleNamespace(invoked_function_arn=FUNCTION))
    assert "Counter is 5, exiting" in capsys.readouterr().out


@pytest.mark.parametrize("event", [[1], "x", {"counter": 1.5}, {"counter": False}])
def test_lambda_skips_bad_payloads(lam, capsys, event):
    module, _ = lam
    assert module.handler(event, None)["body"] == "Nothing to do"
    assert "Skipping event" in capsys.readouterr().out
