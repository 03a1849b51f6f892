"""Execution environments as child processes of the zygote (``_zygote.py``).

An environment's three channels (invocations, SDK calls, its stdout/stderr) are two
socketpairs and a memory file made here and handed to the zygote with SCM_RIGHTS; looplab
signals environments through pidfds (no PID reuse races) and asks the zygote, their
parent, for exit statuses. An invocation is a strict hand-off: looplab waits, with a
wall-clock deadline, while the handler runs, and answers its SDK calls meanwhile.

Just over 400 lines: the environment's handle and the invocation loop share its state;
what can stand alone is apart (the wire ``_wire.py``, bounds ``_bounds.py``, output
``_output.py``, the code copies ``_code.py``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import socket
import stat
import time
import weakref
from typing import Any

from looplab.sim.runtime import _tempdirs
from looplab.sim.runtime._affinity import NOWHERE, pin, unpin
from looplab.sim.runtime._bounds import RESPONSE_LIMIT, TOO_LARGE, decoded, value_problem
from looplab.sim.runtime._code import CodeViews
from looplab.sim.runtime._output import Output, punch
from looplab.sim.runtime._sdk import refuse_values
from looplab.sim.runtime._seam import Dispatch, EnvironmentSpec, Invocation, Outcome, Result
from looplab.sim.runtime._wire import Channel, ProtocolError, WireTimeout, call_of, control_of
from looplab.sim.runtime._zygote import RuntimeUnavailable, current_zygote, the_zygote

__all__ = ["ProcessRuntime", "RuntimeUnavailable"]

INIT_TIMEOUT = 10.0
"""Seconds the init phase may take. AWS documents it ("the Init phase is limited to 10
seconds"); past it, init is retried within the invoke and its timeout: this runtime ends
the invocation as timed out, which is where a hanging import ends on AWS too."""

# A control message: the runtime's response or error event (each at most RESPONSE_LIMIT)
# and the few bytes of the tuple around it.
_CONTROL_LIMIT = RESPONSE_LIMIT + (1 << 16)
_LOG_COMPACT = 1 << 20  # bytes of read output after which an environment's log restarts
_CHUNK = 1 << 16  # bytes of output read first (all of it, mostly): kept off the mmap path
_BULK = 1 << 20  # bytes read at a time past that: all looplab holds of it besides the kept
# Wall seconds between two reads of the output while a handler runs: how much of it the
# memory file holds is what a handler prints in this long (and while looplab reads), not
# in all. A wake-up every 50 ms of a long handler costs looplab ~0.3 % of a processor.
_OUTPUT_TICK = 0.05
_EXIT_GRACE = 1.0  # wall seconds an environment that closed its channels has to exit

_SIGNAL_WORDS = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGINT: "interrupt",
    signal.SIGBUS: "bus error",
}


class _Environment:
    """looplab's handle on one environment process."""

    __slots__ = (
        "__weakref__",
        "alive",
        "calls",
        "channels",
        "control",
        "cpu",
        "frozen",
        "hung_up",
        "inited",
        "log",
        "offset",
        "pid",
        "pidfd",
        "poll",
        "punched",
        "read_due",
    )

    def __init__(self, pid: int, control: Channel, calls: Channel, log: int) -> None:
        self.pid = pid
        self.pidfd = os.pidfd_open(pid)
        self.control = control
        self.calls = calls
        self.log = log  # a memfd the environment's fd 1 and 2 append to
        self.offset = 0  # how far looplab has read it
        self.read_due = 0.0  # when its output is read next, while an invocation runs
        self.punched = 0  # the read bytes below this no longer hold memory (_output.punch)
        self.alive = True
        self.cpu = NOWHERE  # the processor it was last moved to (_affinity.py)
        self.frozen = False
        self.hung_up = False  # it exited or closed a channel: nothing more will come
        self.inited = False
        self.channels = {control.sock.fileno(): control, calls.sock.fileno(): calls}
        self.poll = select.poll()
        # Its pidfd too: a process it forked may hold the sockets open after it exits,
        # so their EOF alone would not say that it ended.
        for fd in (control.sock.fileno(), calls.sock.fileno(), self.pidfd):
            self.poll.register(fd, select.POLLIN)

    def signal(self, signum: int) -> None:
        signal.pidfd_send_signal(self.pidfd, signum)

    def read(self, output: Output) -> None:
        """Feed ``output`` what the environment wrote since the last read: one small
        read, mostly; else in larger chunks up to where the file ended when it was found
        to hold more (a thread still writing cannot keep looplab here), freeing the
        pages of what was read as it goes (the environment may still write, so the file
        cannot start over: its read part is punched out)."""
        size, end = _CHUNK, -1
        while True:
            chunk = os.pread(self.log, size, self.offset)
            if chunk:
                output.feed(chunk)
                self.offset += len(chunk)
            if self.offset - self.punched > _LOG_COMPACT:
                self.punched = punch(self.log, self.offset)
            if len(chunk) < size:
                return
            if end < 0:
                end, size = os.fstat(self.log).st_size, _BULK
            if self.offset >= end:
                return


class ProcessRuntime:
    """The :class:`~looplab.sim.runtime.Runtime` looplab uses: one child process per
    execution environment.

    ``time_scale`` is ``SimParams.handler_time_scale`` (virtual seconds per wall second of
    handler code), ``wall_limit`` is ``SimParams.handler_wall_limit`` (the watchdog).
    """

    def __init__(self, time_scale: float, wall_limit: float) -> None:
        if time_scale <= 0:
            raise ValueError(f"handler_time_scale must be > 0, not {time_scale}")
        self.time_scale = time_scale
        self.wall_limit = wall_limit
        self._live: weakref.WeakSet[_Environment] = weakref.WeakSet()
        self._home: str | None = None
        self._code = CodeViews()  # the read-only copies of the code the handlers run

    def _home_dir(self) -> str:
        """An empty, read-only HOME: Lambda sets none, and without one Python would find
        the host's home (and its ~/.aws) through the password database."""
        if self._home is None:
            self._home = _tempdirs.make("home")
            os.chmod(self._home, stat.S_IRUSR | stat.S_IXUSR)
        return self._home

    def start(self, spec: EnvironmentSpec) -> _Environment:
        zygote = the_zygote()
        control, control_theirs = socket.socketpair()
        calls, calls_theirs = socket.socketpair()
        # Output goes to a memory file rather than a pipe: a write never blocks the
        # handler and never wakes looplab (a pipe woke it for every printed line);
        # looplab reads it when the invocation ends.
        log = os.memfd_create("looplab-environment-log", os.MFD_CLOEXEC)
        code_dir = str(self._code.view(spec.code_dir))
        variables = {**spec.variables, "HOME": self._home_dir()}
        if "LAMBDA_TASK_ROOT" in variables:
            variables["LAMBDA_TASK_ROOT"] = code_dir
        try:
            pid = zygote.fork(
                {
                    "variables": variables,
                    "code_dir": code_dir,
                    "handler": spec.handler,
                    "memory_mb": spec.memory_mb,
                    "context": spec.context,
                    "response_limit": RESPONSE_LIMIT,
                    "too_large": TOO_LARGE,
                },
                [control_theirs.fileno(), calls_theirs.fileno(), log],
            )
        except BaseException:
            for sock in (control, calls):
                sock.close()
            os.close(log)
            raise
        finally:
            control_theirs.close()
            calls_theirs.close()
        # No call can be larger than what the function's memory could hold, and no
        # control message than a response (the runtime sends no more, see _child.py).
        limit = max(spec.memory_mb, 16) << 20
        env = _Environment(pid, Channel(control, _CONTROL_LIMIT), Channel(calls, limit), log)
        self._live.add(env)
        return env

    def invoke(self, handle: Any, invocation: Invocation, dispatch: Dispatch) -> Result:
        env: _Environment = handle
        # Both sides on one processor while it runs: a hand-off is then a switch on the
        # spot rather than a cross-processor wake-up (_affinity.py).
        mask = None
        if env.alive:
            mask, env.cpu = pin(env.pid, env.cpu)
        try:
            return self._invoke(env, invocation, dispatch)
        except BaseException:
            self.stop(env)  # interrupted (Ctrl-C) or a fault of looplab's: never half-run
            raise
        finally:
            unpin(mask)

    def _invoke(self, env: _Environment, invocation: Invocation, dispatch: Dispatch) -> Result:
        if not env.alive:
            raise RuntimeError("invoke on a stopped environment")
        if env.frozen:
            env.signal(signal.SIGCONT)
            env.frozen = False
        scale = self.time_scale
        result = Result("error")
        output = Output(result.lines)
        try:
            env.control.send(
                {
                    "request_id": invocation.request_id,
                    "event": invocation.event,
                    "trace": invocation.trace,
                    "now": invocation.now,
                    "deadline": invocation.deadline,
                    "scale": scale,
                },
                time.monotonic() + self.wall_limit,
            )
        except OSError:  # it died before its invocation (at start, or while frozen)
            return self._dead(env, result, output, "exited")
        except WireTimeout:  # it stopped reading: as good as hung
            return self._dead(env, result, output, "timeout")
        budget = min((invocation.deadline - invocation.now) / scale, self.wall_limit)
        started = time.monotonic()
        env.read_due = started + _OUTPUT_TICK
        # The wall-clock watchdog: past ``limit`` the environment is killed, whatever it
        # does (a busy loop, signals ignored, a half-sent message).
        limit = started + (budget if env.inited else min(INIT_TIMEOUT / scale, self.wall_limit))
        dispatched = 0.0  # wall seconds looplab spent answering SDK calls: not the handler's
        try:
            while True:
                # One message at a time, then readiness again: what poll said before a
                # message was handled is stale after it (the process may have exited).
                if self._next(env, limit, output) is env.calls:
                    call = call_of(env.calls.take())
                    began = time.monotonic()
                    if (problem := value_problem(call, env.calls.limit)) is None:
                        reply = dispatch(*call)
                    else:  # answered as a service answers a body it cannot read
                        reply = refuse_values(call[0], call[1], problem)
                    spent = time.monotonic() - began
                    dispatched += spent
                    limit += spent
                    try:
                        # The spent time goes back: the child's remaining time skips it too.
                        env.calls.send((reply, spent), limit)
                    except OSError as exc:  # it exited while looplab answered
                        raise EOFError(str(exc)) from exc
                    continue
                message = control_of(env.control.take())
                now = time.monotonic()
                if message[0] == "inited":  # the handler's own time starts now
                    if env.inited:
                        # Only the runtime's init says so, once: a handler sending it
                        # again would restart its own deadline.
                        raise ProtocolError("'inited' after the init phase")
                    result.init_wall = now - started - dispatched
                    env.inited = True
                    started, dispatched, limit = now, 0.0, now + budget
                    continue
                result.wall = now - started - dispatched
                self._done(env, message, result, output)
                return result
        except WireTimeout:
            result.outcome = "timeout"
        except (pickle.UnpicklingError, ProtocolError) as exc:
            # The handler wrote to its own channels (they are its process's descriptors):
            # the environment broke the runtime's protocol, an error of this invocation.
            result.outcome = "exited"
            result.lines.append(f"[ERROR] Runtime.InvalidProtocol: {exc}")
        except EOFError:
            result.outcome = "exited"
            # Its channels closed as it exits: let it finish, so its own status is read
            # (a child that closed them and lives on is killed after the grace).
            select.select([env.pidfd], [], [], _EXIT_GRACE)
        result.wall = time.monotonic() - started - dispatched
        return self._dead(env, result, output, result.outcome)

    def _dead(self, env: _Environment, result: Result, output: Output, outcome: Outcome) -> Result:
        status = self._end(env)
        _collect(env, output, result)  # its last bytes: the writer is dead, so this ends
        self.stop(env)
        result.outcome, result.ended = outcome, True
        if outcome == "exited":
            result.exit_status = _describe(status)
        return result

    @staticmethod
    def _next(env: _Environment, limit: float, output: Output) -> Channel:
        """The channel that holds the next whole message: an SDK call first, then a
        control message; WireTimeout past ``limit``, EOFError once the environment is
        gone and has nothing more to say.

        Once its process exited (or it hung up a channel), only a control message it
        sent before that still counts: its last one ("done" out of memory, a failed
        init) says how it ended, which its exit status would not; a call of a process
        that is gone has nobody to answer. Everything it sent before it exited is in
        the socket by then, so a non-blocking read finds it, whatever poll reported
        with the exit (the pidfd alone, or all three at once).

        While it runs, its output is read every _OUTPUT_TICK.
        """
        while True:
            if env.hung_up:
                env.control.fill()
                if env.control.ready():
                    return env.control
                raise EOFError("the environment's process exited")
            if env.calls.ready():
                return env.calls
            if env.control.ready():
                return env.control
            now = time.monotonic()
            if now >= env.read_due:  # every tick while it runs, SDK calls or none
                env.read(output)
                env.read_due = now + _OUTPUT_TICK
            wait = limit - now
            if wait <= 0:
                raise WireTimeout
            events = env.poll.poll(int(min(wait, env.read_due - now) * 1000) + 1)
            for fd, _ in events:
                if fd == env.pidfd or not env.channels[fd].fill():
                    env.hung_up = True

    def _done(
        self, env: _Environment, message: tuple[Any, ...], result: Result, output: Output
    ) -> None:
        _, outcome, payload, keep = message
        result.outcome = outcome
        if outcome == "success":
            result.value, result.error_event = decoded(payload)
            if result.error_event is not None:
                result.outcome = "error"
        elif outcome == "error":
            result.error_event = payload
        _collect(env, output, result)
        if not keep:
            self.stop(env)  # it exits by itself; reaped here
            result.ended = True

    def freeze(self, handle: Any) -> None:
        """SIGSTOP, when something could run: a single-threaded environment is blocked
        reading its next invocation and runs nothing; sparing it two signals and a
        wake-up per invocation is most of a warm hop's overhead. The thread count is
        the kernel's (``/proc/<pid>/task`` links), not the handler's word."""
        env: _Environment = handle
        if env.alive and not env.frozen:
            try:
                threads = os.stat(f"/proc/{env.pid}/task").st_nlink - 2
            except OSError:
                threads = 2  # no procfs: freeze regardless
            if threads > 1:
                env.signal(signal.SIGSTOP)  # its file's read part was freed as it was read
                env.frozen = True
            elif env.offset > _LOG_COMPACT:
                # Read to the end, and nothing else of it can write now: start the memory
                # file over (its offset is shared with the environment's fd 1 and 2).
                os.lseek(env.log, 0, os.SEEK_SET)
                os.ftruncate(env.log, 0)
                env.offset = env.punched = 0

    def _end(self, env: _Environment) -> int:
        """Kill and reap; the exit status (as os.waitpid gives it)."""
        status = -1
        if env.alive:
            env.alive = False
            with contextlib.suppress(ProcessLookupError):
                env.signal(signal.SIGKILL)
            zygote = current_zygote()
            if zygote is not None and zygote.alive:
                with contextlib.suppress(RuntimeUnavailable):
                    status = zygote.wait(env.pid)
        return status

    def stop(self, handle: Any) -> None:
        env: _Environment = handle
        self._end(env)
        if env.pidfd >= 0:
            for close in (env.control.close, env.calls.close):
                close()
            os.close(env.log)
            os.close(env.pidfd)
            env.pidfd = -1
        self._live.discard(env)

    def close(self) -> None:
        for env in list(self._live):
            self.stop(env)
        self._code.close()
        if self._home is not None:
            _tempdirs.remove(self._home)
            self._home = None


def _collect(env: _Environment, output: Output, result: Result) -> None:
    """The rest of the invocation's output, and what was not kept of it, into ``result``."""
    env.read(output)
    output.end()
    result.dropped_bytes, result.dropped_lines = output.dropped_bytes, output.dropped_lines


def _describe(status: int) -> str:
    """As Lambda's runtime reports a process's end ("exit status 3", "signal: killed")."""
    if status < 0:
        return "signal: killed"
    code = os.waitstatus_to_exitcode(status)
    if code >= 0:
        return f"exit status {code}"
    word = _SIGNAL_WORDS.get(-code) or signal.Signals(-code).name
    return f"signal: {word}"
