"""The seam between Lambda's model and whatever runs handler code: start / invoke / stop.

``LambdaService`` decides *when* and *with what* (the virtual clock, detection, metrics,
logs); a :class:`Runtime` decides *how* the code runs. The process runtime is the one
looplab ships; a test may put a fake behind the same four calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Outcome = Literal["success", "error", "timeout", "oom", "exited"]
"""How an invocation ended in its environment. Every one but success and error ends the
environment: the next invocation gets a new one (a cold start)."""

Dispatch = Callable[[str, str, dict[str, Any], str | None], tuple[int, dict[str, Any]]]
"""Answers one SDK call of a handler: (service, operation, unserialised params, trace
header) -> (HTTP status, botocore-parsed reply with ResponseMetadata)."""


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    """What an execution environment is made of (Lambda's CreateFunction, in effect)."""

    variables: dict[str, str]  # exactly Lambda's environment; nothing of the host's
    code_dir: Path
    handler: str  # "fns/module.function"
    memory_mb: int
    context: dict[str, Any]  # the context attributes fixed for the environment's life


@dataclass(frozen=True, slots=True)
class Invocation:
    """One invocation, at a virtual instant: ``now`` is when the handler starts and
    ``deadline`` when the function's Timeout ends, both virtual epoch seconds."""

    request_id: str
    event: dict[str, Any]
    trace: str | None
    now: float
    deadline: float


@dataclass(slots=True)
class Result:
    outcome: Outcome
    value: Any = None  # the handler's return value, through JSON as on AWS
    error_event: str | None = None  # the one log event an error writes
    lines: list[str] = field(default_factory=list)  # stdout/stderr, event by event
    dropped_bytes: int = 0  # output past what is kept of an invocation's (OUTPUT_LIMIT)
    dropped_lines: int = 0  # the lines those bytes made (or rests of one)
    wall: float = 0.0  # the handler's wall seconds (its SDK calls' dispatch not counted)
    init_wall: float = 0.0  # wall seconds of the init phase (cold start only)
    exit_status: str | None = None  # "exit status 3", "signal: killed" (outcome exited)
    ended: bool = False  # the environment is gone (always, unless success or error)


class Runtime(Protocol):
    def start(self, spec: EnvironmentSpec) -> Any:
        """A new execution environment (its handle); its init runs at its first invoke."""

    def invoke(self, handle: Any, invocation: Invocation, dispatch: Dispatch) -> Result:
        """Run one invocation to its end, its timeout, or its environment's death."""

    def freeze(self, handle: Any) -> None:
        """Between invocations: nothing of the environment runs."""

    def stop(self, handle: Any) -> None:
        """Reclaim the environment (idempotent)."""

    def close(self) -> None:
        """Stop every environment this runtime started."""
