"""Lambda: execution environments, invocations and recursive loop detection.

Detection follows AWS's documented mechanism: the invocation's trace header carries a
Lineage; Lambda reads it before running the function, stops the invocation when the count
has reached the threshold and RecursiveLoop is Terminate, and otherwise runs the function
with the count + 1 in ``_X_AMZN_TRACE_ID``, from where botocore forwards it.

Reading of AWS's docs implemented here ("if a function is invoked approximately 16 times
in the same chain of requests, Lambda stops the next invocation"): the count is per
function per chain (``SimParams.lineage_per_function``). In a chain A -> Q2 -> B -> Q1 -> A
each function runs 16 times and the 17th invocation of A is stopped. A stopped invocation
adds to RecursiveInvocationsDropped, not to Invocations, and writes no log.
"""

from __future__ import annotations

import importlib.util
import math
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from types import ModuleType
from typing import Any

import boto3
import botocore.session

from looplab.sim.clock import Clock
from looplab.sim.context import LambdaContext, Process, ProcessState, Swap
from looplab.sim.ids import jitter, uuid
from looplab.sim.params import SimParams
from looplab.sim.signals import Logs, Metrics
from looplab.sim.trace import CHAIN_TAG, TraceHeader, function_tag
from looplab.stack import FunctionSpec

Outcome = str  # "success" | "error" | "dropped" | "throttled"
Done = Callable[[Outcome, Any], None]
EventSink = Callable[[str, str], None] | None


# What a Lambda Python process has in its environment besides the function's own and the
# reserved variables (python3.12 values). Nothing else of the host's environment is seen
# while handler code runs. LANG, PATH and TZ are not reserved: the function may set them.
_BASE_ENVIRONMENT = {
    "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
}


@dataclass(eq=False, slots=True)
class Environment:
    number: int
    stream: str
    process: Process  # its environment variables, sys.path and own modules
    module: ModuleType | None = None
    handler: Callable[[Any, Any], Any] | None = None
    session: Any = None  # its boto3.DEFAULT_SESSION, made inside it at its first run
    invocations: int = 0
    idle_since: float = 0.0

    @property
    def variables(self) -> dict[str, str]:
        return self.process.variables


@dataclass(eq=False)
class Function:
    spec: FunctionSpec
    recursive_loop: str
    tag: str
    log_group: str
    reserved_concurrency: int | None
    idle: list[Environment] = field(default_factory=list)
    environments: list[Environment] = field(default_factory=list)
    running: int = 0
    on_free: list[Callable[[], None]] = field(default_factory=list)

    @property
    def at_capacity(self) -> bool:
        return self.reserved_concurrency is not None and self.running >= self.reserved_concurrency


class LambdaService:
    def __init__(
        self,
        clock: Clock,
        rng: Random,
        params: SimParams,
        metrics: Metrics,
        logs: Logs,
        region: str,
        event: EventSink,
    ) -> None:
        self.clock = clock
        self.rng = rng
        self.params = params
        self.metrics = metrics
        self.logs = logs
        self.region = region
        self.event = event
        self.functions: dict[str, Function] = {}  # by logical ID
        self.process = ProcessState()
        self.current: Function | None = None  # the function whose code is running now
        self._env_counter = 0
        self._loader: Any = None

    def add_function(self, spec: FunctionSpec) -> Function:
        function = Function(
            spec=spec,
            recursive_loop=spec.recursive_loop,
            tag=function_tag(spec.arn) if self.params.lineage_per_function else CHAIN_TAG,
            log_group=f"/aws/lambda/{spec.name}",
            reserved_concurrency=spec.reserved_concurrency,
        )
        self.functions[spec.logical_id] = function
        return function

    # -- invoking ------------------------------------------------------------------------

    def invoke(
        self,
        function: Function,
        event: dict[str, Any],
        trace_raw: str | None,
        source: str,
        done: Done,
    ) -> None:
        """Invoke asynchronously on the virtual clock; ``done(outcome, result)`` follows."""
        now = self.clock.now
        name = function.spec.name
        incoming = TraceHeader.parse(trace_raw)
        count = incoming.lineage.get(function.tag, 0) if incoming else 0
        if count >= self.params.recursion_threshold and function.recursive_loop == "Terminate":
            self.metrics.count(now, "AWS/Lambda", "RecursiveInvocationsDropped", name, source)
            if self.event:
                self.event("drop", f"{function.spec.logical_id} from {source} lineage={count}")
            done("dropped", None)
            return
        if function.at_capacity:
            # Throttled: not counted in Invocations, no log; the caller keeps the event.
            self.metrics.count(now, "AWS/Lambda", "Throttles", name, source)
            if self.event:
                self.event("throttle", f"{function.spec.logical_id} from {source}")
            done("throttled", None)
            return
        base = incoming or TraceHeader.new_root(self.rng, now)
        lineage = dict(incoming.lineage) if incoming else {}
        lineage[function.tag] = count + 1
        trace = base.child(self.rng, lineage).format()

        idle = function.idle
        lifetime = self.params.environment_idle_lifetime
        if idle and lifetime is not None and now - idle[-1].idle_since > lifetime:
            # The most recently freed environment is past its idle lifetime, so are all
            # the others (freed earlier): reclaimed.
            if self.event:
                self.event("reclaim", f"{function.spec.logical_id} {len(idle)} environment(s)")
            idle.clear()
        cold = not idle
        env = idle.pop() if idle else self._new_environment(function)
        init = jitter(self.rng, self.params.init_duration) if cold else 0.0
        run_at = now + init + jitter(self.rng, self.params.call_offset)
        request_id = uuid(self.rng)
        if self.event:
            self.event(
                "invoke",
                f"{function.spec.logical_id} from {source} env={env.number} "
                f"lineage={count + 1} cold={int(cold)}",
            )
        function.running += 1
        self.metrics.gauge(now, "AWS/Lambda", "ConcurrentExecutions", name, function.running)
        self.clock.at(
            run_at, self._run, function, env, event, trace, source, request_id, now, init, done
        )

    def _run(
        self,
        function: Function,
        env: Environment,
        event: dict[str, Any],
        trace: str,
        source: str,
        request_id: str,
        started: float,
        init: float,
        done: Done,
    ) -> None:
        spec = function.spec
        swap = Swap(env.session)
        self.current = function
        outcome, result = "success", None
        error_event: str | None = None
        interrupted: BaseException | None = None
        context = LambdaContext(
            function_name=spec.name,
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=spec.memory_size,
            aws_request_id=request_id,
            log_group_name=function.log_group,
            log_stream_name=env.stream,
            deadline=started + init + spec.timeout,
            clock=self.clock,
        )
        try:
            self.process.enter(env.process, trace)
            if boto3.DEFAULT_SESSION is None:
                # Made here, with the environment's variables in place, so nothing of the
                # host's configuration (AWS_PROFILE, say) reaches it.
                boto3.DEFAULT_SESSION = self._fresh_session()
            if env.handler is None:
                self._load(function, env)
            assert env.handler is not None
            result = env.handler(event, context)
        except Exception as exc:
            outcome = "error"
            error_event = _error_event(exc)
        except SystemExit as exc:
            # sys.exit() in a handler ends the runtime process on AWS: an error, and the
            # environment is not reused.
            outcome = "error"
            print(
                f"RequestId: {request_id} Error: Runtime exited with error: exit status "
                f"{exc.code}\nRuntime.ExitError"
            )
            env.handler = None
        except BaseException as exc:
            # Ctrl-C or a signal while handler code runs: finish the bookkeeping (so the
            # simulation stays consistent for the scenario's cleanup), then let it through.
            outcome = "error"
            interrupted = exc
            print(f"[ERROR] invocation interrupted by {type(exc).__name__}")
        finally:
            env.session = swap.restore()
            self.process.leave(env.process)
            self.current = None
        lines = swap.capture.close_lines()
        if error_event is not None:
            lines.append(error_event)  # one event, newlines and all, as awslambdaric logs it
        end = self.clock.now + jitter(self.rng, self.params.tail_duration)
        duration = end - started - init
        self.metrics.sample(started, "AWS/Lambda", "Duration", spec.name, duration * 1000)
        # The function timeout bounds the invoke phase; the init phase is not counted.
        if duration > spec.timeout:
            outcome = "error"
            lines.append(
                f"{_iso(end)} {request_id} Task timed out after {spec.timeout:.2f} seconds"
            )
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration * 1000:.2f} ms\t"
            f"Billed Duration: {math.ceil(round(duration * 1000, 3))} ms\t"
            f"Memory Size: {spec.memory_size} MB"
        )
        if init:
            report += f"\tInit Duration: {init * 1000:.2f} ms"
        now = self.clock.now
        self.logs.put_many(
            function.log_group,
            env.stream,
            [
                (started, f"START RequestId: {request_id} Version: $LATEST"),
                *[(now, line) for line in lines],
                (end, f"END RequestId: {request_id}"),
                (end, report),
            ],
        )
        env.invocations += 1
        self.clock.at(end, self._finish, function, env, source, outcome, result, done, started)
        if interrupted is not None:
            raise interrupted

    def _finish(
        self,
        function: Function,
        env: Environment,
        source: str,
        outcome: Outcome,
        result: Any,
        done: Done,
        started: float,
    ) -> None:
        name = function.spec.name
        # Concurrency held until now (the periods the invocation spanned); it falls when
        # nothing runs, so the gauge is not carried into idle periods.
        self.metrics.gauge_span(
            started, self.clock.now, "AWS/Lambda", "ConcurrentExecutions", name, function.running
        )
        function.running -= 1
        if env.handler is not None:
            env.idle_since = self.clock.now
            function.idle.append(env)  # an environment that failed to init is discarded
        self.metrics.count(started, "AWS/Lambda", "Invocations", name, source)
        if outcome == "error":
            self.metrics.count(started, "AWS/Lambda", "Errors", name, source)
        if self.event:
            self.event("end", f"{function.spec.logical_id} {outcome}")
        done(outcome, result)
        for wake in function.on_free:
            wake()

    # -- environments --------------------------------------------------------------------

    def _new_environment(self, function: Function) -> Environment:
        self._env_counter += 1
        spec = function.spec
        day = _iso(self.clock.now)[:10].replace("-", "/")
        stream = f"{day}/[$LATEST]{self.rng.getrandbits(128):032x}"
        variables = {
            **_BASE_ENVIRONMENT,
            **spec.environment,
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            # Lambda hands the role's temporary credentials to the runtime this way.
            "AWS_ACCESS_KEY_ID": "ASIALOOPLABSIMULATOR",
            "AWS_SECRET_ACCESS_KEY": "looplab-simulator-secret",
            "AWS_SESSION_TOKEN": "looplab-simulator-token",
        }
        env = Environment(self._env_counter, stream, Process(variables, str(spec.code_dir)))
        function.environments.append(env)
        return env

    def _fresh_session(self) -> boto3.Session:
        """The new process's ``boto3.DEFAULT_SESSION``: its own session and clients, but
        botocore's parsed service models shared with every other environment (they are
        read-only; re-reading them costs ~40 ms per cold start and models nothing)."""
        core = botocore.session.Session()
        # Lambda has no shared config or credentials files: none of the host's are read.
        core.set_config_variable("config_file", os.devnull)
        core.set_config_variable("credentials_file", os.devnull)
        if self._loader is None:
            self._loader = core.get_component("data_loader")
        else:
            core.register_component("data_loader", self._loader)
        return boto3.Session(botocore_session=core)

    def _load(self, function: Function, env: Environment) -> None:
        """Cold start: import the handler module afresh, as a new process would."""
        spec = function.spec
        module_path, _, attr = spec.handler.rpartition(".")
        path = spec.code_dir / f"{module_path}.py"
        # The code directory is first on sys.path (the environment's own, see Process); the
        # sibling modules the import brings in become the environment's own on leave().
        try:
            loader_spec = importlib.util.spec_from_file_location(
                module_path.replace("/", "."), path
            )
            if loader_spec is None or loader_spec.loader is None or not path.is_file():
                raise ImportError(f"No module named '{module_path.replace('/', '.')}'")
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
            handler = getattr(module, attr)
        except Exception as exc:
            raise _RuntimeError(
                "Runtime.ImportModuleError", f"Unable to import module '{module_path}': {exc}"
            ) from exc
        env.module, env.handler = module, handler


class _RuntimeError(Exception):
    """An error the runtime reports under its own type (``Runtime.ImportModuleError``)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _error_event(exc: Exception) -> str:
    """The log event awslambdaric writes for a handler error: ``[ERROR] Type: message``,
    then the stack trace without the runtime's own frames, as ONE event."""
    if isinstance(exc, _RuntimeError):
        return f"[ERROR] {exc.error_type}: {exc}\nTraceback (most recent call last):"
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # the first frame is the runtime's
    head = f"[ERROR] {type(exc).__name__}"
    message = str(exc)
    if message:
        head += f": {message}"
    stack = "".join(traceback.format_list(frames)).rstrip("\n")
    return f"{head}\nTraceback (most recent call last):" + (f"\n{stack}" if stack else "")


def _iso(t: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
