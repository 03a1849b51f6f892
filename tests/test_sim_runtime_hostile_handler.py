"""Review findings on execution environments (each reproduced first): a handler that
forges the runtime's "inited" to reset its own deadline, claims a message of gigabytes,
exits while a process it forked keeps the sockets open, or imports what only the host has.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime

CONTEXT = {
    "function_name": "hostile",
    "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:hostile",
    "memory_limit_in_mb": 128,
    "log_group_name": "/aws/lambda/hostile",
    "log_stream_name": "stream",
}


def _run(
    tmp_path: Path,
    source: str,
    *,
    timeout: float = 5.0,
    scale: float = 1.0,
    wall_limit: float = 20.0,
) -> tuple[Any, float]:
    (tmp_path / "hostile.py").write_text(source)
    spec = EnvironmentSpec({"AWS_REGION": "us-east-1"}, tmp_path, "hostile.handler", 128, CONTEXT)
    runtime = ProcessRuntime(scale, wall_limit)
    started = time.monotonic()
    try:
        env = runtime.start(spec)
        result = runtime.invoke(env, Invocation("r", {}, None, 0.0, timeout), _answer)
    finally:
        runtime.close()
    return result, time.monotonic() - started


def _answer(*call: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ResponseMetadata": {"HTTPStatusCode": 200}}


FORGES_INITED = """\
import gc, time
def handler(event, context):
    control = [o for o in gc.get_objects() if type(o).__name__ == "Channel"][0]
    end = time.monotonic() + 6
    while time.monotonic() < end:
        control.send(("inited",))  # the runtime's own "init is over": the clock restarts
        time.sleep(0.02)
    return "survived"
"""


def test_a_forged_inited_does_not_restart_the_deadline(tmp_path: Path) -> None:
    result, wall = _run(tmp_path, FORGES_INITED, timeout=1.0, scale=20.0, wall_limit=2.0)
    assert result.outcome != "success", result
    assert wall < 4.0, f"the watchdog let it run {wall:.1f} s"


CLAIMS_GIGABYTES = """\
import gc, struct, time
def handler(event, context):
    calls = [o for o in gc.get_objects() if type(o).__name__ == "Channel"][1]
    calls.sock.sendall(struct.pack("!I", 0xFFFFFFF0) + b"x" * (1 << 20))
    time.sleep(30)
"""


def test_a_message_larger_than_the_function_could_hold_is_refused(tmp_path: Path) -> None:
    result, wall = _run(tmp_path, CLAIMS_GIGABYTES, timeout=60.0)
    assert result.outcome == "exited", result
    assert any("Runtime.InvalidProtocol" in line for line in result.lines), result.lines
    assert wall < 10.0  # refused at the header, not after 30 s of waiting for the rest


EXITS_WITH_A_CHILD = """\
import os, time
def handler(event, context):
    if os.fork() == 0:
        time.sleep(8)  # holds the environment's sockets open
        os._exit(0)
    os._exit(3)
"""


def test_an_exit_is_an_exit_though_a_forked_child_holds_the_sockets(tmp_path: Path) -> None:
    result, wall = _run(tmp_path, EXITS_WITH_A_CHILD, timeout=5.0)
    assert (result.outcome, result.exit_status) == ("exited", "exit status 3"), result
    assert wall < 4.0


@pytest.mark.parametrize("module", ["yaml", "looplab", "pytest", "_wire", "_process"])
def test_host_packages_are_not_importable_from_a_handler(tmp_path: Path, module: str) -> None:
    source = f"import {module}\ndef handler(event, context):\n    return 1\n"
    result, _ = _run(tmp_path, source)
    assert result.outcome == "error", result
    assert "Runtime.ImportModuleError" in (result.error_event or ""), result
    assert f"No module named '{module}'" in (result.error_event or ""), result


SDK_AND_STDLIB = """\
import json, sqlite3, decimal, boto3, botocore, s3transfer, jmespath, dateutil, urllib3
from boto3.s3.transfer import TransferConfig
def handler(event, context):
    client = boto3.client("sqs", region_name="us-east-1")
    client.list_queues()
    return [boto3.__name__, botocore.__name__]
"""


def test_the_sdk_and_the_standard_library_still_import(tmp_path: Path) -> None:
    result, _ = _run(tmp_path, SDK_AND_STDLIB)
    assert result.outcome == "success", (result.error_event, result.lines)
