"""Wall time and peak memory of the two simulator cases issue 11 measured (item 6).

- long retention: a 100,000-hop chain (protection off) on the repo's stack with SQS's
  default retention of 4 days (345,600 s), beside the same chain at 120 s;
- fan-out: one message in, two out, protection on: a binary tree that loop detection stops
  at depth 16, 65,535 invocations (2^16 - 1), on a queue of 4-day retention whose stopped
  messages go to a DLQ (maxReceiveCount 1). A mapping works the tree's backlog off as AWS
  scales it (5 batches, +300 a minute, up to 1,000).

Each case runs in a child process, so its peak resident memory (ru_maxrss) is its own.
Targets (issue 11): both under 100 MB, wall time not worse than before the fix.

Usage: python benchmarks/sim_fidelity.py [--hops N] [--case long-retention|fan-out|all]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from looplab.sim import Simulator  # noqa: E402
from looplab.stack import Stack, load_stack  # noqa: E402

FAN_OUT = """\
import json, os
import boto3

QUEUE_URL = os.environ["QUEUE_URL"]
_sqs = boto3.client("sqs")


def handler(event, context):
    for record in event["Records"]:
        depth = json.loads(record["body"])["depth"]
        body = json.dumps({"depth": depth + 1})
        _sqs.send_message_batch(
            QueueUrl=QUEUE_URL,
            Entries=[{"Id": "a", "MessageBody": body}, {"Id": "b", "MessageBody": body}],
        )
"""


def _run_out(sim: Simulator, step: float = 60.0, quiet_steps: int = 3) -> None:
    """Advance until nothing has been invoked or stopped for ``quiet_steps`` steps."""
    quiet, last = 0, -1.0
    while quiet < quiet_steps:
        sim.advance(step)
        total = sim.metrics.total("AWS/Lambda", "Invocations", 0) + sim.metrics.total(
            "AWS/Lambda", "RecursiveInvocationsDropped", 0
        )
        quiet = quiet + 1 if total == last else 0
        last = total


def long_retention(hops: int, retention: int) -> dict[str, float]:
    stack = load_stack(
        ROOT,
        stage="bench",
        params={
            "recursiveLoop": "Allow",
            "counterCap": str(hops),
            "retentionSeconds": str(retention),
        },
    )
    with Simulator(stack, seed=1) as sim:
        started = time.perf_counter()
        sim.send("Queue", json.dumps({"counter": 0}))
        while sim.clock.next_time() is not None and sim.now - sim.params.epoch < 2 * 86_400:
            sim.advance(600)
            if sim.metrics.total("AWS/Lambda", "Invocations", 0) > hops:
                break
        wall = time.perf_counter() - started
        return {"wall": wall, "invocations": sim.metrics.total("AWS/Lambda", "Invocations", 0)}


def fan_out_stack(code_dir: Path) -> Stack:
    (code_dir / "fan.py").write_text(FAN_OUT)
    template = {
        "Resources": {
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": "fan",
                    "VisibilityTimeout": 30,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                        "maxReceiveCount": 1,
                    },
                },
            },
            "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "fan-dlq"}},
            "Fan": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "fan",
                    "Handler": "fan.handler",
                    "Runtime": "python3.12",
                    "Timeout": 6,
                    "Environment": {"Variables": {"QUEUE_URL": {"Ref": "Queue"}}},
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "FunctionName": {"Ref": "Fan"},
                    "BatchSize": 1,
                },
            },
        }
    }
    return Stack.from_template(template, code_dir=code_dir, stage="bench")


def fan_out() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, Simulator(fan_out_stack(Path(tmp)), seed=1) as sim:
        started = time.perf_counter()
        sim.send("Queue", json.dumps({"depth": 0}))
        _run_out(sim)
        wall = time.perf_counter() - started
        total = sim.metrics.total
        return {
            "wall": wall,
            "invocations": total("AWS/Lambda", "Invocations", 0),
            "dropped": total("AWS/Lambda", "RecursiveInvocationsDropped", 0),
            "dlq": sim.queues["Dlq"].visible,
            "virtual": sim.now - sim.params.epoch,
        }


def child(case: str, hops: int, retention: int) -> None:
    result = fan_out() if case == "fan-out" else long_retention(hops, retention)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(case: str, hops: int, retention: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, str(hops), str(retention)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hops", type=int, default=100_000)
    parser.add_argument("--case", choices=["long-retention", "fan-out", "all"], default="all")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    if args.case in ("long-retention", "all"):
        for retention in (120, 345_600):
            r = measure("long-retention", args.hops, retention)
            print(
                f"chain, {args.hops:,} hops, retention {retention:,} s: {r['wall']:.1f} s wall, "
                f"{r['invocations']:,.0f} invocations, peak {r['peak_mb']:.0f} MB"
            )
    if args.case in ("fan-out", "all"):
        r = measure("fan-out", 0, 0)
        print(
            f"fan-out tree (1 in, 2 out, protection on): {r['wall']:.1f} s wall, "
            f"{r['invocations']:,.0f} invocations, {r['dropped']:,.0f} stopped, "
            f"{r['dlq']:,.0f} in the DLQ, {r['virtual']:,.0f} s simulated, "
            f"peak {r['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
