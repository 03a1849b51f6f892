"""The simulated Lambda runtime and event source mapping: batch item failures, throttling,
process isolation between execution environments and the host, the context object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _simkit import build_stack, function_resource, mapping_resource, queue_resource

from looplab.sim import Simulator


def write_handler(code_dir: Path, name: str, source: str) -> str:
    (code_dir / "fns").mkdir(exist_ok=True)
    (code_dir / "fns" / f"{name}.py").write_text(source)
    return f"fns/{name}.handler"


# -- ReportBatchItemFailures ----------------------------------------------------------------

# The handler answers with whatever the batch's first body asks for; "$ID<n>" stands for the
# message ID of record n, "$SELF" for every record whose body is marked "fail".
RBIF = """\
import json
def handler(event, context):
    records = event["Records"]
    plan = json.loads(records[0]["body"])["reply"]
    if plan == "raise":
        raise RuntimeError("boom")
    if plan == "failed-ones":
        return {"batchItemFailures": [
            {"itemIdentifier": r["messageId"]} for r in records
            if json.loads(r["body"]).get("fail")
        ]}
    text = json.dumps(plan)
    for i, r in enumerate(records):
        text = text.replace(f"$ID{i}", r["messageId"])
    return json.loads(text)
"""


def rbif_sim(tmp_path: Path, report: bool = True) -> Simulator:
    handler = write_handler(tmp_path, "rbif", RBIF)
    props = {"FunctionResponseTypes": ["ReportBatchItemFailures"]} if report else {}
    stack = build_stack(
        {
            "Q": queue_resource("rbif-q", VisibilityTimeout=30),
            "F": function_resource("rbif-fn", handler, {}),
            "M": mapping_resource("Q", "F", batch_size=3, Enabled=False, **props),
        },
        tmp_path,
    )
    return Simulator(stack, seed=0)


def run_batch(sim: Simulator, reply: object, extra: list[dict] | None = None) -> list[dict]:
    """Send one batch (first body carries the reply), run it once; the bodies left."""
    sim.send("Q", json.dumps({"reply": reply}))
    for body in extra or [{}, {}]:
        sim.send("Q", json.dumps(body))
    sim.set_mapping("M", True)
    sim.advance(5)  # less than the visibility timeout: one invocation
    assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 1
    return [json.loads(m.body) for m in sim.queues["Q"].messages.values()]


def test_batch_item_failures_delete_all_but_the_listed_ones(tmp_path: Path) -> None:
    with rbif_sim(tmp_path) as sim:
        left = run_batch(sim, "failed-ones", [{"fail": True}, {}])
        assert left == [{"fail": True}]


@pytest.mark.parametrize(
    "reply",
    [
        None,
        {},
        [],
        "ok",
        {"batchItemFailures": []},
        {"batchItemFailures": None},
    ],
)
def test_an_empty_or_absent_failure_list_is_complete_success(tmp_path: Path, reply) -> None:
    with rbif_sim(tmp_path) as sim:
        assert run_batch(sim, reply) == []


@pytest.mark.parametrize(
    "reply",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-a-message-id"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemidentifier": "$ID1"}]},  # a bad key name
        {"batchItemFailures": [{}]},
        {"batchItemFailures": ["$ID1"]},  # an entry that is not an object
        {"batchItemFailures": [{"itemIdentifier": "$ID1"}, None]},
        {"batchItemFailures": "$ID1"},  # not a list
        {"batchItemFailures": [{"itemIdentifier": 7}]},
    ],
)
def test_an_invalid_failure_list_fails_the_whole_batch(tmp_path: Path, reply) -> None:
    with rbif_sim(tmp_path) as sim:
        assert len(run_batch(sim, reply)) == 3
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 0  # the function succeeded


def test_a_function_error_fails_the_whole_batch(tmp_path: Path) -> None:
    with rbif_sim(tmp_path) as sim:
        assert len(run_batch(sim, "raise")) == 3
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 1


def test_without_report_batch_item_failures_the_response_is_ignored(tmp_path: Path) -> None:
    with rbif_sim(tmp_path, report=False) as sim:
        assert run_batch(sim, {"batchItemFailures": [{"itemIdentifier": "x"}]}) == []
