"""What a handler returns is checked where it enters looplab: a reply Lambda would refuse,
or one too deep for looplab's own code to walk, is that invocation's error, never the
run's (a RecursionError in looplab ended the whole run, and its journal's last write).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import one_function_stack, write_handler

from looplab.sim import Simulator
from looplab.sim.runtime import RESPONSE_LIMIT, VALUE_DEPTH

DEEP = """\
import sys
sys.setrecursionlimit({limit})  # the handler's process may; looplab's must not need to
def handler(event, context):
    value = []
    for _ in range({depth}):
        value = [value]
    return value
"""

SIZED = """\
def handler(event, context):
    return "x" * (event["size"] - 2)  # its JSON: the string and its two quotes
"""


def _invoke(tmp_path: Path, source: str, event: dict[str, Any] | None = None) -> dict:
    handler = write_handler(tmp_path, "h", source)
    stack = one_function_stack(tmp_path, handler, "val", function={"Timeout": 30})
    with Simulator(stack, seed=0) as sim:
        reply = sim.invoke("F", event or {}, "RequestResponse")
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 1
        # The run goes on: the same function answers again.
        again = sim.invoke("F", event or {}, "RequestResponse")
        assert again["StatusCode"] == 200
    return reply


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    return depth + isinstance(value, list)


@pytest.mark.parametrize("depth", [900, 5000])
def test_a_reply_nested_deeper_than_looplab_walks_is_that_invocations_error(
    tmp_path: Path, depth: int
) -> None:
    reply = _invoke(tmp_path, DEEP.format(limit=depth * 4, depth=depth))
    assert reply["FunctionError"] == "Unhandled"
    payload = reply["Payload"]
    assert payload["errorType"] == "Runtime.MarshalError"
    assert f"nested more than {VALUE_DEPTH} levels deep" in payload["errorMessage"]
    json.dumps(reply)  # what looplab keeps of it is an ordinary value


def test_a_reply_as_deep_as_looplab_walks_is_returned(tmp_path: Path) -> None:
    reply = _invoke(tmp_path, DEEP.format(limit=1000, depth=VALUE_DEPTH - 1))
    assert "FunctionError" not in reply
    assert _depth(reply["Payload"]) == VALUE_DEPTH


def test_a_reply_over_six_megabytes_is_the_error_lambda_returns(tmp_path: Path) -> None:
    reply = _invoke(tmp_path, SIZED, {"size": RESPONSE_LIMIT + 1})
    assert reply["FunctionError"] == "Unhandled"
    assert reply["Payload"]["errorType"] == "Function.ResponseSizeTooLarge"
    assert reply["Payload"]["errorMessage"] == (
        "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    )


def test_a_reply_of_exactly_six_megabytes_is_returned(tmp_path: Path) -> None:
    reply = _invoke(tmp_path, SIZED, {"size": RESPONSE_LIMIT})
    assert "FunctionError" not in reply
    assert len(reply["Payload"]) == RESPONSE_LIMIT - 2


def test_a_huge_error_message_is_bounded(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    raise ValueError('x' * 10_000_000)\n"
    reply = _invoke(tmp_path, source)
    assert reply["FunctionError"] == "Unhandled"
    assert reply["Payload"]["errorType"] == "ValueError"
    message = reply["Payload"]["errorMessage"]
    assert message.startswith("xxx") and len(message) <= RESPONSE_LIMIT


# A call botocore never saw (the handler calls the runtime's bridge itself): a body that
# is a few kilobytes pickled (one row, shared by reference) and 300 MB written out.
FORGED_CALL = """\
import botocore.handlers

answer = next(
    h for e, h, *_ in botocore.handlers.BUILTIN_HANDLERS
    if e == "before-call" and h.__name__ == "answer"
)

class Model:
    name = "SendMessage"
    class service_model:
        service_name = "sqs"

def handler(event, context):
    row = ["x" * 1000] * 1000
    params = {"QueueUrl": event["url"], "MessageBody": [row] * 300}
    _, parsed = answer(Model, {"headers": {}, "context": {"looplab_params": params}})
    return parsed["Error"]
"""


def test_a_call_larger_written_out_than_its_message_could_be_is_refused(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "h", FORGED_CALL)
    stack = one_function_stack(tmp_path, handler, "val", function={"Timeout": 30})
    with Simulator(stack, seed=0) as sim:
        url = sim.session().client("sqs").get_queue_url(QueueName="val-q")["QueueUrl"]
        reply = sim.invoke("F", {"url": url}, "RequestResponse")
        assert "FunctionError" not in reply  # the handler got an answer and went on
        assert reply["Payload"]["Code"] == "SerializationException"
        assert "bytes written out" in reply["Payload"]["Message"]
        assert not sim.queues["Q"].messages  # nothing was dispatched
