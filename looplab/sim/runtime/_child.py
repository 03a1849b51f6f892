"""The execution environments' side of the process runtime: a zygote and the Lambda runtime.

looplab runs this file as a script (``python -I -B _child.py FD``), never imports it: a
handler's process must hold nothing of looplab's, so this module uses only the standard
library and, in the zygote, botocore. The zygote imports boto3/botocore once and warms
botocore's SQS model, then forks one child per execution environment on request, so a
cold start costs a fork rather than ~350 ms of imports. Each child:

- dies with the zygote (``PR_SET_PDEATHSIG``), which dies with looplab: no orphans;
- holds exactly the environment variables looplab sends, its code directory first on
  ``sys.path`` and as its working directory, and ``RLIMIT_DATA`` = the function's
  MemorySize (``RLIMIT_AS`` cannot work: each thread reserves a 64 MB malloc arena);
- writes stdout/stderr (fd 1 and 2, so C code and ``os.write`` too) into a memory file
  that looplab reads into the log stream when the invocation ends;
- answers every botocore call through a ``before-call`` handler registered LAST (after
  botocore's ``add_recursion_detection_header``), which sends the call to looplab over a
  socket and returns looplab's reply as the HTTP response: no call reaches the network.

Wire format on both sockets: a 4-byte length, then a pickle (looplab unpickles with an
allow-list, see ``_wire.py``).

One file of ~500 lines, past the house limit on purpose: it is the whole of what a
handler's process runs besides the handler, read top to bottom as one script, and it
imports nothing of looplab's (a sibling module would sit on the handler's ``sys.path``
under a top-level name a function could shadow or import).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import io
import json
import os
import pickle
import resource
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any

_HEADER = struct.Struct("!I")
_to_json = json.dumps  # the runtime's own, bound before any handler can replace json.dumps
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

# The SDK a function may bundle. When its code directory holds any of them, the zygote's
# preloaded copies are dropped so the function's own SDK is the one imported (as on AWS,
# where the task root comes before the runtime's boto3 on sys.path).
_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


class Channel:
    """Length-prefixed pickles over a stream socket (the child trusts its parent)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def send(self, obj: Any) -> None:
        data = pickle.dumps(obj, 5)
        self.sock.sendall(_HEADER.pack(len(data)) + data)

    def recv(self) -> Any:
        buf = self.buf
        while True:
            if len(buf) >= 4:
                (size,) = _HEADER.unpack_from(buf)
                if len(buf) >= 4 + size:
                    data = bytes(buf[4 : 4 + size])
                    del buf[: 4 + size]
                    return pickle.loads(data)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("looplab closed the channel")
            buf += chunk


def _adopt_orphans() -> None:
    """Make this process the subreaper of everything forked below it (Linux only): a
    process that loses its parent is re-parented here instead of to init. Each
    environment is one, so what its handler forks and detaches stays in its subtree
    while it lives; the zygote is one, so those processes come to it when their
    environment dies, and it ends them (on AWS the whole sandbox goes)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        return


def _end_orphans(children: set[int]) -> None:
    """SIGKILL and reap every child of this zygote that is not an environment: the
    processes that handlers left behind when their environments ended (a live
    environment's stay its own: it is their subreaper)."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in children:
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(") ", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry), signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(entry), 0)


def _die_with_parent() -> None:
    """SIGKILL this process when its parent goes, even by ``kill -9`` (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the closed socket still ends us
        return


# -- the zygote --------------------------------------------------------------------------


_warm_loader: Any = None
_warm_session: Any = None  # boto3.DEFAULT_SESSION-to-be: made once, copied by each fork
_answering = [0.0]  # wall seconds looplab spent answering this environment's SDK calls


def _preload() -> None:
    """Import the SDK, read botocore's SQS model and make the session boto3.client()
    would make, once, for every child to inherit. A botocore session reads nothing of
    the environment until a client is made (config, credentials and region are lazy),
    so one made here is the same as one made in the child, minus ~30 ms of registering
    botocore's built-in handlers per cold start."""
    global _warm_loader, _warm_session
    import boto3
    import botocore.awsrequest
    import botocore.handlers
    import botocore.session

    session = botocore.session.Session()
    loader = session.get_component("data_loader")
    for name in ("sqs",):
        model = loader.load_service_model(name, "service-2")
        loader.load_service_model(name, "endpoint-rule-set-1")
        del model
    loader.load_data("endpoints")
    loader.load_data("partitions")
    loader.load_data("sdk-default-configuration")
    loader.load_data("_retry")
    _warm_loader = loader
    core = botocore.session.Session()
    core.register_component("data_loader", loader)
    _warm_session = boto3.Session(botocore_session=core)


def zygote(fd: int) -> None:
    # No PR_SET_PDEATHSIG here: it fires when the looplab THREAD that started the zygote
    # ends, which is not looplab ending. The socket's EOF is: the kernel closes looplab's
    # end however it dies, and then the zygote kills its children and exits (below).
    control = socket.socket(fileno=fd)
    # What a process on Lambda starts with, whatever looplab inherited: started in the
    # background (``&``), looplab ignores SIGINT and SIGQUIT, an exec keeps that, and
    # Python then leaves SIGINT ignored rather than raising KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    _adopt_orphans()
    _preload()
    _split_import_paths()
    # What the zygote holds is shared with every child copy-on-write; a child's garbage
    # collector walking those objects would copy their pages: keep them out of its sight.
    gc.collect()
    gc.freeze()
    children: set[int] = set()
    control.send(pickle.dumps(("ready", os.getpid())))
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
        except OSError:
            break
        if not data:
            break
        request = pickle.loads(data)
        if request[0] == "fork":
            pid = os.fork()
            if pid == 0:
                control.close()
                os._exit(_run_environment(fds, request[1]))
            for each in fds:
                os.close(each)
            children.add(pid)
            reply: tuple[Any, ...] = ("forked", pid)
        elif request[0] == "wait":
            pid = request[1]
            try:
                _, status = os.waitpid(pid, 0)  # looplab asks only after SIGKILL or EOF
            except ChildProcessError:
                status = -1
            children.discard(pid)
            _end_orphans(children)  # what that environment's handler left running
            reply = ("status", pid, status)
        else:
            reply = ("error", f"unknown request {request[0]!r}")
        control.send(pickle.dumps(reply))
    for pid in children:  # looplab is gone or closed us: so are its environments
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    _end_orphans(set())  # and whatever their handlers forked


# -- one execution environment -------------------------------------------------------------


class _Stream(io.TextIOBase):
    """sys.stdout and sys.stderr: whole lines written straight to fd 1 (the log pipe)."""

    def __init__(self) -> None:
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if "\n" in text:
            head, _, tail = (self._partial + text).rpartition("\n")
            os.write(1, (head + "\n").encode("utf-8", "backslashreplace"))
            self._partial = tail
        else:
            self._partial += text
        return len(text)

    def flush(self) -> None:
        if self._partial:
            os.write(1, (self._partial + "\n").encode("utf-8", "backslashreplace"))
            self._partial = ""


class LambdaContext:
    """The handler's ``context``, with awslambdaric's attributes. The remaining time counts
    on the invocation's virtual time: its start instant plus the handler's wall time so
    far, scaled by ``SimParams.handler_time_scale``; never the host's clock. The wall
    seconds looplab spent answering its SDK calls (sent back with each reply) are not the
    handler's: looplab's watchdog extends the deadline by them, so they are not counted."""

    def __init__(self, fields: dict[str, Any], invocation: dict[str, Any]) -> None:
        self.aws_request_id = invocation["request_id"]
        self.log_group_name = fields["log_group_name"]
        self.log_stream_name = fields["log_stream_name"]
        self.function_name = fields["function_name"]
        self.memory_limit_in_mb = str(fields["memory_limit_in_mb"])
        self.function_version = "$LATEST"
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.tenant_id: str | None = None
        self.client_context: Any = None
        self.identity = CognitoIdentity()
        self._deadline = invocation["deadline"]
        self._start = invocation["now"]
        self._scale = invocation["scale"]
        self._wall = time.monotonic()
        self._answered = _answering[0]

    def get_remaining_time_in_millis(self) -> int:
        own = time.monotonic() - self._wall - (_answering[0] - self._answered)
        now = self._start + own * self._scale
        return max(0, int((self._deadline - now) * 1000))

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


def _bundles_sdk(code_dir: str) -> bool:
    return any(
        os.path.isdir(os.path.join(code_dir, name))
        or os.path.isfile(os.path.join(code_dir, name + ".py"))
        for name in _SDK
    )


def _install_bridge(calls: Channel, session: Any = None) -> None:
    """botocore handlers, registered last, that send every call to looplab.

    ``before-parameter-build`` keeps the caller's parameters in the call's context (the
    Stubber's way); ``before-call`` runs after botocore's own recursion-detection handler
    put ``_X_AMZN_TRACE_ID`` into ``X-Amzn-Trace-Id``, so looplab sees the header AWS would.
    A broken channel raises: returning None would let botocore go to the network.
    """
    from botocore import handlers
    from botocore.awsrequest import AWSResponse

    lock = threading.Lock()

    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["looplab_params"] = params

    def answer(model: Any, params: dict[str, Any], **_: Any) -> Any:
        headers = params.get("headers") or {}
        trace = headers.get("X-Amzn-Trace-Id")
        if isinstance(trace, bytes):
            trace = trace.decode()
        api_params = (params.get("context") or {}).get("looplab_params") or {}
        # A streaming body (botocore makes PutObject's Body a BytesIO) goes as its bytes,
        # what botocore would have sent (the S3 service reads bytes).
        api_params = {k: v.read() if hasattr(v, "read") else v for k, v in api_params.items()}
        call = (model.service_model.service_name, model.name, api_params, trace)
        with lock:
            try:
                calls.send(("call", call))
            except (pickle.PicklingError, TypeError, AttributeError):
                # Parameters that do not pickle (a stream body): the simulator refuses the
                # call by its name, which it can do without them.
                calls.send(("call", (*call[:2], {}, call[3])))
            (status, parsed), spent = calls.recv()
            _answering[0] += spent
        return AWSResponse(None, status, {}, None), parsed

    def refuse(request: Any, **_: Any) -> Any:
        # Only reached if something took the call past ``answer``: never the network.
        raise RuntimeError(f"looplab: no network from a simulated environment ({request.url})")

    last = handlers.REGISTER_LAST
    bridge = [
        ("before-parameter-build", keep_params),
        ("before-call", answer),
        ("before-send", refuse),
    ]
    for event, handler in bridge:
        handlers.BUILTIN_HANDLERS.append((event, handler, last))  # every later session
        if session is not None:
            session.get_component("event_emitter").register_last(event, handler)


def _run_environment(fds: list[int], spec: dict[str, Any]) -> int:
    """The child's whole life; its exit status (a handler's ``sys.exit(3)`` ends the
    runtime with status 3, as on AWS, where awslambdaric does not catch SystemExit)."""
    try:
        _environment(fds, spec)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code & 0xFF
        print(code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
    return 0


class _RuntimeSdk:
    """The SDK the Lambda runtime ships (``/var/runtime``: boto3, botocore and what they
    need), found where the host installed it; nothing else of the host's packages is.
    Last on ``sys.meta_path``, so a function's own copy in its code directory wins."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if path is None and name in _SDK:  # top-level only: submodules follow __path__
            from importlib.machinery import PathFinder

            return PathFinder.find_spec(name, self.paths)
        return None


_import_paths: tuple[list[str], list[str]] = ([], [])  # (standard library, site-packages)


def _split_import_paths() -> None:
    """Once, in the zygote: which of its ``sys.path`` entries are the standard library and
    which the host's site-packages (every environment forked from it then only reads them)."""
    global _import_paths
    import sysconfig

    paths = sysconfig.get_paths()
    stdlib = {paths["stdlib"], paths["platstdlib"]}
    site = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    kept = [
        p
        for p in sys.path
        if p not in site
        and (p.endswith(".zip") or any(p == d or p.startswith(d + os.sep) for d in stdlib))
    ]
    _import_paths = (kept, site)


def _runtime_path(code_dir: str) -> None:
    """What a handler can import, as on Lambda: its code directory, the standard library
    and the runtime's SDK. Not the host's site-packages, an editable install's finder, or
    the directory of this script: a function that forgot to bundle a dependency fails
    here with Runtime.ImportModuleError, as it would on AWS."""
    from importlib.machinery import BuiltinImporter, FrozenImporter, PathFinder

    stdlib, site = _import_paths
    sys.path[:] = [code_dir, *stdlib]
    standard = (BuiltinImporter, FrozenImporter, PathFinder)
    sys.meta_path[:] = [f for f in sys.meta_path if f in standard]
    sys.meta_path.append(_RuntimeSdk(site))  # type: ignore[arg-type]
    sys.path_importer_cache.clear()


def _environment(fds: list[int], spec: dict[str, Any]) -> None:
    """A forked child: become the execution environment ``spec`` describes, then serve
    invocations until looplab kills it."""
    _die_with_parent()
    _adopt_orphans()  # not inherited through fork
    control_fd, calls_fd, log_fd = fds
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    control = Channel(socket.socket(fileno=control_fd))
    calls = Channel(socket.socket(fileno=calls_fd))
    sys.stdout = sys.stderr = _Stream()
    code_dir = spec["code_dir"]
    os.environ.clear()
    os.environ.update(spec["variables"])
    time.tzset()  # TZ=:UTC, read by the C library as a new process would
    os.chdir(code_dir)
    _runtime_path(code_dir)
    bundled = _bundles_sdk(code_dir)
    if bundled:
        for name in list(sys.modules):
            if name.split(".")[0] in _SDK:
                del sys.modules[name]
    importlib.invalidate_caches()
    if bundled:
        _install_bridge(calls)  # into the function's own botocore, before any session
    else:
        import boto3

        # The zygote's session, with its parsed models (read-only; re-reading them costs
        # ~40 ms per cold start and models nothing).
        _install_bridge(calls, _warm_session._session)
        boto3.DEFAULT_SESSION = _warm_session
    limit = spec["memory_mb"] << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    _serve(control, spec)


def _serve(control: Channel, spec: dict[str, Any]) -> None:
    handler = None
    # Lambda's response quota; looplab takes no larger control message (an error event
    # is cut to it: looplab would refuse the message whole).
    limit = spec["response_limit"]
    while True:
        invocation = control.recv()
        trace = invocation["trace"]
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            if handler is None:
                handler = _load(spec["handler"])
                sys.stdout.flush()
                control.send(("inited",))
            result = handler(invocation["event"], LambdaContext(spec["context"], invocation))
            try:
                payload = _to_json(result)  # ASCII (ensure_ascii): its length is its size
                reply: tuple[Any, ...] = (
                    ("done", "success", payload)
                    if len(payload) <= limit
                    else ("done", "error", spec["too_large"])
                )
            except (TypeError, ValueError) as exc:
                reply = (
                    "done",
                    "error",
                    _cut(f"[ERROR] Runtime.MarshalError: Unable to marshal response: {exc}", limit),
                )
        except MemoryError:
            sys.stdout.flush()
            control.send(("done", "oom", None, False))
            os._exit(137)
        except _RuntimeError as exc:
            # A failed init: Lambda resets the environment, the next invoke inits anew.
            sys.stdout.flush()
            event = f"[ERROR] {exc.error_type}: {exc}\nTraceback (most recent call last):"
            control.send(("done", "error", _cut(event, limit), False))
            os._exit(1)
        except Exception as exc:
            reply = ("done", "error", _cut(_error_event(exc), limit))
        sys.stdout.flush()
        control.send((*reply, True))


class _RuntimeError(Exception):
    """An error the runtime reports under its own type (``Runtime.ImportModuleError``)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _load(handler: str) -> Any:
    """The init phase: import the handler's module as awslambdaric does."""
    module_path, _, attr = handler.rpartition(".")
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except MemoryError:
        raise
    except Exception as exc:
        raise _RuntimeError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_path}': {exc}"
        ) from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise _RuntimeError(
            "Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_path}'"
        ) from exc


def _cut(event: str, limit: int) -> str:
    """``event`` in at most ``limit`` bytes of UTF-8."""
    if len(event) * 4 <= limit:
        return event
    data = event.encode("utf-8", "surrogatepass")
    return event if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _error_event(exc: BaseException) -> str:
    """The log event awslambdaric writes for a handler error: ``[ERROR] Type: message``,
    then the stack trace without the runtime's own frame, as ONE event."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]
    head = f"[ERROR] {type(exc).__name__}"
    message = str(exc)
    if message:
        head += f": {message}"
    stack = "".join(traceback.format_list(frames)).rstrip("\n")
    return f"{head}\nTraceback (most recent call last):" + (f"\n{stack}" if stack else "")


if __name__ == "__main__":
    zygote(int(sys.argv[1]))
