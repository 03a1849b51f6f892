"""The experimenter's view of a simulated stack: a boto3 Session the simulator answers,
and the stack record the plugin would have written after a deploy.

Both let the aws backend run unchanged against the simulator (tests/test_backend_aws_sim*):
the session reads nothing of the host's AWS configuration, and the record has the shape of
serverless-plugins/experiment-hooks/lib/stack-file.js.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import boto3
import botocore.session

from looplab.sim import bridge
from looplab.stack import Stack

__all__ = ["STACK_FILE_FORMAT", "experimenter_session", "stack_record"]

STACK_FILE_FORMAT = 1
"""``formatVersion`` of the stack record (serverless-plugins/experiment-hooks/lib/stack-file.js)."""


def experimenter_session(sim: Any, region: str, loader: Any) -> tuple[boto3.Session, Any]:
    """A Session whose every client ``sim`` answers, and the botocore data loader its
    clients share (parsed models are reused across sessions: pass it back next time)."""
    # None of the host's AWS_PROFILE, config or credentials files: nothing to leak.
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    if loader is None:
        loader = core.get_component("data_loader")
    else:
        core.register_component("data_loader", loader)
    core.register("before-parameter-build", bridge.mark(sim))
    session = boto3.Session(
        aws_access_key_id="looplab",
        aws_secret_access_key="looplab",
        region_name=region,
        botocore_session=core,
    )
    return session, loader


def stack_record(stack: Stack, now: float) -> dict[str, Any]:
    """The plugin's stack record for ``stack``, recorded at virtual time ``now``."""
    stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"looplab/{stack.account_id}/{stack.name}")
    return {
        "formatVersion": STACK_FILE_FORMAT,
        "service": stack.service,
        "stackName": stack.name,
        "stackId": (
            f"arn:aws:cloudformation:{stack.region}:{stack.account_id}:stack/"
            f"{stack.name}/{stack_uuid}"
        ),
        "stackStatus": "CREATE_COMPLETE",
        "stage": stack.stage,
        "region": stack.region,
        "account": stack.account_id,
        # CloudFormation's OutputValue is always a string.
        "outputs": {key: str(value) for key, value in stack.outputs.items()},
        "resources": {
            logical_id: {"type": kind, "physicalId": physical}
            for logical_id, (kind, physical) in stack.resources.items()
        },
        "recordedAt": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        + f".{int(now * 1000) % 1000:03d}Z",
    }
