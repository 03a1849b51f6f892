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
from types import ModuleType
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


class Process:
    """What one execution environment's process has of its own: its exact environment
    variables (kept as ``os.environ`` holds them, encoded, so switching is a dict compare),
    the modules imported from its code, and its ``sys.path``."""

    __slots__ = ("code_root", "environ", "modules", "path")

    def __init__(self, variables: dict[str, str], code_root: str) -> None:
        encode_key, encode_value = os.environ.encodekey, os.environ.encodevalue
        self.environ: dict[Any, Any] = {
            encode_key(k): encode_value(v) for k, v in variables.items()
        }
        self.code_root = code_root
        self.modules: dict[str, ModuleType] = {}  # imported from code_root by this process
        self.path: list[str] | None = None  # sys.path, made at its first run

    @property
    def variables(self) -> dict[str, str]:
        decode_key, decode_value = os.environ.decodekey, os.environ.decodevalue
        return {decode_key(k): decode_value(v) for k, v in self.environ.items()}


class ProcessState:
    """Installs one environment's process at a time into this Python process, and the
    host's own state back on ``release``.

    ``enter`` installs the environment's exact variables (others removed), its sys.path
    (its code directory first) and the modules its code imported; ``leave`` keeps whatever
    its code changed (a handler's ``os.environ`` writes and new imports persist in its own
    process only). Switching is lazy: consecutive runs of one environment only set
    ``_X_AMZN_TRACE_ID``, as awslambdaric does per invocation, and the host's state comes
    back when the simulation pauses.
    """

    def __init__(self) -> None:
        self._current: Process | None = None
        self._host_environ: dict[Any, Any] = {}
        self._host_path: list[str] = []
        self._displaced: dict[str, ModuleType | None] = {}  # host entries a process covers
        self._known: set[str] = set()  # module names that are the host's or shared
        self._module_count = 0

    def enter(self, process: Process, trace_header: str | None) -> None:
        data = _environ_data()
        if process is not self._current:
            if self._current is None:
                self._host_environ = dict(data)
                self._host_path = sys.path[:]
                self._known = set(sys.modules)
            else:
                self._uninstall_code(self._current)
            self._current = process
            _install_environ(data, process.environ)
            self._install_code(process)
        elif data != process.environ:
            _install_environ(data, process.environ)  # changed since: put it back
        # awslambdaric sets the trace variable per invocation and removes it when absent.
        if trace_header:
            os.environ[TRACE_VAR] = trace_header
            process.environ[_TRACE_KEY] = data[_TRACE_KEY]
        elif _TRACE_KEY in data:
            del os.environ[TRACE_VAR]
            process.environ.pop(_TRACE_KEY, None)
        self._module_count = len(sys.modules)

    def leave(self, process: Process) -> None:
        """After the process's code ran: keep what it changed, in its own process."""
        data = _environ_data()
        if data != process.environ:
            process.environ = dict(data)
        if len(sys.modules) != self._module_count:
            self._adopt_modules(process)

    def release(self) -> None:
        """Put the host's exact environment, sys.path and modules back."""
        if self._current is None:
            return
        self._uninstall_code(self._current)
        self._current = None
        _install_environ(_environ_data(), self._host_environ)
        sys.path[:] = self._host_path
        self._host_environ, self._host_path, self._known = {}, [], set()

    def _install_code(self, process: Process) -> None:
        if process.path is None:
            process.path = [process.code_root, *self._host_path]
        sys.path[:] = process.path
        modules = sys.modules
        for name, module in process.modules.items():
            self._displaced[name] = modules.get(name)
            modules[name] = module

    def _uninstall_code(self, process: Process) -> None:
        process.path = sys.path[:]
        modules = sys.modules
        for name in process.modules:
            host = self._displaced.pop(name, None)
            if host is None:
                modules.pop(name, None)
            else:
                modules[name] = host
        sys.path[:] = self._host_path

    def _adopt_modules(self, process: Process) -> None:
        """New entries in sys.modules: those loaded from the process's code are its own
        (a sibling ``helper.py``), the rest (the standard library, site-packages) shared."""
        root = os.path.join(process.code_root, "")
        known, own = self._known, process.modules
        for name, module in list(sys.modules.items()):
            if name in known or name in own:
                continue
            if _loaded_from(module, root):
                own[name] = module
                self._displaced.setdefault(name, None)
            else:
                known.add(name)
        self._module_count = len(sys.modules)


def _environ_data() -> dict[Any, Any]:
    """The encoded mapping behind ``os.environ`` (CPython's ``_Environ._data``); each write
    through ``os.environ`` updates it and calls putenv, which ``_install_environ`` mirrors."""
    return os.environ._data  # type: ignore[attr-defined]


def _install_environ(data: dict[Any, Any], target: dict[Any, Any]) -> None:
    """Make the process environment exactly ``target``, writing only the differences."""
    if data == target:
        return
    for key in [k for k in data if k not in target]:
        os.unsetenv(key)
        del data[key]
    for key, value in target.items():
        if data.get(key) != value:
            os.putenv(key, value)
            data[key] = value


def _loaded_from(module: Any, root: str) -> bool:
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        return file.startswith(root)
    path = getattr(module, "__path__", None)  # a namespace package: no __file__
    try:
        return any(str(entry).startswith(root) for entry in path or ())
    except TypeError:
        return False


_TRACE_KEY = os.environ.encodekey(TRACE_VAR)


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
