"""AWS answers that depend on when they are asked, for the stubbed aws backend (aws_stubs).

botocore's Stubber answers a fixed queue of replies, which suits a call-by-call script.
Late data needs a reply that depends on the clock and on what was asked (a log line
searchable only once ingested, a datapoint published only after a while): ``answer``
puts such a function in place of one operation of one client. botocore still builds
and validates every request from its model; the function sees the request's parameters
and returns the parsed reply, which is what botocore's own ``before-call`` hook (the one
the Stubber uses) hands back to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse

from _support.aws_stubs import Aws

__all__ = ["answer"]

Reply = Callable[[dict[str, Any]], dict[str, Any]]


def answer(aws: Aws, service: str, operation: str, reply: Reply) -> list[dict[str, Any]]:
    """``service:operation`` (``FilterLogEvents``) answers ``reply(params)`` from now on.
    The Stubber checks every call of a client it is active on, so it is taken off this
    client: script only clients whose every call the test answers this way. Returns the
    list of every request's parameters, in order."""
    client = aws.clients[service]
    aws.stub[service].deactivate()
    asked: list[dict[str, Any]] = []
    key = f"{service}.{operation}"

    def params(params: dict[str, Any], **_: Any) -> None:
        asked.append(dict(params))

    def call(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("", 200, {}, None), reply(asked[-1])

    client.meta.events.register(f"before-parameter-build.{key}", params, unique_id=f"p-{key}")
    client.meta.events.register(f"before-call.{key}", call, unique_id=f"a-{key}")
    return asked
