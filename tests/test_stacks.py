"""Every loop shape of stacks/ packages offline (`sls package --config`), is cfn-lint clean,
grants no `*` for its services' actions, and has the logical IDs stacks/README.md promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _support.sls import PROJECT_DIR, REGION, require_node_modules

from looplab.cli.deploy import SHAPES
from looplab.stack._package import TEMPLATE_NAME, compiled_template

pytestmark = pytest.mark.integration

STAGE = "shapetest"
NEW_SHAPES = [s for s in SHAPES if s != "sqs"]
# The contract (stacks/README.md): logical IDs other branches code to.
EXPECTED = {
    "sns": {
        "LoopTopic": "AWS::SNS::Topic",
        "RelayLambdaFunction": "AWS::Lambda::Function",
        "RelayDeadLetterQueue": "AWS::SQS::Queue",
        "RelaySnsSubscriptionLoopTopic": "AWS::SNS::Subscription",
        "RelayLambdaPermissionLoopTopicSNS": "AWS::Lambda::Permission",
    },
    "sns-sqs": {
        "LoopTopic": "AWS::SNS::Topic",
        "LoopQueue": "AWS::SQS::Queue",
        "LoopDeadLetterQueue": "AWS::SQS::Queue",
        "LoopSubscription": "AWS::SNS::Subscription",
        "LoopQueuePolicy": "AWS::SQS::QueuePolicy",
        "RelayLambdaFunction": "AWS::Lambda::Function",
        "RelayEventSourceMappingSQSLoopQueue": "AWS::Lambda::EventSourceMapping",
    },
    "s3": {
        "LoopBucket": "AWS::S3::Bucket",
        "RelayLambdaFunction": "AWS::Lambda::Function",
        "RelayLambdaPermissionLoopBucketS3": "AWS::Lambda::Permission",
        "RelayFailureQueue": "AWS::SQS::Queue",
        "RelayLambdaEvConf": "AWS::Lambda::EventInvokeConfig",
    },
    "lambda": {
        "RelayLambdaFunction": "AWS::Lambda::Function",
        "RelayFailureQueue": "AWS::SQS::Queue",
        "RelayLambdaEvConf": "AWS::Lambda::EventInvokeConfig",
    },
    "chain": {
        "FirstQueue": "AWS::SQS::Queue",
        "SecondQueue": "AWS::SQS::Queue",
        "FirstDeadLetterQueue": "AWS::SQS::Queue",
        "SecondDeadLetterQueue": "AWS::SQS::Queue",
        "FirstLambdaFunction": "AWS::Lambda::Function",
        "SecondLambdaFunction": "AWS::Lambda::Function",
        "FirstEventSourceMappingSQSFirstQueue": "AWS::Lambda::EventSourceMapping",
        "SecondEventSourceMappingSQSSecondQueue": "AWS::Lambda::EventSourceMapping",
    },
}


@pytest.fixture(scope="module", params=NEW_SHAPES)
def packaged(request: pytest.FixtureRequest) -> tuple[str, Path, dict[str, Any]]:
    require_node_modules()
    shape = request.param
    out = compiled_template(PROJECT_DIR, STAGE, REGION, config=SHAPES[shape])
    return shape, out, json.loads((out / TEMPLATE_NAME).read_text())


def _statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = template["Resources"]["IamRoleLambdaExecution"]["Properties"]
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_shape_has_its_config():
    assert sorted(NEW_SHAPES) == sorted(EXPECTED)
    for shape in NEW_SHAPES:
        assert (PROJECT_DIR / SHAPES[shape]).is_file()


def test_logical_ids_are_the_contracts(packaged):
    shape, _, template = packaged
    types = {k: v["Type"] for k, v in template["Resources"].items()}
    for logical_id, kind in EXPECTED[shape].items():
        assert types.get(logical_id) == kind, (shape, logical_id, sorted(types))


def test_cfn_lint_is_clean(packaged):
    shape, out, _ = packaged
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--", str(out / TEMPLATE_NAME)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{shape}:\n{proc.stdout}{proc.stderr}"


def test_no_star_for_the_services_actions(packaged):
    shape, _, template = packaged
    for statement in _statements(template):
        actions = _as_list(statement["Action"])
        assert all(a.split(":")[1] != "*" for a in actions), (shape, actions)
        if any(a.split(":")[0] in ("sns", "s3", "sqs", "lambda") for a in actions):
            assert "NotResource" not in statement
            for resource in _as_list(statement["Resource"]):
                assert resource != "*", (shape, actions)
                text = json.dumps(resource)
                assert "*" not in text or text.endswith('/loop/*"}'), (shape, text)


def test_every_function_has_recursive_loop_and_every_mapping_event_count(packaged):
    shape, _, template = packaged
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function":
            assert props["RecursiveLoop"] == "Terminate", (shape, logical_id)
            assert props["Environment"]["Variables"]["COUNTER_CAP"] == "1000"
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            assert props["MetricsConfig"] == {"Metrics": ["EventCount"]}, (shape, logical_id)


def test_the_package_holds_the_shapes_handler(packaged):
    shape, out, template = packaged
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            module = resource["Properties"]["Handler"].rsplit(".", 1)[0]
            assert (out / "code" / f"{module}.py").is_file(), (shape, module)


def test_the_config_is_in_the_cache_key():
    require_node_modules()
    a = compiled_template(PROJECT_DIR, STAGE, REGION, config=SHAPES["sns"])
    b = compiled_template(PROJECT_DIR, STAGE, REGION, config=SHAPES["lambda"])
    assert a != b
    assert "LoopTopic" in json.loads((a / TEMPLATE_NAME).read_text())["Resources"]
    assert "LoopTopic" not in json.loads((b / TEMPLATE_NAME).read_text())["Resources"]


def test_load_stack_reads_each_shape_by_its_config(packaged):
    from looplab.stack import load_stack

    shape, _, template = packaged
    stack = load_stack(PROJECT_DIR, STAGE, REGION, config=SHAPES[shape])
    assert stack.name == f"looplab-{shape}-{STAGE}"
    functions = {
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function"
    }
    assert set(stack.functions) == functions
