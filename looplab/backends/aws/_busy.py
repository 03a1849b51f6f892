"""Retry what Lambda refuses because another operation on the resource is in progress.

Lambda answers ResourceConflictException ("another operation is in progress") while a
mapping is Creating/Updating/Enabling/Disabling and for concurrent updates of a function
(UpdateEventSourceMapping, PutFunctionConcurrency, DeleteFunctionConcurrency,
PutFunctionRecursionConfig all document it), and ResourceInUseException for a mapping
mid-transition. botocore's standard retry mode does not retry either (they are not
throttling or transient errors), so they are retried here, on the backend's clock, with
backoff and a bound (AwsParams.busy_*), and then fail naming the resource and the way out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from looplab.backends.aws._calls import AwsCallError, Calls
from looplab.backends.aws._clock import RealClock
from looplab.backends.aws._params import AwsParams

__all__ = ["BUSY_CODES", "Busy", "real_time"]

BUSY_CODES = frozenset({"ResourceConflictException", "ResourceInUseException"})


class Busy:
    """``call`` is ``Calls.__call__`` that waits out a busy resource (bounded)."""

    def __init__(
        self,
        calls: Calls,
        now: Callable[[], float],
        sleep: Callable[[float], None],
        params: AwsParams | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.calls = calls
        self.now = now
        self.sleep = sleep
        self.params = params or AwsParams()
        self.progress = progress

    def call(self, service: str, operation: str, resource: str, **kwargs: Any) -> Any:
        p = self.params
        start = self.now()
        delay = p.busy_first_delay
        while True:
            try:
                return self.calls(service, operation, resource, **kwargs)
            except AwsCallError as exc:
                if exc.code not in BUSY_CODES:
                    raise
                waited = self.now() - start
                if waited >= p.busy_timeout:
                    raise AwsCallError(
                        f"{exc}; {resource} was still busy with another operation after "
                        f"{waited:.0f} s of retries: check it in the Lambda console (a mapping "
                        "stuck in Updating, or someone else deploying), then run again; if "
                        f"the stack keeps invoking, run: invoke kill-switch --stage "
                        f"{self.calls.stage}",
                        exc.code,
                        exc.action,
                        exc.resource,
                    ) from exc
                pause = min(delay, p.busy_timeout - waited)
                if self.progress and waited + pause >= p.busy_progress_after:
                    self.progress(
                        f"{service}:{operation} on {resource}: busy ({exc.code}), "
                        f"retrying in {pause:.0f} s ({waited:.0f} s of {p.busy_timeout:.0f} s)"
                    )
                self.sleep(pause)
                delay = min(delay * 2, p.busy_max_delay)


def real_time(calls: Calls, busy: Busy | None = None) -> Busy:
    """``busy``, or one on the wall clock (the kill switch run from the command line)."""
    if busy is not None:
        return busy
    clock = RealClock()
    return Busy(calls, clock.now, clock.sleep)
