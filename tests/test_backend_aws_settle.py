"""Per-service settle times: a CloudWatch figure is final only once it held longer than its
service's publishing can still change it (issue 21, "Late data read as final").

Lambda's metrics are published every minute, a few minutes late: 180 s of holding still
settles them. SNS's topic metrics were documented as pushed "every five minutes" (the SNS
developer guide before 2021; that page is still served) and since as "at 1-minute
intervals": until a real run measures it, an SNS figure that held 180 s can still change
when a five-minute push lands, so it settles only after longer. The replies here come from
a CloudWatch that publishes by the clock (tests/_support/aws_live.py).
"""

from __future__ import annotations

from typing import Any

from _support.aws_live import answer
from _support.aws_stubs import Aws
from _support.fakes import fake_record

from looplab.backends.aws import AwsParams

TOPIC = "LoopTopic"
TOPIC_ARN = "arn:aws:sns:eu-central-1:123456789012:looplab-unit-topic"
EVERY_READ = AwsParams(metric_refresh_seconds=0, log_refresh_seconds=0)


def with_topic() -> Aws:
    resources = dict(fake_record()["resources"])
    resources[TOPIC] = {"type": "AWS::SNS::Topic", "physicalId": TOPIC_ARN}
    return Aws(resources=resources)


class CloudWatch:
    """GetMetricData by the clock: ``values(t)`` is each query id's total at time t (one
    datapoint at the window's first minute carries it)."""

    def __init__(self, aws: Aws, values: Any) -> None:
        self.clock = aws.clock
        self.values = values
        self.asked = answer(aws, "cloudwatch", "GetMetricData", self._answer)

    def _answer(self, asked: dict[str, Any]) -> dict[str, Any]:
        now = self.values(self.clock.t)
        return {
            "MetricDataResults": [
                {
                    "Id": q["Id"],
                    "Timestamps": [asked["StartTime"]],
                    "Values": [float(now.get(q["Id"], 0))],
                    "StatusCode": "Complete",
                }
                for q in asked["MetricDataQueries"]
            ]
        }


def quiet_elsewhere(aws: Aws) -> None:
    """No log lines; every queue empty."""
    answer(aws, "logs", "FilterLogEvents", lambda _: {"events": []})
    attrs = {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
    }
    answer(aws, "sqs", "GetQueueAttributes", lambda _: {"Attributes": attrs})


def test_an_sns_figure_is_not_final_after_lambda_s_window() -> None:
    aws = with_topic()
    CloudWatch(aws, lambda t: {"f0_invocations": 1, "t0_published": 1})
    quiet_elsewhere(aws)
    backend = aws.backend(params=EVERY_READ)
    first_read = aws.clock.t
    since = first_read // 60 * 60  # on a minute: every minute read counts
    settled = {}
    for _ in range(8):  # a read a minute, the figures unchanged throughout
        obs = backend.observations(since)
        elapsed = aws.clock.t - first_read
        settled[elapsed] = (
            obs.provenance["invocations"].settled,
            obs.provenance["published"].settled,
        )
        aws.clock.sleep(60)
    assert settled[180] == (True, False)  # Lambda's figure final; SNS's not yet
    assert settled[300] == (True, False)  # a five-minute push may still land
    assert settled[420] == (True, True)


def test_settle_waits_for_an_sns_push_five_minutes_after_the_activity() -> None:
    aws = with_topic()
    start = aws.clock.t // 60 * 60
    # Published once at once; the second publish's datapoint lands with SNS's next push.
    CloudWatch(aws, lambda t: {"t0_published": 1 if t < start + 300 else 2})
    quiet_elsewhere(aws)
    backend = aws.backend()
    backend.observations(start)
    backend.settle()
    obs = backend.observations(start)
    assert obs.by_topic[TOPIC].published == 2
    assert "published" not in obs.pending()


def test_a_stack_without_a_topic_settles_in_lambda_s_time() -> None:
    aws = Aws()
    start = aws.clock.t // 60 * 60
    CloudWatch(aws, lambda t: {"f0_invocations": 16})
    quiet_elsewhere(aws)
    backend = aws.backend()
    backend.observations(start)
    backend.settle()
    assert not backend.observations(start).pending()
    # Lambda's window (180 s held) plus a refresh: not SNS's longer one.
    assert aws.clock.t - start < 300


def test_the_journal_s_settle_time_is_the_slowest_service_s() -> None:
    assert Aws().backend().metric_settle_seconds == AwsParams().metric_settle_seconds
    assert with_topic().backend().metric_settle_seconds == AwsParams().sns_metric_settle_seconds
