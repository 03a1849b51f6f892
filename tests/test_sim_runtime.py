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


# -- the context object ---------------------------------------------------------------------

CONTEXT = """\
def handler(event, context):
    public = sorted(a for a in dir(context) if not a.startswith("_"))
    print("attrs", " ".join(public))
    print("memory", repr(context.memory_limit_in_mb))
    identity = context.identity
    print("identity", identity.cognito_identity_id, identity.cognito_identity_pool_id)
    print("none", context.client_context, context.tenant_id)
    print("names", context.function_name, context.function_version, context.log_group_name)
    print("ids", context.invoked_function_arn.endswith(":function:ctx-fn"),
          len(context.aws_request_id), context.log_stream_name.count("[$LATEST]"))
    print("remaining", 0 < context.get_remaining_time_in_millis() <= 6000)
    context.log("via log\\n")
    context.mine = 1  # an ordinary object, as awslambdaric's
"""


def test_the_context_object_has_awslambdaric_attributes(tmp_path: Path) -> None:
    handler = write_handler(tmp_path, "ctx", CONTEXT)
    stack = build_stack(
        {
            "Q": queue_resource("ctx-q"),
            "F": function_resource("ctx-fn", handler, {}, MemorySize=256),
            "M": mapping_resource("Q", "F"),
        },
        tmp_path,
    )
    with Simulator(stack, seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(5)
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 0
        lines = [e.message for e in sim.logs.events()][1:-2]  # between START and END
    assert lines == [
        "attrs aws_request_id client_context function_name function_version "
        "get_remaining_time_in_millis identity invoked_function_arn log log_group_name "
        "log_stream_name memory_limit_in_mb tenant_id",
        "memory '256'",
        "identity None None",
        "none None None",
        "names ctx-fn $LATEST /aws/lambda/ctx-fn",
        "ids True 36 1",
        "remaining True",
        "via log",
    ]
