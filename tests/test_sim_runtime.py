"""The simulated Lambda runtime and event source mapping: batch item failures, throttling,
process isolation between execution environments and the host, the context object."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from _support.simkit import (
    build_stack,
    function_resource,
    mapping_resource,
    one_function_stack,
    queue_resource,
    write_handler,
)

from looplab.sim import Simulator

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
    stack = one_function_stack(
        tmp_path,
        handler,
        "rbif",
        queue=dict(VisibilityTimeout=30),
        mapping=dict(batch_size=3, Enabled=False, **props),
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
    stack = one_function_stack(tmp_path, handler, "ctx", function=dict(MemorySize=256))
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


# -- each environment is its own process ----------------------------------------------------

ENVIRON = """\
import json, os, sys
import boto3

OUT = os.environ.get("OUT")
print("import", json.dumps(sorted(os.environ)))
print("import host", os.environ.get("LOOPLAB_HOST_ONLY"), os.environ.get("AWS_PROFILE"))
sqs = boto3.client("sqs")


def handler(event, context):
    mine = os.environ.setdefault("FIRST_STREAM", context.log_stream_name)
    os.environ["SET_BY_" + os.environ["AWS_LAMBDA_FUNCTION_NAME"].upper()] = "1"
    print("own", mine == context.log_stream_name, sorted(k for k in os.environ if "SET_BY" in k))
    print("tz", os.environ["TZ"], os.environ["LANG"], os.environ["LAMBDA_RUNTIME_DIR"],
          os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"])
    if OUT:
        sqs.send_message(QueueUrl=OUT, MessageBody="{}")
"""


def environ_stack(tmp_path: Path):
    handler = write_handler(tmp_path, "environ", ENVIRON)
    return build_stack(
        {
            "Q": queue_resource("env-q"),
            "Q2": queue_resource("env-q2"),
            "A": function_resource("a", handler, {"OUT": {"Ref": "Q2"}}),
            "B": function_resource("b", handler, {"FN_VAR": "x"}),
            "MA": mapping_resource("Q", "A"),
            "MB": mapping_resource("Q2", "B"),
        },
        tmp_path,
    )


def log(sim: Simulator, prefix: str) -> list[str]:
    return [e.message for e in sim.logs.events() if e.message.startswith(prefix)]


def test_handler_environment_changes_stay_in_its_own_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOPLAB_HOST_ONLY", "host")
    before = dict(os.environ)
    with Simulator(environ_stack(tmp_path), seed=0) as sim:
        sim.send("Q", "{}", count=2)  # two environments of A, each sending to B
        sim.advance(5)
        assert dict(os.environ) == before  # nothing of the handlers' reached the host
        sim.send("Q", "{}")  # a warm environment of A
        sim.advance(5)
        assert dict(os.environ) == before
        own = log(sim, "own ")
        assert sorted(own) == sorted(["own True ['SET_BY_A']"] * 3 + ["own True ['SET_BY_B']"] * 3)
        assert len(sim.functions["A"].environments) == 2


def test_handlers_see_lambdas_environment_and_nothing_of_the_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOPLAB_HOST_ONLY", "host")
    monkeypatch.setenv("AWS_PROFILE", "looplab-no-such-profile")  # would crash a session
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with Simulator(environ_stack(tmp_path), seed=0) as sim:
        sim.send("Q", "{}")
        sim.advance(5)
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 0
        assert sim.metrics.total("AWS/Lambda", "Invocations", 0) == 2  # A sent to B
        assert log(sim, "import host") == ["import host None None"] * 2
        assert log(sim, "tz ") == ["tz :UTC en_US.UTF-8 /var/runtime on-demand"] * 2
        b_names = json.loads(log(sim, "import [")[1][len("import ") :])
    assert b_names == sorted(
        [
            "PATH", "LANG", "TZ", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_INITIALIZATION_TYPE",
            "FN_VAR", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME",
            "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_REGION", "AWS_DEFAULT_REGION",
            "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "_X_AMZN_TRACE_ID",
            # Lambda sets no HOME; without one, Python finds the host's home (and its
            # ~/.aws) through the password database, so an empty one is set instead.
            "HOME",
        ]
    )  # fmt: skip


def test_a_failing_invoke_does_not_leave_the_poller_or_function_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator(environ_stack(tmp_path), seed=0) as sim:

        def broken(function):
            raise RuntimeError("cannot start an environment")

        monkeypatch.setattr(sim.lambdas, "_new_environment", broken)
        sim.send("Q", "{}")
        with pytest.raises(RuntimeError, match="cannot start"):
            sim.advance(1)
        assert sim.pollers["MA"].busy == 0
        assert sim.functions["A"].running == 0


HELPER_USER = """\
import helper

def handler(event, context):
    helper.STATE.append(1)
    print("helper", helper.VERSION, len(helper.STATE))
"""


def test_sibling_modules_belong_to_their_environment(tmp_path: Path) -> None:
    seen = []
    for version in ("v1", "v2"):
        code = tmp_path / version
        code.mkdir()
        (code / "helper.py").write_text(f"VERSION = {version!r}\nSTATE = []\n")
        handler = write_handler(code, "user", HELPER_USER)
        stack = one_function_stack(code, handler, "helper")
        with Simulator(stack, seed=0) as sim:
            sim.send("Q", "{}")
            sim.advance(5)
            sim.send("Q", "{}", count=2)  # the warm one and a second, cold environment
            sim.advance(5)
            seen.append(sorted(log(sim, "helper ")))
        assert "helper" not in sys.modules
        assert str(code) not in sys.path
    assert seen == [
        ["helper v1 1", "helper v1 1", "helper v1 2"],
        ["helper v2 1", "helper v2 1", "helper v2 2"],
    ]


# -- the runtime seam -----------------------------------------------------------------------


class _ScriptedRuntime:
    """A Runtime behind the same four calls that runs no code: the model (logs, metrics,
    reuse, replacement) must come out of LambdaService whatever runs the handler."""

    def __init__(self, outcomes: list[str]) -> None:
        self.outcomes = outcomes
        self.started: list[object] = []
        self.stopped: list[object] = []
        self.frozen = 0
        self.seen: list[tuple[str, float, float]] = []

    def start(self, spec):
        handle = object()
        self.started.append(handle)
        return handle

    def invoke(self, handle, invocation, dispatch):
        from looplab.sim.runtime import Result

        self.seen.append((invocation.trace or "", invocation.now, invocation.deadline))
        outcome = self.outcomes.pop(0)
        return Result(outcome, lines=[f"ran {outcome}"], ended=outcome not in ("success", "error"))

    def freeze(self, handle) -> None:
        self.frozen += 1

    def stop(self, handle) -> None:
        self.stopped.append(handle)

    def close(self) -> None:
        pass


def test_lambda_service_drives_any_runtime_behind_the_seam(tmp_path: Path) -> None:
    stack = one_function_stack(tmp_path, "fns/none.handler", "seam")
    with Simulator(stack, seed=0) as sim:
        fake = _ScriptedRuntime(["success", "timeout", "success"])
        sim.lambdas.runtime = fake
        for _ in range(3):
            sim.send("Q", "{}")
            sim.advance(10)
        logged = [e.message for e in sim.logs.events()]
        assert [m for m in logged if m.startswith("ran ")] == [
            "ran success",
            "ran timeout",
            "ran success",
        ]
        assert sum(m.endswith("Task timed out after 6.00 seconds") for m in logged) == 1
        assert sim.metrics.total("AWS/Lambda", "Errors", 0) == 1
        # Warm reuse after success, a new environment after the timeout.
        assert len(fake.started) == 2 and fake.frozen == 2
        trace, now, deadline = fake.seen[0]
        assert "Lineage=" in trace and 0 < deadline - now <= 6  # virtual instants
