"""A botocore client made before any Simulator existed lacks the bridge's handlers; while a
Simulator is open its calls must still be refused before anything reaches the network."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from looplab.sim import bridge


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    sock.settimeout(0.3)
    yield sock
    sock.close()


def _client(port: int):  # type: ignore[no-untyped-def]
    # A plain botocore session built without looplab's BUILTIN_HANDLERS entries, as a
    # session made before the first Simulator (or before looplab.sim's import) would be.
    saved = list(bridge.handlers.BUILTIN_HANDLERS)
    bridge.handlers.BUILTIN_HANDLERS[:] = [s for s in saved if s not in bridge._SPECS]
    try:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        return session.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{port}",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
        )
    finally:
        bridge.handlers.BUILTIN_HANDLERS[:] = saved


class _Open:
    """Stands for an open Simulator in the bridge's registry (what Simulator.__init__ notes)."""


def test_client_made_before_simulator_is_refused_and_nothing_connects(
    listener: socket.socket,
) -> None:
    client = _client(listener.getsockname()[1])
    sim = _Open()
    bridge.ensure_installed()
    bridge.opened(sim)
    try:
        with pytest.raises(ClientError) as info:
            client.list_queues()
    finally:
        bridge.closed(sim)
    error = info.value.response["Error"]
    assert error["Code"] == "LooplabRefused"
    assert f"127.0.0.1:{listener.getsockname()[1]}" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(TimeoutError):
        conn, _ = listener.accept()
        conn.close()


def test_same_client_reaches_network_when_no_simulator_is_open(listener: socket.socket) -> None:
    client = _client(listener.getsockname()[1])
    bridge.ensure_installed()
    with pytest.raises(Exception) as info:
        client.list_queues()  # the listener never answers: a read timeout, not a refusal
    assert not (
        isinstance(info.value, ClientError)
        and info.value.response["Error"]["Code"] == "LooplabRefused"
    )
    conn, _ = listener.accept()
    conn.close()
