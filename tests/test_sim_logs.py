"""FilterLogEvents and DescribeLogStreams through a real boto3 client, answered by LogsApi."""

from __future__ import annotations

from typing import Any

import pytest
from _support.apiclient import api_client
from botocore.exceptions import ClientError

from looplab.sim.clock import Clock
from looplab.sim.params import SimParams
from looplab.sim.services.logs import LogsApi
from looplab.sim.services.logs.store import Logs

EPOCH = SimParams().epoch
DELAY = SimParams().log_ingestion_delay
GROUP = "/aws/lambda/looplab-test-fn"
S1 = "2023/07/21/[$LATEST]aaaa"
S2 = "2023/07/21/[$LATEST]bbbb"


class World:
    def __init__(self, chunk_events: int = 4, **params: Any) -> None:
        self.params = SimParams().with_overrides(**params)
        self.logs = Logs(
            [GROUP], region="eu-west-1", account="123456789012", chunk_events=chunk_events
        )
        self.clock = Clock(EPOCH)
        self.client = api_client("logs", LogsApi(self.logs, self.clock, self.params))

    def at(self, seconds: float) -> World:
        self.clock.run_until(EPOCH + seconds)
        return self

    def invocation(self, stream: str, t: float, *lines: str) -> None:
        """One invocation's events as the Lambda service writes them, at offset ``t``."""
        rid = f"req-{t:g}"
        self.logs.put_many(
            GROUP,
            stream,
            [
                (EPOCH + t, f"START RequestId: {rid} Version: $LATEST"),
                *[(EPOCH + t + 0.01, line) for line in lines],
                (EPOCH + t + 0.02, f"END RequestId: {rid}"),
                (EPOCH + t + 0.02, f"REPORT RequestId: {rid}\tDuration: 20.00 ms"),
            ],
        )

    def filter(self, **kw: Any) -> dict[str, Any]:
        kw.setdefault("logGroupName", GROUP)
        return self.client.filter_log_events(**kw)

    def all_pages(self, **kw: Any) -> list[dict[str, Any]]:
        pages = [self.filter(**kw)]
        while "nextToken" in pages[-1]:
            pages.append(self.filter(nextToken=pages[-1]["nextToken"], **kw))
        return pages


def messages(reply: dict[str, Any]) -> list[str]:
    return [e["message"] for e in reply["events"]]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_events_come_back_in_time_order_with_awss_fields() -> None:
    world = World()
    world.invocation(S1, 1.0, "Received counter 5", "Sending count 6")
    world.invocation(S2, 1.5, "Received counter 6", "Sending count 7")
    reply = world.at(60).filter()
    assert [(e["logStreamName"], e["timestamp"] - int(EPOCH * 1000)) for e in reply["events"]] == [
        (S1, 1000),
        (S1, 1010),
        (S1, 1010),
        (S1, 1020),
        (S1, 1020),
        (S2, 1500),
        (S2, 1510),
        (S2, 1510),
        (S2, 1520),
        (S2, 1520),
    ]
    first = reply["events"][0]
    assert first["ingestionTime"] == first["timestamp"] + int(DELAY * 1000)
    assert len({e["eventId"] for e in reply["events"]}) == 10
    assert reply["searchedLogStreams"] == [] and "nextToken" not in reply


def test_an_event_is_invisible_until_the_ingestion_delay_has_passed() -> None:
    world = World()
    world.invocation(S1, 10.0, "hello")
    assert messages(world.at(10 + DELAY - 0.001).filter()) == []
    assert messages(world.at(10 + DELAY).filter()) == ["START RequestId: req-10 Version: $LATEST"]
    assert len(world.at(10.02 + DELAY).filter()["events"]) == 4


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", 8),
        ("Sending", ["Sending count 6", "Sending count 7"]),
        ('"Sending count 7"', ["Sending count 7"]),
        ("sending", []),  # terms are case sensitive
        ("Sending 7", ["Sending count 7"]),  # several terms: all must match
        ("?START ?Sending", 4),  # ? alternatives: any
        ("RequestId -START -END", 2),  # - excludes
        ("%count [67]$%", ["Sending count 6", "Sending count 7"]),
        ('"tab\\"quote"', []),
    ],
)
def test_filter_patterns(pattern: str, expected: int | list[str]) -> None:
    world = World()
    world.invocation(S1, 1.0, "Sending count 6")
    world.invocation(S1, 2.0, "Sending count 7")
    got = messages(world.at(60).filter(filterPattern=pattern))
    if isinstance(expected, int):
        assert len(got) == expected
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("pattern", "code"),
    [
        ('{ $.level = "ERROR" }', "NotImplemented"),
        ("[ip, user]", "NotImplemented"),
        ("?a b", "NotImplemented"),
        ('"unterminated', "InvalidParameterException"),
        ("%(%", "InvalidParameterException"),
    ],
)
def test_unmodelled_or_broken_patterns_are_refused(pattern: str, code: str) -> None:
    world = World().at(60)
    with pytest.raises(ClientError) as excinfo:
        world.filter(filterPattern=pattern)
    assert error_of(excinfo)[0] == code


def test_time_range_is_inclusive_in_milliseconds_and_streams_narrow_it() -> None:
    world = World()
    for i in range(5):
        world.invocation(S1 if i % 2 else S2, float(i), f"line {i}")
    world.at(60)
    base = int(EPOCH * 1000)
    got = world.filter(startTime=base + 1010, endTime=base + 3010, filterPattern="line")
    assert messages(got) == ["line 1", "line 2", "line 3"]
    assert messages(world.filter(logStreamNames=[S1], filterPattern="line")) == ["line 1", "line 3"]
    got = world.filter(logStreamNamePrefix="2023/07/21/[$LATEST]b", filterPattern="line")
    assert messages(got) == ["line 0", "line 2", "line 4"]


def test_limit_pages_with_a_token_until_the_range_is_exhausted() -> None:
    world = World(chunk_events=1000)
    for i in range(7):
        world.invocation(S1, float(i), f"line {i}")
    pages = world.at(60).all_pages(filterPattern="line", limit=3)
    assert [messages(p) for p in pages] == [
        ["line 0", "line 1", "line 2"],
        ["line 3", "line 4", "line 5"],
        ["line 6"],
    ]


def test_a_page_can_be_empty_while_a_token_is_still_given() -> None:
    # One chunk (4 events) searched per call: the only match is in the last invocation.
    world = World(chunk_events=4, log_filter_scan_events=4)
    for i in range(6):
        world.invocation(S1, float(i), "needle" if i == 5 else "hay")
    pages = world.at(60).all_pages(filterPattern="needle")
    assert len(pages) > 2
    assert all(p["events"] == [] and "nextToken" in p for p in pages[:-2])
    assert [m for p in pages for m in messages(p)] == ["needle"]


def test_one_call_reads_a_bounded_slice_of_the_store_not_the_run(monkeypatch) -> None:
    world = World(chunk_events=4, log_filter_scan_events=8)
    for i in range(50):
        world.invocation(S1, float(i), f"line {i}")
    loads: list[int] = []
    real_load = world.logs.load
    monkeypatch.setattr(world.logs, "load", lambda chunk: loads.append(1) or real_load(chunk))
    world.at(600)
    pages = [world.filter(filterPattern="line")]
    assert len(loads) <= 3  # 200 events in 50 chunks; this call read two or three
    while "nextToken" in pages[-1]:
        pages.append(world.filter(filterPattern="line", nextToken=pages[-1]["nextToken"]))
    assert [m for p in pages for m in messages(p)] == [f"line {i}" for i in range(50)]


def test_chunks_that_overlap_in_time_still_come_back_in_time_order() -> None:
    # A long invocation written after a short one that started later: the store's write
    # order is not time order across chunks.
    world = World(chunk_events=2, log_filter_scan_events=2)
    world.logs.put_many(GROUP, S2, [(EPOCH + 5.0, "late-start b"), (EPOCH + 5.1, "b end")])
    world.logs.put_many(GROUP, S1, [(EPOCH + 1.0, "early a"), (EPOCH + 9.0, "a end")])
    world.logs.put_many(GROUP, S2, [(EPOCH + 3.0, "middle c"), (EPOCH + 4.0, "c end")])
    pages = world.at(60).all_pages()
    assert [m for p in pages for m in messages(p)] == [
        "early a",
        "middle c",
        "c end",
        "late-start b",
        "b end",
        "a end",
    ]


def test_group_by_arn_and_refusals_say_what() -> None:
    world = World()
    world.invocation(S1, 1.0, "x")
    world.at(60)
    arn = f"arn:aws:logs:eu-west-1:123456789012:log-group:{GROUP}:*"
    assert len(world.client.filter_log_events(logGroupIdentifier=arn)["events"]) == 4
    with pytest.raises(ClientError) as excinfo:
        world.filter(logGroupName="/aws/lambda/nope")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    with pytest.raises(ClientError) as excinfo:
        world.filter(logStreamNames=[S1], logStreamNamePrefix="2023")
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        world.filter(limit=10_001)
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        world.filter(nextToken="garbage")
    assert error_of(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        world.client.get_log_events(logGroupName=GROUP, logStreamName=S1)
    code, message = error_of(excinfo)
    assert code == "NotImplemented" and "logs:GetLogEvents" in message


def test_a_functions_group_exists_before_its_first_event_and_others_appear_on_write() -> None:
    world = World().at(60)
    assert world.filter()["events"] == []
    assert world.client.describe_log_streams(logGroupName=GROUP)["logStreams"] == []
    world.logs.put(EPOCH + 61, "/aws/lambda/created-on-write", S1, "hi")
    assert messages(world.at(120).filter(logGroupName="/aws/lambda/created-on-write")) == ["hi"]


# -- DescribeLogStreams ----------------------------------------------------------------------


def test_describe_log_streams_orders_pages_and_reports_times() -> None:
    world = World()
    world.invocation(S2, 1.0, "b1")
    world.invocation(S1, 2.0, "a1")
    world.invocation(S2, 30.0, "b2")
    world.at(60)
    describe = world.client.describe_log_streams
    streams = describe(logGroupName=GROUP)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [S1, S2]
    base = int(EPOCH * 1000)
    b = streams[1]
    assert (b["firstEventTimestamp"], b["lastEventTimestamp"]) == (base + 1000, base + 30020)
    assert b["lastIngestionTime"] == base + 30020 + int(DELAY * 1000)
    assert b["arn"] == f"arn:aws:logs:eu-west-1:123456789012:log-group:{GROUP}:log-stream:{S2}"
    by_time = describe(logGroupName=GROUP, orderBy="LastEventTime", descending=True)
    assert [s["logStreamName"] for s in by_time["logStreams"]] == [S2, S1]
    first = describe(logGroupName=GROUP, limit=1)
    assert [s["logStreamName"] for s in first["logStreams"]] == [S1]
    second = describe(logGroupName=GROUP, limit=1, nextToken=first["nextToken"])
    assert [s["logStreamName"] for s in second["logStreams"]] == [S2]
    assert "nextToken" not in second
    prefixed = describe(logGroupName=GROUP, logStreamNamePrefix="2023/07/21/[$LATEST]b")
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == [S2]
    with pytest.raises(ClientError) as excinfo:
        describe(logGroupName=GROUP, orderBy="LastEventTime", logStreamNamePrefix="2023")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
    )


def test_a_stream_and_its_last_event_appear_only_after_ingestion() -> None:
    world = World()
    world.invocation(S1, 10.0, "first")
    describe = world.client.describe_log_streams
    assert describe(logGroupName=GROUP)["logStreams"] == []
    world.at(10.02 + DELAY)
    world.invocation(S1, 20.0, "second")  # not yet ingested
    (stream,) = describe(logGroupName=GROUP)["logStreams"]
    assert stream["lastEventTimestamp"] == int((EPOCH + 10.02) * 1000)
    world.at(20.02 + DELAY)
    (stream,) = describe(logGroupName=GROUP)["logStreams"]
    assert stream["lastEventTimestamp"] == int((EPOCH + 20.02) * 1000)
