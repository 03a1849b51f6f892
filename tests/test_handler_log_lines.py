"""The handler's log lines are data: a line no counter fits (Python refuses int() of more
than 4,300 digits) is not a counter, and never an error of the run (review finding: one
such print aborted the scenario, failed its cleanup and lost the timeline)."""

from __future__ import annotations

import json
from pathlib import Path

from _support.simkit import (
    build_stack,
    function_resource,
    mapping_resource,
    queue_resource,
    write_handler,
)

from looplab.backends._timeline import FunctionLogEvent, invocations
from looplab.backends.local import LocalBackend

HUGE = "9" * 5000


def test_a_counter_no_int_can_hold_is_not_read_as_one() -> None:
    lines = [
        "START RequestId: r1 Version: $LATEST",
        f"Received counter {HUGE} from arn:aws:sqs:eu-central-1:123456789012:q",
        f"Sending count {HUGE}",
        "END RequestId: r1",
        "REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB",
    ]
    events = [FunctionLogEvent(float(i), "s", line, "F") for i, line in enumerate(lines)]
    [record] = list(invocations(events))
    assert (record.received, record.sent) == (None, None)
    assert record.duration_ms == 1.0


LOUD = """\
def handler(event, context):
    print("Sending count " + "9" * 5000)
    print("Sending count 7")
    return 1
"""


def test_the_local_backend_reads_past_a_line_no_counter_fits(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "loud", LOUD)
    resources = {
        "Q": queue_resource("q"),
        "F": function_resource("loud", handler, {}),
        "M": mapping_resource("Q", "F"),
    }
    backend = LocalBackend(build_stack(resources, tmp_path), seed=0)
    try:
        backend.sim.send("Q", json.dumps({"counter": 0}))
        backend.sim.advance(5)
        observed = backend.observations()
    finally:
        backend.close()
    assert observed.counters_sent == [7]
