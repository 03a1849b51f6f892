"""The ``context`` object and the process state a Python Lambda runtime sets up.

awslambdaric runs one execution environment per process and sets, per invocation,
``_X_AMZN_TRACE_ID`` (and removes it when the runtime API gives none). The simulator runs
every environment in one process, so it swaps the process-wide pieces a handler can see
(environment variables, ``boto3.DEFAULT_SESSION``, stdout/stderr) in and out, and puts
the host's own values back when the simulation pauses.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import boto3

TRACE_VAR = "_X_AMZN_TRACE_ID"


class CognitoIdentity:
    """``context.identity``: always present; None fields for an SQS-triggered invocation."""

    def __init__(self) -> None:
        self.cognito_identity_id: str | None = None
        self.cognito_identity_pool_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class LambdaContext:
    """The handler's ``context``, with the attributes awslambdaric's LambdaContext has (an
    ordinary object, so a handler may set its own attributes on it, as on AWS).
    ``memory_limit_in_mb`` is a string there: the runtime reads it from the environment.
    The remaining time counts on the virtual clock."""

    def __init__(
        self,
        function_name: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int | str,
        aws_request_id: str,
        log_group_name: str,
        log_stream_name: str,
        deadline: float,
        clock: Any,
        function_version: str = "$LATEST",
    ) -> None:
        self.aws_request_id = aws_request_id
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.function_name = function_name
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id: str | None = None
        self.client_context: Any = None
        self.identity = CognitoIdentity()
        self._deadline = deadline
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock.now) * 1000))

    def log(self, msg: object) -> None:
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


class ProcessState:
    """Applies one environment's variables at a time; restores the host's on ``release``."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}
        self._applied: dict[str, str] | None = None

    def apply(self, variables: dict[str, str], trace_header: str | None) -> None:
        environ = os.environ
        if variables is not self._applied:
            # Only the difference is written: environments of one function differ in one
            # variable (the log stream), and os.environ writes cost a putenv each.
            previous = self._applied or {}
            for key in previous.keys() - variables.keys():
                self._save(key)
                environ.pop(key, None)
            for key, value in variables.items():
                if previous.get(key) != value:
                    self._save(key)
                    environ[key] = value
            self._applied = variables
        self._save(TRACE_VAR)
        if trace_header:
            environ[TRACE_VAR] = trace_header
        else:
            environ.pop(TRACE_VAR, None)

    def _save(self, key: str) -> None:
        if key not in self._saved:
            self._saved[key] = os.environ.get(key)

    def release(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()
        self._applied = None


class Capture:
    """A file-like stdout/stderr that collects whole lines for the log stream."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._partial = ""

    def write(self, text: str) -> int:
        if "\n" in text:
            head, *middle, tail = (self._partial + text).split("\n")
            self.lines.append(head)
            self.lines.extend(middle)
            self._partial = tail
        else:
            self._partial += text
        return len(text)

    def flush(self) -> None:
        pass

    def close_lines(self) -> list[str]:
        if self._partial:
            self.lines.append(self._partial)
            self._partial = ""
        return self.lines


class Swap:
    """Swap stdout/stderr and boto3's default session for one invocation."""

    __slots__ = ("_session", "_stderr", "_stdout", "capture")

    def __init__(self, session: Any) -> None:
        self.capture = Capture()
        self._stdout = sys.stdout
        self._stderr = sys.stderr
        self._session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = session
        sys.stdout = sys.stderr = self.capture

    def restore(self) -> Any:
        """Put the host's streams and session back; return the environment's session."""
        session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = self._session
        sys.stdout, sys.stderr = self._stdout, self._stderr
        return session
