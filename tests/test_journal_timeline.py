"""looplab.backends._timeline: log events in, one record per invocation out."""

from __future__ import annotations

from looplab.backends.base import FunctionLogEvent, invocations

ARN = "arn:aws:sqs:eu-central-1:123456789012:looplab-dev-dlq"


def ev(t: float, message: str, stream: str = "s1", function: str = "Fn") -> FunctionLogEvent:
    return FunctionLogEvent(t, stream, message, function)


def test_start_handler_lines_report_make_one_invocation() -> None:
    [record] = invocations(
        [
            ev(1.0, "START RequestId: r1 Version: $LATEST"),
            ev(1.1, f"Received counter 20 from {ARN}"),
            ev(1.1, "Sending count 21"),
            ev(1.2, "END RequestId: r1"),
            ev(1.2, "REPORT RequestId: r1\tDuration: 41.50 ms\tBilled Duration: 42 ms"),
        ]
    )
    assert (record.start, record.request_id, record.stream) == (1.0, "r1", "s1")
    assert (record.received, record.sent, record.source) == (20, 21, "looplab-dev-dlq")
    assert record.duration_ms == 41.5 and not record.error


def test_interleaved_streams_and_functions_stay_apart() -> None:
    events = [
        ev(1.0, "START RequestId: a Version: $LATEST", "s1"),
        ev(1.0, "START RequestId: b Version: $LATEST", "s2"),
        ev(1.0, "START RequestId: c Version: $LATEST", "s1", function="Other"),
        ev(1.1, "Sending count 7", "s2"),
        ev(1.1, "Sending count 6", "s1"),
        ev(1.2, "REPORT RequestId: b\tDuration: 1.00 ms", "s2"),
        ev(1.3, "REPORT RequestId: a\tDuration: 2.00 ms", "s1"),
    ]
    records = list(invocations(events))
    assert [(r.request_id, r.sent, r.function) for r in records] == [
        ("b", 7, "Fn"),
        ("a", 6, "Fn"),
        ("c", None, "Other"),  # no REPORT: still listed, duration unknown
    ]
    assert records[2].duration_ms is None


def test_errors_timeouts_and_lines_outside_an_invocation() -> None:
    events = [
        ev(0.5, "init-phase print, before any START"),
        ev(1.0, "START RequestId: e Version: $LATEST"),
        ev(1.1, "[ERROR] ValueError: boom"),
        ev(1.2, "REPORT RequestId: e\tDuration: 3.00 ms"),
        ev(2.0, "START RequestId: t Version: $LATEST"),
        ev(5.0, "2023-07-21T00:00:05Z t Task timed out after 3.00 seconds"),
        ev(5.0, "REPORT RequestId: t\tDuration: 3000.00 ms"),
        ev(6.0, "START RequestId: old Version: $LATEST"),
        ev(6.1, "Received counter 3"),  # the post's own line, without a source
        ev(7.0, "START RequestId: new Version: $LATEST"),  # old's REPORT never came
    ]
    records = list(invocations(events))
    assert [(r.request_id, r.error) for r in records] == [
        ("e", True),
        ("t", True),
        ("old", False),
        ("new", False),
    ]
    assert (records[2].received, records[2].source) == (3, None)
