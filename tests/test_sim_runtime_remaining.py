"""The handler's remaining time and looplab's watchdog agree: the wall seconds looplab spends
answering a handler's SDK calls are not the handler's (the watchdog extends its deadline by
them), so get_remaining_time_in_millis does not count them either."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime

LOOPER = """\
import json, time
import boto3
sqs = boto3.client("sqs", region_name="us-east-1")
def handler(event, context):
    rounds = 0
    while event.get("forever") or context.get_remaining_time_in_millis() > 150:
        print(json.dumps(context.get_remaining_time_in_millis()))
        sqs.list_queues()
        time.sleep(0.1)  # the handler's own work
        rounds += 1
    return rounds
"""

_SLOW = 0.25  # wall seconds looplab takes to answer each SDK call


def _spec(tmp_path: Path) -> EnvironmentSpec:
    (tmp_path / "looper.py").write_text(LOOPER)
    return EnvironmentSpec(
        variables={
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_REGION": "us-east-1",
        },
        code_dir=tmp_path,
        handler="looper.handler",
        memory_mb=128,
        context={
            "function_name": "looper",
            "function_version": "$LATEST",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:looper",
            "memory_limit_in_mb": "128",
            "log_group_name": "/aws/lambda/looper",
            "log_stream_name": "stream",
        },
    )


def _slow_dispatch(*call: Any) -> tuple[int, dict[str, Any]]:
    time.sleep(_SLOW)
    return 200, {"QueueUrls": [], "ResponseMetadata": {"HTTPStatusCode": 200}}


def _run(tmp_path: Path, event: dict[str, Any]):  # type: ignore[no-untyped-def]
    runtime = ProcessRuntime(1.0, 20.0)
    try:
        env = runtime.start(_spec(tmp_path))
        return runtime.invoke(env, Invocation("r1", event, None, 100.0, 101.2), _slow_dispatch)
    finally:
        runtime.close()


def test_slow_sdk_calls_do_not_cut_the_handlers_remaining_time_short(tmp_path: Path) -> None:
    result = _run(tmp_path, {})
    assert result.outcome == "success", result
    # 1.2 s of its own, ~0.1 s a round: counting looplab's 0.25 s answers it would stop
    # after ~3 rounds (~0.35 s of its own time) though the watchdog gives it all 1.2 s.
    assert json.loads(json.dumps(result.value)) >= 7, result
    assert result.wall >= 0.8, result


def test_a_handler_looping_on_remaining_time_still_times_out_at_its_deadline(
    tmp_path: Path,
) -> None:
    result = _run(tmp_path, {"forever": True})
    assert result.outcome == "timeout", result
    # It saw its time run down by its own work only (~100 ms a round), and what it last
    # saw was near its deadline when the watchdog ended it: the two agree.
    seen = [json.loads(line) for line in result.lines]
    assert len(seen) >= 7, seen
    assert seen.count(0) <= 1, seen
    assert 0 <= seen[-1] <= 400, seen
