"""The seed handler, called directly, with botocore's Stubber standing in for SQS.

The Stubber fails the test on any call that was not expected, so "sends nothing" is
checked by the absence of an expected response, not by trusting a return value.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

HANDLER = Path(__file__).resolve().parents[1] / "functions" / "recursive" / "main.py"
QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/123456789012/looplab-test-queue"


def load_handler(monkeypatch: pytest.MonkeyPatch, cap: str | None) -> ModuleType:
    """Import main.py afresh (a cold start): it reads QUEUE_URL and COUNTER_CAP at import."""
    monkeypatch.setenv("QUEUE_URL", QUEUE_URL)
    if cap is None:
        monkeypatch.delenv("COUNTER_CAP", raising=False)
    else:
        monkeypatch.setenv("COUNTER_CAP", cap)
    name = f"looplab_test_handler_{cap}"
    spec = importlib.util.spec_from_file_location(name, HANDLER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def make_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[Any, Stubber]]]:
    """Returns (module, stubber): a fresh handler module whose SQS client is stubbed."""
    stubbers: list[Stubber] = []

    def make(cap: str | None = None) -> tuple[Any, Stubber]:
        module = load_handler(monkeypatch, cap)
        sqs = boto3.client(
            "sqs",
            region_name="eu-central-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        stubber = Stubber(sqs)
        stubber.activate()
        stubbers.append(stubber)
        module._sqs = sqs
        return module, stubber

    yield make
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def event(*bodies: Any) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m{i}", "body": b if isinstance(b, str) else json.dumps(b)}
            for i, b in enumerate(bodies)
        ]
    }


def expect_send(stubber: Stubber, counter: int) -> None:
    stubber.add_response(
        "send_message",
        {"MessageId": "id", "MD5OfMessageBody": "x"},
        {"QueueUrl": QUEUE_URL, "MessageBody": json.dumps({"counter": counter})},
    )


def test_largest_counter_of_the_batch_plus_one_goes_back_to_the_queue(make_env, capsys):
    module, stubber = make_env()
    expect_send(stubber, 10)
    result = module.handler(event({"counter": 3}, {"counter": 9}, {"counter": 4}), None)
    assert result == {"statusCode": 200, "body": "New counter sent: 10"}
    out = capsys.readouterr().out
    assert "Received counter 9" in out
    assert "Sending count 10" in out  # the post's print lacked its f; fixed


def test_a_message_without_counter_starts_the_chain_at_one(make_env):
    module, stubber = make_env()
    expect_send(stubber, 1)
    module.handler(event({"hello": "world"}), None)


def test_stops_at_the_default_cap_of_1000(make_env, capsys):
    module, _ = make_env()  # no response queued: any send_message fails the test
    result = module.handler(event({"counter": 1000}), None)
    assert result == {"statusCode": 200, "body": "Counter reached 1000"}
    assert "Counter is 1000, exiting" in capsys.readouterr().out


def test_cap_comes_from_the_environment(make_env):
    module, stubber = make_env(cap="7")
    expect_send(stubber, 7)
    module.handler(event({"counter": 6}), None)
    assert module.handler(event({"counter": 7}), None)["body"] == "Counter reached 7"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json {", "body is not JSON"),
        ([1, 2], "body is not a JSON object"),
        ({"counter": "12"}, "counter '12' is not an integer"),
        ({"counter": True}, "counter True is not an integer"),
    ],
)
def test_malformed_body_sends_nothing_and_says_why(make_env, capsys, body, reason):
    module, _ = make_env()
    result = module.handler(event(body), None)  # must not raise: SQS would retry it
    assert result["statusCode"] == 200
    out = capsys.readouterr().out
    assert f"Skipping message m0: {reason}" in out
    assert "No usable counter in this batch, sending nothing" in out
    assert "Sending count" not in out


def test_a_malformed_message_does_not_spoil_the_rest_of_its_batch(make_env, capsys):
    module, stubber = make_env()
    expect_send(stubber, 6)
    module.handler(event("garbage", {"counter": 5}), None)
    assert "Skipping message m0" in capsys.readouterr().out


def test_the_sqs_client_is_made_once_per_execution_environment(monkeypatch):
    module = load_handler(monkeypatch, None)
    made: list[str] = []

    class FakeSqs:
        def send_message(self, **kwargs: Any) -> dict[str, Any]:
            return {}

    monkeypatch.setattr(module.boto3, "client", lambda name, **kw: made.append(name) or FakeSqs())
    for counter in (1, 2, 3):
        module.handler(event({"counter": counter}), None)
    assert made == ["sqs"]
