"""moto's server as a subprocess on 127.0.0.1, with its request recorder.

The recorder (moto-api/recorder) appends every request the server receives to a file; the
deploy test reads it to prove the ORDER of calls (mappings disabled before DeleteStack),
which the final state alone cannot show: by then the mappings are gone with the stack.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MotoServer:
    url: str
    pid: int
    recording: Path
    process: subprocess.Popen[bytes]

    def _post(self, path: str) -> None:
        req = urllib.request.Request(f"{self.url}{path}", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def start_recording(self) -> None:
        self._post("/moto-api/recorder/reset-recording")
        self._post("/moto-api/recorder/start-recording")

    def stop_recording(self) -> None:
        self._post("/moto-api/recorder/stop-recording")

    def recorded_calls(self) -> list[dict[str, Any]]:
        """The recorded requests as {operation, method, path, body} in arrival order."""
        if not self.recording.exists():
            return []
        calls = []
        for line in self.recording.read_text().splitlines():
            entry = json.loads(line)
            body = entry.get("body") or ""
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode("utf-8", "replace")
            calls.append(
                {
                    "operation": _operation(entry.get("headers", {}), body),
                    "method": entry["method"],
                    "path": entry["url"].split("://", 1)[-1].split("/", 1)[-1],
                    "body": body,
                }
            )
        return calls

    def stop(self) -> None:
        """Stop the server by its pid; kill it if it ignores SIGTERM."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_clean(backend: Any) -> None:
    """Every event source mapping of ``backend``'s stack off and every queue drained, so a
    test on a module's shared stack starts where the previous test's leftovers cannot reach.

    Drained, not purged: SQS (and moto) allow one PurgeQueue a minute per queue, counted in
    wall time, so a purge here would make the next test's purge fail depending on order.
    moto runs an enabled SQS mapping inside SendMessage (and tries Docker): tests expect
    queues that nothing consumes.
    """
    for function, queue in backend.mappings.values():
        backend.set_mapping(function, queue, False)
    for queue in backend.record.queues:
        backend.drain(queue, max_messages=100)


def _operation(headers: dict[str, str], body: str) -> str | None:
    # Query protocol (CloudFormation, STS): Action=... in the form body. JSON protocols name
    # the operation in X-Amz-Target. REST protocols (Lambda, S3) have neither.
    target = {k.lower(): v for k, v in headers.items()}.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(body).get("Action")
    return action[0] if action else None


def start_moto_server(workdir: Path, timeout: float = 30) -> MotoServer:
    """Start ``moto_server`` on a free port and wait until it answers.

    ``timeout`` bounds a failure only: moto_server answers in ~1 s on the 2-core machine
    and in a few under a CPU hog on both cores.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    recording = workdir / "moto-recording.jsonl"
    executable = Path(sys.executable).with_name("moto_server")
    last_error: Exception | None = None
    for _ in range(3):  # the free port can be taken between probe and bind: retry
        port = free_port()
        log = (workdir / f"moto-{port}.log").open("wb")
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MOTO_RECORDER_FILEPATH": str(recording)},
            cwd=workdir,
        )
        server = MotoServer(f"http://127.0.0.1:{port}", process.pid, recording, process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{server.url}/moto-api/data.json", timeout=2):
                    return server
            except OSError as exc:
                last_error = exc
                time.sleep(0.1)
        server.stop()
    raise RuntimeError(f"moto_server did not start (see {workdir}): {last_error}")
