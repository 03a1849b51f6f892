"""A handler's output: kept up to a bound per invocation, the rest counted and said.

Lambda streams stdout/stderr to CloudWatch Logs as it comes, one event per line, and
splits a line longer than an event may be. looplab keeps the first OUTPUT_LIMIT bytes of
an invocation's output (each event counted with CloudWatch's 26 bytes of overhead) and
counts the rest, so its memory does not grow with what a handler prints (400 MB printed
cost looplab ~2 GB: benchmarks/sim_output.py measures it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support.simkit import one_function_stack, write_handler

from looplab.sim import Simulator
from looplab.sim.runtime import (
    EVENT_LIMIT,
    OUTPUT_LIMIT,
    EnvironmentSpec,
    Invocation,
    ProcessRuntime,
)

_OVERHEAD = 26  # bytes CloudWatch counts for each event besides its message


@pytest.fixture
def runtime() -> Iterator[ProcessRuntime]:
    runtime = ProcessRuntime(1.0, 60.0)
    try:
        yield runtime
    finally:
        runtime.close()


def _run(runtime: ProcessRuntime, tmp_path: Path, source: str) -> Any:
    (tmp_path / "h.py").write_text(source)
    spec = EnvironmentSpec(
        variables={},
        code_dir=tmp_path,
        handler="h.handler",
        memory_mb=256,
        context={
            "function_name": "h",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:h",
            "memory_limit_in_mb": 256,
            "log_group_name": "/aws/lambda/h",
            "log_stream_name": "stream",
        },
    )
    env = runtime.start(spec)
    return runtime.invoke(env, Invocation("r1", {}, None, 0.0, 60.0), lambda *a: (200, {}))


def _kept(lines: list[str]) -> int:
    return sum(len(line.encode()) + _OVERHEAD for line in lines)


def test_output_past_the_bound_is_counted_not_kept(runtime: ProcessRuntime, tmp_path: Path) -> None:
    # 8 MB in lines of 999 characters and their newline: 8 times what is kept.
    source = (
        "import sys\n"
        "def handler(event, context):\n"
        "    for n in range(8 * 1024):\n"
        "        sys.stdout.write(f'{n:06d}' + 'x' * 993 + '\\n')\n"
        "    return 1\n"
    )
    result = _run(runtime, tmp_path, source)
    assert result.outcome == "success", result
    assert _kept(result.lines) <= OUTPUT_LIMIT
    kept = len(result.lines)
    assert kept == OUTPUT_LIMIT // (999 + _OVERHEAD)  # the first lines, whole
    assert result.lines[0].startswith("000000x") and result.lines[-1].startswith(f"{kept - 1:06d}")
    assert result.dropped_lines == 8 * 1024 - kept
    assert result.dropped_bytes == (8 * 1024 - kept) * 1000


def test_a_line_longer_than_an_event_is_split(runtime: ProcessRuntime, tmp_path: Path) -> None:
    source = "def handler(event, context):\n    print('y' * 600_000)\n    return 1\n"
    result = _run(runtime, tmp_path, source)
    assert [len(line) for line in result.lines] == [
        EVENT_LIMIT,
        EVENT_LIMIT,
        600_000 - 2 * EVENT_LIMIT,
    ]
    assert result.dropped_bytes == 0


def test_an_unended_line_is_bounded_too(runtime: ProcessRuntime, tmp_path: Path) -> None:
    # No newline ever: written straight to the file descriptor, 4 MB of one line.
    source = (
        "import os\n"
        "def handler(event, context):\n"
        "    for _ in range(64):\n"
        "        os.write(1, b'z' * 65536)\n"
        "    return 1\n"
    )
    result = _run(runtime, tmp_path, source)
    assert _kept(result.lines) <= OUTPUT_LIMIT
    assert all(len(line) <= EVENT_LIMIT for line in result.lines)
    assert sum(map(len, result.lines)) + result.dropped_bytes == 64 * 65536
    assert result.dropped_lines == 1


def test_what_was_not_kept_is_said_in_the_log(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    for _ in range(3000):\n        print('w' * 999)\n"
    handler = write_handler(tmp_path, "h", source)
    stack = one_function_stack(tmp_path, handler, "out", function={"Timeout": 30})
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(60)
        messages = [e.message for e in sim.logs.events()]
    kept = OUTPUT_LIMIT // (999 + _OVERHEAD)
    assert messages.count("w" * 999) == kept
    dropped = 3000 - kept
    note = (
        f"[looplab] output not kept: {dropped * 1000:,} bytes in {dropped:,} lines past "
        f"the first {OUTPUT_LIMIT:,} bytes of this invocation"
    )
    assert note in messages
    assert messages.index(note) == messages.index("w" * 999) + kept  # right after them
    assert any(m.startswith("REPORT RequestId:") for m in messages)


def test_an_error_event_longer_than_an_event_is_split_in_the_log(tmp_path: Path) -> None:
    source = "def handler(event, context):\n    raise ValueError('v' * 600_000)\n"
    handler = write_handler(tmp_path, "h", source)
    stack = one_function_stack(tmp_path, handler, "err", function={"Timeout": 30})
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(60)
        messages = [e.message for e in sim.logs.events()]
    assert all(len(m.encode()) <= EVENT_LIMIT for m in messages)
    head = next(m for m in messages if m.startswith("[ERROR] ValueError: vvv"))
    assert len(head) == EVENT_LIMIT
