"""GetMetricData through a real boto3 client, answered by the simulator's CloudWatch api."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from _support.apiclient import api_client
from botocore.exceptions import ClientError

from looplab.sim.clock import Clock
from looplab.sim.params import SimParams
from looplab.sim.services.cloudwatch import CloudWatchApi
from looplab.sim.services.cloudwatch.store import Metrics

EPOCH = SimParams().epoch  # 2023-07-21 00:00 UTC: minute-aligned
DELAY = SimParams().metric_publication_delay
FN = "looplab-test-fn"
UUID = "0b7bd3a5-8f3e-5d0e-9a55-3a2f0f5b7c11"


class World:
    def __init__(self, **params: Any) -> None:
        self.params = SimParams().with_overrides(**params)
        self.metrics = Metrics(60, EPOCH)
        self.clock = Clock(EPOCH)
        self.client = api_client("cloudwatch", CloudWatchApi(self.metrics, self.clock, self.params))

    def at(self, seconds: float) -> World:
        self.clock.run_until(EPOCH + seconds)
        return self

    def get(self, *queries: dict[str, Any], start: float = 0, end: float = 3600, **kw: Any):
        return self.client.get_metric_data(
            MetricDataQueries=list(queries),
            StartTime=datetime.fromtimestamp(EPOCH + start, UTC),
            EndTime=datetime.fromtimestamp(EPOCH + end, UTC),
            **kw,
        )


def q(
    qid: str,
    metric: str = "Invocations",
    stat: str = "Sum",
    period: int = 60,
    namespace: str = "AWS/Lambda",
    dims: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    dims = {"FunctionName": FN} if dims is None else dims
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
            },
            "Period": period,
            "Stat": stat,
        },
        **extra,
    }


def series(result: dict[str, Any]) -> list[tuple[float, float]]:
    return [
        (t.timestamp() - EPOCH, v)
        for t, v in zip(result["Timestamps"], result["Values"], strict=True)
    ]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# -- lateness and sparsity ---------------------------------------------------------------


def test_a_datapoint_is_absent_until_the_publication_delay_after_its_minute_then_exact() -> None:
    world = World()
    for t in (5.0, 20.0, 59.9):  # three invocations in minute 0
        world.metrics.count(EPOCH + t, "AWS/Lambda", "Invocations", FN, "Queue")
    just_before = world.at(60 + DELAY - 0.001).get(q("inv"))
    (result,) = just_before["MetricDataResults"]
    assert result["Values"] == [] and result["StatusCode"] == "Complete"
    (result,) = world.at(60 + DELAY).get(q("inv"))["MetricDataResults"]
    assert series(result) == [(0.0, 3.0)]
    assert result["Label"] == "Invocations" and result["Id"] == "inv"


def test_the_publication_delay_is_a_parameter() -> None:
    world = World(metric_publication_delay=0.0)
    world.metrics.count(EPOCH + 1, "AWS/Lambda", "Errors", FN, "Queue")
    assert series(world.at(60).get(q("e", "Errors"))["MetricDataResults"][0]) == [(0.0, 1.0)]


def test_minutes_without_lambda_activity_have_no_datapoint() -> None:
    world = World()
    for minute in (0, 3):
        world.metrics.count(EPOCH + minute * 60 + 1, "AWS/Lambda", "Invocations", FN, "Queue")
    world.metrics.gauge(EPOCH + 1, "AWS/Lambda", "ConcurrentExecutions", FN, 2)
    world.at(3600)
    inv, conc = world.get(
        q("inv"), q("conc", "ConcurrentExecutions", "Maximum"), ScanBy="TimestampAscending"
    )["MetricDataResults"]
    assert series(inv) == [(0.0, 1.0), (180.0, 1.0)]
    assert series(conc) == [(0.0, 2.0)]


def test_an_active_sqs_queue_publishes_zeros_every_minute() -> None:
    world = World()
    for minute in range(4):  # the simulator samples every queue's depth once a minute
        world.metrics.gauge(
            EPOCH + minute * 60, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "q", 0
        )
    world.metrics.add(EPOCH + 70, "AWS/SQS", "NumberOfMessagesSent", "q")
    world.metrics.add(EPOCH + 80, "AWS/SQS", "NumberOfMessagesSent", "q")
    world.at(3600)
    dims = {"QueueName": "q"}
    sent, visible, age = world.get(
        q("sent", "NumberOfMessagesSent", namespace="AWS/SQS", dims=dims),
        q("vis", "ApproximateNumberOfMessagesVisible", "Maximum", namespace="AWS/SQS", dims=dims),
        q("age", "ApproximateAgeOfOldestMessage", "Maximum", namespace="AWS/SQS", dims=dims),
        ScanBy="TimestampAscending",
    )["MetricDataResults"]
    assert series(sent) == [(0.0, 0.0), (60.0, 2.0), (120.0, 0.0), (180.0, 0.0)]
    assert [v for _, v in series(visible)] == [0.0] * 4
    assert series(age) == []  # only reported while the queue holds a message


# -- statistics, periods, order, labels ----------------------------------------------------


def test_each_statistic_over_one_and_two_minute_periods() -> None:
    world = World()
    for t, ms in ((1, 10.0), (2, 30.0), (61, 50.0)):
        world.metrics.sample(EPOCH + t, "AWS/Lambda", "Duration", FN, ms)
    world.at(3600)
    stats = ("Sum", "SampleCount", "Average", "Minimum", "Maximum")
    one = world.get(*(q(s.lower(), "Duration", s) for s in stats), ScanBy="TimestampAscending")
    got = {r["Id"]: series(r) for r in one["MetricDataResults"]}
    assert got == {
        "sum": [(0.0, 40.0), (60.0, 50.0)],
        "samplecount": [(0.0, 2.0), (60.0, 1.0)],
        "average": [(0.0, 20.0), (60.0, 50.0)],
        "minimum": [(0.0, 10.0), (60.0, 50.0)],
        "maximum": [(0.0, 30.0), (60.0, 50.0)],
    }
    two = world.get(*(q(s.lower(), "Duration", s, period=120) for s in stats))
    got = {r["Id"]: series(r) for r in two["MetricDataResults"]}
    assert got == {
        "sum": [(0.0, 90.0)],
        "samplecount": [(0.0, 3.0)],
        "average": [(0.0, 30.0)],
        "minimum": [(0.0, 10.0)],
        "maximum": [(0.0, 50.0)],
    }


def test_counters_are_unit_samples_and_sqs_minutes_are_one_sample_each() -> None:
    world = World()
    for t in (1, 2, 3):
        world.metrics.count(EPOCH + t, "AWS/Lambda", "Invocations", FN, "Queue")
        world.metrics.add(EPOCH + t, "AWS/SQS", "NumberOfMessagesSent", "q")
    world.at(3600)
    sqs = {"QueueName": "q"}
    got = world.get(
        q("n", stat="SampleCount"),
        q("avg", stat="Average"),
        q("sqsn", "NumberOfMessagesSent", "SampleCount", namespace="AWS/SQS", dims=sqs),
        q("sqsavg", "NumberOfMessagesSent", "Average", namespace="AWS/SQS", dims=sqs),
    )
    assert [series(r) for r in got["MetricDataResults"]] == [
        [(0.0, 3.0)],
        [(0.0, 1.0)],
        [(0.0, 1.0)],
        [(0.0, 3.0)],
    ]


def test_start_time_rounds_down_to_the_minute_and_end_time_is_exclusive() -> None:
    world = World()
    for minute in range(5):
        world.metrics.count(EPOCH + minute * 60 + 1, "AWS/Lambda", "Invocations", FN, "Queue")
    world.at(3600)
    (result,) = world.get(q("inv"), start=75, end=240, ScanBy="TimestampAscending")[
        "MetricDataResults"
    ]
    assert [t for t, _ in series(result)] == [60.0, 120.0, 180.0]


def test_scan_by_orders_newest_first_by_default() -> None:
    world = World()
    for minute in range(3):
        world.metrics.count(EPOCH + minute * 60, "AWS/Lambda", "Invocations", FN, "Queue")
    world.at(3600)
    (default,) = world.get(q("inv"))["MetricDataResults"]
    assert [t for t, _ in series(default)] == [120.0, 60.0, 0.0]
    (ascending,) = world.get(q("inv"), ScanBy="TimestampAscending")["MetricDataResults"]
    assert [t for t, _ in series(ascending)] == [0.0, 60.0, 120.0]


def test_label_and_return_data() -> None:
    world = World().at(3600)
    results = world.get(q("a", Label="chain length"), q("b", ReturnData=False), q("c", "Errors"))
    assert [(r["Id"], r["Label"]) for r in results["MetricDataResults"]] == [
        ("a", "chain length"),
        ("c", "Errors"),
    ]


def test_dimensions_select_the_series_the_metric_is_published_under() -> None:
    world = World()
    world.metrics.add(EPOCH + 1, "AWS/Lambda", "PolledEventCount", UUID, 3)
    world.metrics.add(EPOCH + 2, "AWS/Lambda", "PolledEventCount", UUID, 1)
    world.metrics.count(EPOCH + 1, "AWS/Lambda", "Invocations", FN, "Queue")
    world.metrics.count(EPOCH + 1, "AWS/Lambda", "Invocations", "other-fn", "Queue")
    world.at(3600)
    by_uuid = {"EventSourceMappingUUID": UUID}
    got = world.get(
        q("polled", "PolledEventCount", dims=by_uuid),
        q("polledmax", "PolledEventCount", "Maximum", dims=by_uuid),
        q("polledn", "PolledEventCount", "SampleCount", dims=by_uuid),
        q("wrongdim", "PolledEventCount"),  # mapping metrics are not per function
        q("account", dims={}),  # Lambda's dimensionless account-level series
        q("unknown", dims={"FunctionName": "nope"}),
    )["MetricDataResults"]
    assert [series(r) for r in got] == [
        [(0.0, 4.0)],
        [(0.0, 3.0)],
        [(0.0, 2.0)],
        [],
        [(0.0, 2.0)],
        [],
    ]


def test_a_unit_other_than_the_metrics_own_selects_nothing() -> None:
    world = World()
    world.metrics.sample(EPOCH + 1, "AWS/Lambda", "Duration", FN, 12.5)
    world.at(3600)
    ms, seconds = world.get(
        _with_unit(q("ms", "Duration"), "Milliseconds"),
        _with_unit(q("s", "Duration"), "Seconds"),
    )["MetricDataResults"]
    assert series(ms) == [(0.0, 12.5)] and series(seconds) == []


def _with_unit(query: dict[str, Any], unit: str) -> dict[str, Any]:
    query["MetricStat"]["Unit"] = unit
    return query


# -- pagination ------------------------------------------------------------------------------


def _five_minutes_of_two_series(world: World) -> None:
    for minute in range(5):
        for _ in range(minute + 1):
            world.metrics.count(EPOCH + minute * 60 + 1, "AWS/Lambda", "Invocations", FN, "Queue")
        world.metrics.count(EPOCH + minute * 60 + 2, "AWS/Lambda", "Errors", FN, "Queue")
    world.at(3600)


def test_max_datapoints_pages_with_next_token_and_partial_data() -> None:
    world = World()
    _five_minutes_of_two_series(world)
    first = world.get(q("inv"), q("err", "Errors"), MaxDatapoints=3, ScanBy="TimestampAscending")
    inv, err = first["MetricDataResults"]
    assert series(inv) == [(0.0, 1.0), (60.0, 2.0), (120.0, 3.0)]
    assert inv["StatusCode"] == "PartialData" and err["StatusCode"] == "PartialData"
    assert err["Values"] == []
    pages = [first]
    while "NextToken" in pages[-1]:
        pages.append(
            world.get(
                q("inv"),
                q("err", "Errors"),
                MaxDatapoints=3,
                ScanBy="TimestampAscending",
                NextToken=pages[-1]["NextToken"],
            )
        )
    assert len(pages) == 4  # 10 datapoints, 3 a page
    joined: dict[str, list[tuple[float, float]]] = {"inv": [], "err": []}
    for page in pages:
        assert sum(len(r["Values"]) for r in page["MetricDataResults"]) <= 3
        for result in page["MetricDataResults"]:
            joined[result["Id"]] += series(result)
    assert joined == {
        "inv": [(m * 60.0, m + 1.0) for m in range(5)],
        "err": [(m * 60.0, 1.0) for m in range(5)],
    }
    assert [r["StatusCode"] for r in pages[-1]["MetricDataResults"]] == ["Complete", "Complete"]


def test_botocores_paginator_reads_every_page() -> None:
    world = World()
    _five_minutes_of_two_series(world)
    paginator = world.client.get_paginator("get_metric_data")
    values = []
    for page in paginator.paginate(
        MetricDataQueries=[q("inv")],
        StartTime=datetime.fromtimestamp(EPOCH, UTC),
        EndTime=datetime.fromtimestamp(EPOCH + 3600, UTC),
        MaxDatapoints=2,
    ):
        values += page["MetricDataResults"][0]["Values"]
    assert values == [5.0, 4.0, 3.0, 2.0, 1.0]


def test_pages_answer_as_of_the_first_page() -> None:
    world = World()
    _five_minutes_of_two_series(world)
    first = world.get(q("inv"), MaxDatapoints=2, ScanBy="TimestampAscending")
    # Minute 58 is not yet published at the first page (t = 3600 s); by 7200 s it is, but
    # not to this paged call.
    world.metrics.count(EPOCH + 3500, "AWS/Lambda", "Invocations", FN, "Queue")
    world.at(7200)
    rest = []
    token = first.get("NextToken")
    while token:
        page = world.get(q("inv"), MaxDatapoints=2, ScanBy="TimestampAscending", NextToken=token)
        rest += page["MetricDataResults"][0]["Values"]
        token = page.get("NextToken")
    assert rest == [3.0, 4.0, 5.0]
    fresh = world.get(q("inv"), ScanBy="TimestampAscending")["MetricDataResults"][0]
    assert fresh["Values"] == [1.0, 2.0, 3.0, 4.0, 5.0, 1.0]


def test_a_token_from_another_request_or_garbage_is_refused() -> None:
    world = World()
    _five_minutes_of_two_series(world)
    token = world.get(q("inv"), MaxDatapoints=1)["NextToken"]
    for bad in (token[:-4] + "AAAA", "not-a-token"):
        with pytest.raises(ClientError) as excinfo:
            world.get(q("inv"), MaxDatapoints=1, NextToken=bad)
        assert error_of(excinfo)[0] == "InvalidNextToken"
    with pytest.raises(ClientError) as excinfo:
        world.get(q("err", "Errors"), MaxDatapoints=1, NextToken=token)
    assert error_of(excinfo)[0] == "InvalidNextToken"


# -- limits and refusals ---------------------------------------------------------------------


def test_more_than_500_queries_is_refused_with_awss_error() -> None:
    world = World().at(3600)
    assert len(world.get(*(q(f"q{i}") for i in range(500)))["MetricDataResults"]) == 500
    with pytest.raises(ClientError) as excinfo:
        world.get(*(q(f"q{i}") for i in range(501)))
    assert error_of(excinfo) == (
        "ValidationError",
        "The collection MetricDataQueries must not have a size greater than 500.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_more_than_100800_datapoints_a_page_is_refused() -> None:
    world = World().at(3600)
    world.get(q("a"), MaxDatapoints=100_800)
    with pytest.raises(ClientError) as excinfo:
        world.get(q("a"), MaxDatapoints=100_801)
    code, message = error_of(excinfo)
    assert code == "ValidationError" and "100800" in message


@pytest.mark.parametrize(
    ("query", "code", "needle"),
    [
        (q("Upper"), "ValidationError", "MetricDataQueries.member.1.Id"),
        (q("a-b"), "ValidationError", "MetricDataQueries.member.1.Id"),
        (q("a", period=90), "ValidationError", "multiple of 60"),
        (q("a", period=10), "NotImplemented", "high-resolution"),
        (q("a", stat="p99"), "NotImplemented", "extended statistics"),
        (q("a", stat="Total"), "ValidationError", "Sum, SampleCount, Average"),
        ({"Id": "a", "Expression": "SUM(METRICS())"}, "NotImplemented", "metric math"),
        ({"Id": "a"}, "ValidationError", "MetricDataQueries.member.1.MetricStat is required"),
        (q("a", Label="${PROP('Dim.FunctionName')}"), "NotImplemented", "dynamic labels"),
    ],
)
def test_bad_or_unmodelled_queries_are_refused_saying_where(
    query: dict[str, Any], code: str, needle: str
) -> None:
    world = World().at(3600)
    with pytest.raises(ClientError) as excinfo:
        world.get(query)
    got_code, message = error_of(excinfo)
    assert got_code == code and needle in message


def test_duplicate_ids_and_empty_or_reversed_time_ranges_are_refused() -> None:
    world = World().at(3600)
    cases = [
        ((q("a"), q("a")), {}, "duplicate"),
        ((q("a"),), {"start": 60, "end": 60}, "must not equal"),
        ((q("a"),), {"start": 120, "end": 60}, "EndTime must be greater"),
        ((q("a"),), {"ScanBy": "Sideways"}, "enum value set"),
    ]
    for queries, kw, needle in cases:
        with pytest.raises(ClientError) as excinfo:
            world.get(*queries, **kw)
        code, message = error_of(excinfo)
        assert code == "ValidationError" and needle in message, message


def test_an_unmodelled_operation_names_service_and_operation() -> None:
    world = World()
    with pytest.raises(ClientError) as excinfo:
        world.client.list_metrics(Namespace="AWS/Lambda")
    code, message = error_of(excinfo)
    assert code == "NotImplemented" and "cloudwatch:ListMetrics" in message


def test_the_stores_series_carries_queue_depths_but_not_an_emptied_queues_age() -> None:
    # series() feeds the local backend's plots: a depth persists over quiet minutes, the
    # age of the oldest message does not outlive the message.
    metrics = Metrics(60, EPOCH)
    metrics.gauge(EPOCH, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "q", 3)
    metrics.gauge(EPOCH, "AWS/SQS", "ApproximateAgeOfOldestMessage", "q", 42)
    rows = [(m, t - EPOCH, v) for _, m, _, t, v in metrics.series(EPOCH, EPOCH + 120)]
    assert rows == [
        ("ApproximateAgeOfOldestMessage", 0.0, 42),
        ("ApproximateNumberOfMessagesVisible", 0.0, 3),
        ("ApproximateNumberOfMessagesVisible", 60.0, 3),
        ("ApproximateNumberOfMessagesVisible", 120.0, 3),
    ]
