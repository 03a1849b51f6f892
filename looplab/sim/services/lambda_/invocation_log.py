"""What an invocation leaves in its log stream and its reply, in Lambda's own words.

START, the handler's lines, END and REPORT (durations, billed duration, memory, init), the
lines Lambda adds when the runtime dies (out of memory, an exit) or the function times
out, and the error payload the Python runtime returns. Kept apart from execution.py,
which decides what happens to an invocation; this module only says how Lambda writes it,
so a format checked against CloudWatch's is changed in one place.
"""

from __future__ import annotations

import math
import time
from typing import Any

from looplab.sim.runtime import EVENT_LIMIT, OUTPUT_LIMIT, Result

__all__ = [
    "error_value",
    "iso",
    "log_events",
    "output_note",
    "runtime_exit_line",
    "timeout_line",
]


def runtime_exit_line(result: Result, request_id: str) -> str | None:
    """The line Lambda logs when the runtime process died under the handler, else None."""
    if result.outcome == "oom":
        return (
            f"RequestId: {request_id} Error: Runtime exited with error: signal: killed\n"
            "Runtime.OutOfMemory"
        )
    if result.outcome == "exited":
        return (
            f"RequestId: {request_id} Error: Runtime exited with error: "
            f"{result.exit_status}\nRuntime.ExitError"
        )
    return None


def output_note(result: Result) -> str | None:
    """The line that says what of the handler's output looplab did not keep (its own
    bound, not Lambda's: ``looplab.sim.runtime.OUTPUT_LIMIT``), else None."""
    if not result.dropped_bytes:
        return None
    return (
        f"[looplab] output not kept: {result.dropped_bytes:,} bytes in "
        f"{result.dropped_lines:,} lines past the first {OUTPUT_LIMIT:,} bytes of this "
        "invocation"
    )


def timeout_line(end: float, request_id: str, timeout: float) -> str:
    return f"{iso(end)} {request_id} Task timed out after {timeout:.2f} seconds"


def log_events(
    request_id: str,
    started: float,
    now: float,
    end: float,
    lines: list[str],
    *,
    duration: float,
    memory_size: int,
    init: float,
) -> list[tuple[float, str]]:
    """The invocation's log events, ``(time, message)``: START when it started, the
    handler's lines when it returned, END and REPORT when it ended; REPORT has an Init
    Duration only for the invocation that started its environment (``init`` > 0)."""
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration * 1000:.2f} ms\t"
        f"Billed Duration: {math.ceil(round(duration * 1000, 3))} ms\t"
        f"Memory Size: {memory_size} MB"
    )
    if init:
        report += f"\tInit Duration: {init * 1000:.2f} ms"
    return [
        (started, f"START RequestId: {request_id} Version: $LATEST"),
        *[
            (now, event)
            for line in lines
            # No longer than an event even in UTF-8: most lines, without a call.
            for event in ((line,) if len(line) * 4 <= EVENT_LIMIT else _events(line))
        ],
        (end, f"END RequestId: {request_id}"),
        (end, report),
    ]


def _events(line: str) -> list[str]:
    """``line`` as Lambda sends it to CloudWatch Logs: one event, or several of at most
    EVENT_LIMIT bytes (the handler's output is split so already; an error event, as
    long as the response quota, is split here)."""
    data = line.encode("utf-8", "surrogatepass")
    if len(data) <= EVENT_LIMIT:
        return [line]
    return [
        data[at : at + EVENT_LIMIT].decode("utf-8", "replace")
        for at in range(0, len(data), EVENT_LIMIT)
    ]


def error_value(result: Result, request_id: str, lines: list[str]) -> dict[str, Any]:
    """The response payload of a failed invocation, as the Python runtime returns it
    (errorMessage, errorType, requestId, stackTrace), from the error's one log event."""
    event = result.error_event or (lines[-1] if lines else "[ERROR] Runtime.Unknown")
    head, _, trace = event.partition("\n")
    kind, _, message = head.removeprefix("[ERROR] ").partition(": ")
    if " Task timed out after " in head:
        kind, message = "Sandbox.Timedout", head.split(" ", 2)[-1]
    frames = [line for line in trace.splitlines()[1:] if line.strip()]
    return {
        "errorMessage": message,
        "errorType": kind,
        "requestId": request_id,
        "stackTrace": frames,
    }


def iso(t: float) -> str:
    """``t`` (epoch seconds) as Lambda's log timestamps write it, to the millisecond."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
