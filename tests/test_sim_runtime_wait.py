"""What an environment sent before it exited is read before its exit ends the invocation.

An environment that runs out of memory, or fails its init, sends its last control message
and exits at once. When looplab polls only after that, one poll reports everything
together: the control socket readable, the SDK socket hung up, the pidfd readable; or,
when poll looked at the sockets just before the last send, the pidfd alone. These tests
make looplab's first poll wait until the process has exited, so both orders happen every
time rather than about one run in six (a race a loaded machine wins more often).
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime
from looplab.sim.runtime._process import _Environment

OOM = "def handler(event, context):\n    keep = bytearray(300 * 2**20)\n"
BROKEN_IMPORT = "import no_such_module_here\ndef handler(event, context):\n    return 1\n"


class _AfterExit:
    """An environment's poll that first waits, without reading anything, for its process
    to exit; then answers what the real poll says, or only the pidfd (``pidfd_only``)."""

    def __init__(self, env: _Environment, pidfd_only: bool) -> None:
        self.env = env
        self.real = env.poll
        self.pidfd_only = pidfd_only

    def register(self, *args: Any) -> None:
        self.real.register(*args)

    def poll(self, timeout: int) -> list[tuple[int, int]]:
        # The generous deadline only bounds a broken test: the handler exits in well under
        # a second (it allocates past its limit, or fails an import).
        exited, _, _ = select.select([self.env.pidfd], [], [], 60)
        assert exited, "the environment did not exit"
        if self.pidfd_only:
            return [(self.env.pidfd, select.POLLIN)]
        return self.real.poll(timeout)


@pytest.fixture
def runtime() -> Iterator[ProcessRuntime]:
    runtime = ProcessRuntime(1.0, 30.0)
    try:
        yield runtime
    finally:
        runtime.close()


def _run(runtime: ProcessRuntime, tmp_path: Path, source: str, pidfd_only: bool) -> Any:
    (tmp_path / "h.py").write_text(source)
    spec = EnvironmentSpec(
        variables={},
        code_dir=tmp_path,
        handler="h.handler",
        memory_mb=128,
        context={
            "function_name": "h",
            "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:h",
            "memory_limit_in_mb": 128,
            "log_group_name": "/aws/lambda/h",
            "log_stream_name": "stream",
        },
    )
    env = runtime.start(spec)
    env.poll = _AfterExit(env, pidfd_only)
    return runtime.invoke(env, Invocation("r1", {}, None, 0.0, 30.0), lambda *a: (200, {}))


@pytest.mark.parametrize("pidfd_only", [False, True], ids=["all-at-once", "pidfd-alone"])
def test_out_of_memory_is_read_though_the_process_exited_before_looplab_polled(
    runtime: ProcessRuntime, tmp_path: Path, pidfd_only: bool
) -> None:
    result = _run(runtime, tmp_path, OOM, pidfd_only)
    assert result.outcome == "oom", result
    assert result.ended


@pytest.mark.parametrize("pidfd_only", [False, True], ids=["all-at-once", "pidfd-alone"])
def test_a_failed_init_is_read_though_the_process_exited_before_looplab_polled(
    runtime: ProcessRuntime, tmp_path: Path, pidfd_only: bool
) -> None:
    result = _run(runtime, tmp_path, BROKEN_IMPORT, pidfd_only)
    assert result.outcome == "error", result
    assert result.error_event.startswith("[ERROR] Runtime.ImportModuleError: "), result
    assert result.ended
