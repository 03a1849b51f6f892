"""The seed post's loop, read back the way an experimenter reads AWS: CloudWatch and Logs.

A real simulated chain (the repo's serverless.yml and handler) runs; its metrics and logs
are then read only through boto3 clients answered by the CloudWatch and Logs apis, with
their lateness: the post's result (16 invocations, one stopped, counter 21 the last sent)
appears, in CloudWatch's shapes, once the publication delay has passed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from _support.simkit import repo_stack

from looplab.sim import Simulator


def _query(
    qid: str, namespace: str, metric: str, dimension: str, value: str, stat: str
) -> dict[str, Any]:
    return {
        "Id": qid,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": value}],
            },
            "Period": 300,
            "Stat": stat,
        },
    }


def test_the_posts_loop_read_through_cloudwatch_and_logs() -> None:
    stack = repo_stack()
    function = stack.functions["RecursiveLambdaFunction"].name
    queue = stack.queues["Queue"].name
    with Simulator(stack, seed=1) as sim:
        # Through the simulator's own service table, as the aws backend will call them.
        session = sim.session()
        cloudwatch, logs = session.client("cloudwatch"), session.client("logs")
        start = datetime.fromtimestamp(sim.now, UTC)

        def metrics() -> dict[str, list[float]]:
            def of_function(qid: str, metric: str, stat: str = "Sum") -> dict[str, Any]:
                return _query(qid, "AWS/Lambda", metric, "FunctionName", function, stat)

            reply = cloudwatch.get_metric_data(
                MetricDataQueries=[
                    of_function("invocations", "Invocations"),
                    of_function("dropped", "RecursiveInvocationsDropped"),
                    of_function("errors", "Errors"),
                    of_function("durations", "Duration", "SampleCount"),
                    _query("sent", "AWS/SQS", "NumberOfMessagesSent", "QueueName", queue, "Sum"),
                ],
                StartTime=start,
                EndTime=datetime.fromtimestamp(sim.now + 300, UTC),
            )
            return {r["Id"]: r["Values"] for r in reply["MetricDataResults"]}

        def sent_counters() -> list[int]:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=f"/aws/lambda/{function}", filterPattern='"Sending count"'
            )
            return [int(e["message"].split()[-1]) for page in pages for e in page["events"]]

        sim.send("Queue", json.dumps({"counter": 5}))
        sim.advance(5)
        # The chain is over in simulated seconds; CloudWatch has published nothing yet,
        # while the logs, seconds late, already tell the story.
        assert all(values == [] for values in metrics().values())
        assert sent_counters() == list(range(6, 22))

        sim.advance(240)  # past the end of minute 0 plus the publication delay
        assert metrics() == {
            "invocations": [16.0],
            "dropped": [1.0],
            "errors": [],  # no error: Lambda publishes no datapoint for a zero minute
            "durations": [16.0],
            "sent": [17.0],  # the seed and 16 sends: 6 .. 21
        }
        streams: list[Any] = logs.describe_log_streams(logGroupName=f"/aws/lambda/{function}")[
            "logStreams"
        ]
        assert len(streams) == 2  # two environments, as the post's two log streams
        starts = logs.filter_log_events(
            logGroupName=f"/aws/lambda/{function}", filterPattern="START"
        )["events"]
        assert len(starts) == 16  # the stopped 17th invocation wrote no log
