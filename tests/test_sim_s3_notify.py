"""S3 bucket notifications to functions: event matching, key filters, the record S3 sends,
and the Lambda -> S3 -> Lambda loop that recursion detection stops (since October 2024)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import build_stack, function_resource, write_handler

from looplab.sim import Simulator
from looplab.sim.services.s3 import event_matches
from looplab.sim.trace import TraceHeader
from looplab.stack import Stack

pytestmark = pytest.mark.usefixtures("replies_match_botocore")

RECORDER = """\
import json

def handler(event, context):
    print("EVENT " + json.dumps(event))
"""

RELAY = """\
import json, os, re
from urllib.parse import unquote_plus
import boto3

s3 = boto3.client("s3")
OUT = os.environ.get("OUT_PREFIX", "loop/")


def handler(event, context):
    for record in event["Records"]:
        key = unquote_plus(record["s3"]["object"]["key"])
        n = int(re.search(r"(\\d+)\\.json$", key).group(1))
        print(f"Received counter {n} from {record['s3']['bucket']['arn']}")
        print(f"Sending count {n + 1}")
        s3.put_object(Bucket=os.environ["BUCKET"], Key=f"{OUT}{n + 1}.json", Body=b"{}")
"""


def notification(event: str, prefix: str = "", suffix: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"Event": event, "Function": {"Fn::GetAtt": ["F", "Arn"]}}
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    if rules:
        entry["Filter"] = {"S3Key": {"Rules": rules}}
    return entry


def bucket_stack(tmp_path: Path, source: str, *configs: dict[str, Any], **env: str) -> Stack:
    handler = write_handler(tmp_path, "fn", source)
    return build_stack(
        {
            "B": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": "bkt",
                    "NotificationConfiguration": {"LambdaConfigurations": list(configs)},
                },
            },
            "F": function_resource("fn", handler, {"BUCKET": "bkt", **env}),
        },
        tmp_path,
    )


def events_seen(sim: Simulator) -> list[dict[str, Any]]:
    return [
        json.loads(e.message.split("EVENT ", 1)[1])
        for e in sim.logs.events()
        if e.message.startswith("EVENT ")
    ]


def test_event_names_match_their_family_or_exactly() -> None:
    assert event_matches("s3:ObjectCreated:*", "ObjectCreated:Put")
    assert event_matches("s3:ObjectCreated:*", "ObjectCreated:Copy")
    assert event_matches("s3:ObjectCreated:Put", "ObjectCreated:Put")
    assert not event_matches("s3:ObjectCreated:Put", "ObjectCreated:Copy")
    assert not event_matches("s3:ObjectCreated:*", "ObjectRemoved:Delete")
    assert event_matches("s3:ObjectRemoved:*", "ObjectRemoved:Delete")
    assert event_matches("s3:ObjectRemoved:Delete", "ObjectRemoved:Delete")
    assert not event_matches("s3:ObjectRemoved:DeleteMarkerCreated", "ObjectRemoved:Delete")


def test_the_record_is_the_one_s3_sends(tmp_path: Path) -> None:
    stack = bucket_stack(tmp_path, RECORDER, notification("s3:ObjectCreated:*"))
    with Simulator(stack) as sim:
        sim.put_object("B", "dir/a b+c.json", b"12345")
        sim.advance(5)
        (event,) = events_seen(sim)
    (record,) = event["Records"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == stack.region
    assert record["eventTime"].endswith("Z")
    assert record["s3"]["s3SchemaVersion"] == "1.0"
    assert record["s3"]["bucket"]["name"] == "bkt"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::bkt"
    obj = record["s3"]["object"]
    # S3 URL-encodes the key in the event: a space as "+", a plus as "%2B".
    assert obj["key"] == "dir/a+b%2Bc.json"
    assert obj["size"] == 5
    assert obj["eTag"] == "827ccb0eea8a706c4c34a16891f84e7b"  # md5("12345"), unquoted
    assert obj["sequencer"]
    assert record["userIdentity"]["principalId"].startswith("AWS:")


def test_filters_and_event_kinds_choose_what_is_delivered(tmp_path: Path) -> None:
    stack = bucket_stack(
        tmp_path,
        RECORDER,
        notification("s3:ObjectCreated:Put", prefix="in/", suffix=".json"),
        notification("s3:ObjectCreated:Copy", prefix="copies/"),
        notification("s3:ObjectRemoved:*", prefix="in/"),
    )
    with Simulator(stack) as sim:
        s3 = sim.client("s3")
        s3.put_object(Bucket="bkt", Key="in/1.json", Body=b"{}")  # Put, in/ .json
        s3.put_object(Bucket="bkt", Key="in/2.txt", Body=b"{}")  # suffix misses
        s3.put_object(Bucket="bkt", Key="out/3.json", Body=b"{}")  # prefix misses
        s3.put_object(Bucket="bkt", Key="copies/4.json", Body=b"{}")  # a Put, not a Copy
        s3.copy_object(Bucket="bkt", Key="copies/5.json", CopySource="bkt/in/1.json")  # Copy
        s3.copy_object(Bucket="bkt", Key="in/6.json", CopySource="bkt/in/1.json")  # Copy, no
        s3.delete_object(Bucket="bkt", Key="in/2.txt")  # Removed, in/
        s3.delete_object(Bucket="bkt", Key="in/missing")  # nothing removed: no event
        s3.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "out/3.json"}]})  # out/
        sim.advance(5)
        seen = sorted(
            (r["eventName"], r["s3"]["object"]["key"])
            for e in events_seen(sim)
            for r in e["Records"]
        )
    assert seen == [
        ("ObjectCreated:Copy", "copies/5.json"),
        ("ObjectCreated:Put", "in/1.json"),
        ("ObjectRemoved:Delete", "in/2.txt"),
    ]


def test_a_delete_record_carries_no_size_or_etag(tmp_path: Path) -> None:
    stack = bucket_stack(tmp_path, RECORDER, notification("s3:ObjectRemoved:Delete"))
    with Simulator(stack) as sim:
        sim.put_object("B", "k", b"x")
        sim.client("s3").delete_object(Bucket="bkt", Key="k")
        sim.advance(5)
        ((record,),) = [e["Records"] for e in events_seen(sim)]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert set(record["s3"]["object"]) == {"key", "sequencer"}


def test_delivery_waits_the_notification_delay(tmp_path: Path) -> None:
    from looplab.sim.params import SimParams

    stack = bucket_stack(tmp_path, RECORDER, notification("s3:ObjectCreated:*"))
    params = SimParams().with_overrides(s3_notification_delay=(3.0, 3.0))
    with Simulator(stack, params=params) as sim:
        sim.put_object("B", "k", b"x")
        sim.advance(2.9)
        assert events_seen(sim) == []
        sim.advance(2)
        assert len(events_seen(sim)) == 1


def test_a_bucket_function_bucket_loop_stops_after_16_invocations(tmp_path: Path) -> None:
    stack = bucket_stack(
        tmp_path, RELAY, notification("s3:ObjectCreated:*", prefix="loop/", suffix=".json")
    )
    with Simulator(stack, seed=3) as sim:
        sim.put_object("B", "loop/0.json", b"{}")
        sim.advance(120)
        total = sim.metrics.total
        assert total("AWS/Lambda", "Invocations", 0) == 16
        assert total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 1
        keys = sorted(int(k[5:-5]) for k in sim.s3.buckets["bkt"].objects)
        # 0 from the experimenter, 1..16 from the 16 invocations; the 17th never ran.
        assert keys == list(range(17))
        received = [e.message for e in sim.logs.events() if e.message.startswith("Received")]
        assert received[0] == "Received counter 0 from arn:aws:s3:::bkt"
        assert len(received) == 16


def test_the_loop_runs_on_when_recursion_is_allowed(tmp_path: Path) -> None:
    stack = bucket_stack(
        tmp_path, RELAY, notification("s3:ObjectCreated:*", prefix="loop/", suffix=".json")
    )
    with Simulator(stack, seed=3) as sim:
        sim.set_recursion("F", "Allow")
        sim.put_object("B", "loop/0.json", b"{}")
        sim.advance(60)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) > 16
        assert sim.metrics.total("AWS/Lambda", "RecursiveInvocationsDropped", 0) == 0


def test_writes_outside_the_prefix_do_not_trigger(tmp_path: Path) -> None:
    stack = bucket_stack(
        tmp_path,
        RELAY,
        notification("s3:ObjectCreated:*", prefix="loop/", suffix=".json"),
        OUT_PREFIX="out/",
    )
    with Simulator(stack, seed=3) as sim:
        sim.put_object("B", "loop/0.json", b"{}")
        sim.advance(60)
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 1
        assert sorted(sim.s3.buckets["bkt"].objects) == ["loop/0.json", "out/1.json"]


def test_the_handlers_trace_header_reaches_the_next_invocation(tmp_path: Path) -> None:
    stack = bucket_stack(
        tmp_path, RELAY, notification("s3:ObjectCreated:*", prefix="loop/", suffix=".json")
    )
    with Simulator(stack, seed=3) as sim:
        submitted: list[str | None] = []
        original = sim.async_invoke.submit

        def spy(function: str, payload: dict, trace: str | None, source: str) -> str:
            submitted.append(trace)
            return original(function, payload, trace, source)

        sim.async_invoke.submit = spy  # type: ignore[method-assign]
        sim.put_object("B", "loop/0.json", b"{}")
        sim.advance(3)
    assert submitted[0] is None  # the experimenter's write starts the chain
    counts = [list(TraceHeader.parse(t).lineage.values()) for t in submitted[1:4]]  # type: ignore[union-attr]
    assert counts == [[1], [2], [3]]


def test_a_lambda_notification_is_not_refused(tmp_path: Path) -> None:
    from looplab.sim import refusals

    stack = bucket_stack(tmp_path, RECORDER, notification("s3:ObjectCreated:*"))
    assert refusals(stack) == []


READER = """\
import os
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    key = event["Records"][0]["s3"]["object"]["key"]
    if key.startswith("in/"):
        body = s3.get_object(Bucket=os.environ["BUCKET"], Key=key)["Body"]
        print("READ " + body.read().decode())
"""


def test_a_handler_reads_the_object_through_its_streaming_body(tmp_path: Path) -> None:
    stack = bucket_stack(tmp_path, READER, notification("s3:ObjectCreated:*", prefix="in/"))
    with Simulator(stack) as sim:
        sim.put_object("B", "in/x", "payload text")
        sim.advance(5)
        lines = [e.message for e in sim.logs.events() if e.message.startswith("READ ")]
    assert lines == ["READ payload text"]


def test_a_topic_notification_is_refused_by_its_path(tmp_path: Path) -> None:
    from looplab.sim import refusals

    template = {
        "Resources": {
            "T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}},
            "B": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "NotificationConfiguration": {
                        "TopicConfigurations": [
                            {"Event": "s3:ObjectCreated:*", "Topic": {"Ref": "T"}}
                        ]
                    }
                },
            },
        }
    }
    stack = Stack.from_template(template, code_dir=tmp_path, stage="test")
    found = [str(r) for r in refusals(stack)]
    path = "Resources.B.Properties.NotificationConfiguration.TopicConfigurations[0]"
    assert any(r.startswith(f"{path}: S3 topic notifications are not modelled") for r in found)
