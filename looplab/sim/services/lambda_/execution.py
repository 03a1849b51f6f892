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

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from looplab.sim.bridge import Router
from looplab.sim.clock import Clock
from looplab.sim.ids import jitter, uuid
from looplab.sim.params import SimParams
from looplab.sim.runtime import EnvironmentSpec, Invocation, ProcessRuntime, Result, Runtime, route
from looplab.sim.services.cloudwatch import Metrics
from looplab.sim.services.lambda_.invocation_log import (
    error_value,
    iso,
    log_events,
    output_note,
    runtime_exit_line,
    timeout_line,
)
from looplab.sim.services.logs import Logs
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
    variables: dict[str, str]  # exactly what its process was started with
    process: Any = None  # the runtime's handle; None once reclaimed or dead
    invocations: int = 0
    idle_since: float = 0.0

    @property
    def reusable(self) -> bool:
        return self.process is not None


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
        self.current: Function | None = None  # the function whose code is running now
        self.router: Router | None = None  # answers the handlers' SDK calls (the simulator)
        self.runtime: Runtime = ProcessRuntime(params.handler_time_scale, params.handler_wall_limit)
        # Environments die with their simulator even when nobody calls close().
        self._finalizer = weakref.finalize(self, self.runtime.close)
        self._env_counter = 0

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
            for env in idle:
                self._stop(env)
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
        deadline = started + init + spec.timeout
        invocation = Invocation(request_id, event, trace, self.clock.now, deadline)
        interrupted: BaseException | None = None
        # A synchronous Invoke from handler code runs another function inside this one's
        # call: the caller is current again once it returns.
        caller, self.current = self.current, function
        try:
            result = self.runtime.invoke(env.process, invocation, self._dispatch)
        except BaseException as exc:
            # Ctrl-C while handler code runs (the runtime has ended the environment):
            # finish the bookkeeping, so the simulation stays consistent for the
            # scenario's cleanup, then let it through.
            interrupted = exc
            result = Result(
                "error",
                lines=[f"[ERROR] invocation interrupted by {type(exc).__name__}"],
                ended=True,
            )
        finally:
            self.current = caller
        if not result.ended and interrupted is None:
            self.runtime.freeze(env.process)  # no thread of it runs until its next invoke
        else:
            env.process = None  # dead: the next invocation gets a new environment
        outcome = "success" if result.outcome == "success" else "error"
        lines = result.lines
        if (note := output_note(result)) is not None:
            lines.append(note)  # after what was kept, before how it ended
        timed_out = result.outcome == "timeout"
        if result.error_event is not None:
            lines.append(result.error_event)  # one event, newlines and all, as awslambdaric
        elif (exit_line := runtime_exit_line(result, request_id)) is not None:
            lines.append(exit_line)
        now = self.clock.now
        end = now + self._handler_time(result.wall) + jitter(self.rng, self.params.tail_duration)
        duration = end - started - init
        self.metrics.sample(started, "AWS/Lambda", "Duration", spec.name, duration * 1000)
        # The function timeout bounds the invoke phase; the init phase is not counted.
        if timed_out or duration > spec.timeout:
            # On AWS the runtime is stopped at the deadline, whatever it was doing.
            outcome, timed_out = "error", True
            end = max(deadline, now)
            duration = end - started - init
            lines.append(timeout_line(end, request_id, spec.timeout))
        self.logs.put_many(
            function.log_group,
            env.stream,
            log_events(
                request_id,
                started,
                now,
                end,
                lines,
                duration=duration,
                memory_size=spec.memory_size,
                init=init,
            ),
        )
        env.invocations += 1
        value = result.value if outcome == "success" else error_value(result, request_id, lines)
        self.clock.at(end, self._finish, function, env, source, outcome, value, done, started)
        if interrupted is not None:
            raise interrupted

    def _handler_time(self, wall: float) -> float:
        """Virtual seconds the handler's own wall time adds (SimParams.handler_time_*)."""
        quantum = self.params.handler_time_quantum
        if quantum is None:
            return 0.0
        return math.floor(wall * self.params.handler_time_scale / quantum) * quantum

    def _dispatch(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        trace: str | None,
    ) -> tuple[int, dict[str, Any]]:
        if self.router is None:
            raise RuntimeError("LambdaService.router is not set: nothing answers SDK calls")
        return route(self.router, service, operation, params, trace)

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
        if env.reusable:
            env.idle_since = self.clock.now
            function.idle.append(env)  # an environment that died is never reused
        self.metrics.count(started, "AWS/Lambda", "Invocations", name, source)
        if outcome == "error":
            self.metrics.count(started, "AWS/Lambda", "Errors", name, source)
        if self.event:
            self.event("end", f"{function.spec.logical_id} {outcome}")
        done(outcome, result)
        for wake in function.on_free:
            wake()

    # -- synchronous invocation (Invoke RequestResponse) --------------------------------

    def invoke_sync(
        self, function: Function, event: dict[str, Any], trace_raw: str | None, source: str
    ) -> tuple[Outcome, Any]:
        """Invoke and wait: the clock runs (other events included, as time passes for
        everyone while the caller waits) until this invocation has finished."""
        finished: list[tuple[Outcome, Any]] = []
        self.invoke(function, event, trace_raw, source, lambda o, r: finished.append((o, r)))
        while not finished:
            when = self.clock.next_time()
            if when is None:  # pragma: no cover - an invocation always schedules its end
                raise RuntimeError(f"synchronous invoke of {function.spec.name} never ended")
            self.clock.run_until(when)
        return finished[0]

    # -- environments --------------------------------------------------------------------

    def _new_environment(self, function: Function) -> Environment:
        self._env_counter += 1
        spec = function.spec
        day = iso(self.clock.now)[:10].replace("-", "/")
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
        env = Environment(self._env_counter, stream, variables)
        env.process = self.runtime.start(
            EnvironmentSpec(
                variables=variables,
                code_dir=spec.code_dir,
                handler=spec.handler,
                memory_mb=spec.memory_size,
                context={
                    "function_name": spec.name,
                    "invoked_function_arn": spec.arn,
                    "memory_limit_in_mb": spec.memory_size,
                    "log_group_name": function.log_group,
                    "log_stream_name": stream,
                },
            )
        )
        function.environments.append(env)
        return env

    def _stop(self, env: Environment) -> None:
        if env.process is not None:
            self.runtime.stop(env.process)
            env.process = None

    def close(self) -> None:
        """Stop every environment: no process of a handler outlives its simulator."""
        self._finalizer()
