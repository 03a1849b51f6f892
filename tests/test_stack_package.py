"""The compiled template (`sls package`, offline) carries the seed post's experiment.

These are the numbers the simulator will run and AWS will get: if serverless.yml drifts
from the post, a test here names the property that moved.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.integration

MAPPINGS = ("RecursiveEventSourceMappingSQSQueue", "RecursiveEventSourceMappingSQSDeadLetterQueue")


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id]["Properties"]


def redrive(template: dict[str, Any]) -> dict[str, Any]:
    policy = props(template, "Queue")["RedrivePolicy"]
    return json.loads(policy) if isinstance(policy, str) else policy


def test_main_queue_keeps_messages_120s_and_redrives_after_one_receive(default_template):
    queue = props(default_template, "Queue")
    assert queue["MessageRetentionPeriod"] == 120
    assert redrive(default_template) == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
        "maxReceiveCount": 1,
    }


def test_visibility_timeout_satisfies_lambdas_rule(default_template):
    # Lambda refuses a mapping whose queue's visibility timeout is below the function timeout.
    timeout = props(default_template, "RecursiveLambdaFunction")["Timeout"]
    for queue in ("Queue", "DeadLetterQueue"):
        assert props(default_template, queue)["VisibilityTimeout"] >= timeout


def test_dlq_accepts_redrive_only_from_the_main_queue_and_keeps_messages_long(default_template):
    dlq = props(default_template, "DeadLetterQueue")
    assert dlq["MessageRetentionPeriod"] == 1_209_600
    allow = dlq["RedriveAllowPolicy"]
    assert allow["redrivePermission"] == "byQueue"
    (source,) = allow["sourceQueueArns"]
    queue_name = props(default_template, "Queue")["QueueName"]
    assert source["Fn::Sub"].endswith(f":{queue_name}")


def test_two_mappings_batch_one_main_enabled_dlq_disabled(default_template):
    resources = default_template["Resources"]
    mappings = {
        k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    assert sorted(mappings) == sorted(MAPPINGS)
    main, dlq = (props(default_template, m) for m in MAPPINGS)
    assert main["EventSourceArn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert dlq["EventSourceArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    for mapping in (main, dlq):
        assert mapping["BatchSize"] == 1
        assert mapping["FunctionName"] == {"Fn::GetAtt": ["RecursiveLambdaFunction", "Arn"]}
    assert main["Enabled"] is True
    assert dlq["Enabled"] is False


def test_function_runs_the_seed_handler_with_loop_protection_on(default_template):
    fn = props(default_template, "RecursiveLambdaFunction")
    assert fn["Handler"] == "functions/recursive/main.handler"
    assert fn["Runtime"] == "python3.12"
    assert fn["RecursiveLoop"] == "Terminate"
    assert fn["Environment"]["Variables"] == {"QUEUE_URL": {"Ref": "Queue"}, "COUNTER_CAP": "1000"}


def test_log_group_retention_is_short(default_template):
    assert props(default_template, "RecursiveLogGroup")["RetentionInDays"] == 1


def test_outputs_cover_everything_the_experiments_address(default_template):
    outputs = {k: v["Value"] for k, v in default_template["Outputs"].items()}
    assert outputs["QueueUrl"] == {"Ref": "Queue"}
    assert outputs["QueueArn"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert outputs["DeadLetterQueueUrl"] == {"Ref": "DeadLetterQueue"}
    assert outputs["DeadLetterQueueArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert outputs["RecursiveFunctionName"] == {"Ref": "RecursiveLambdaFunction"}
    assert outputs["QueueMappingUuid"] == {"Ref": MAPPINGS[0]}
    assert outputs["DeadLetterQueueMappingUuid"] == {"Ref": MAPPINGS[1]}


def test_stage_parameters_turn_on_the_dlq_trigger_and_turn_off_protection(override_template):
    assert props(override_template, MAPPINGS[1])["Enabled"] is True
    assert props(override_template, MAPPINGS[0])["Enabled"] is True
    fn = props(override_template, "RecursiveLambdaFunction")
    assert fn["RecursiveLoop"] == "Allow"
    assert fn["Environment"]["Variables"]["COUNTER_CAP"] == "50"


def test_every_number_of_the_post_is_a_parameter(override_template):
    # --param values reach raw `resources:` as strings ("300"); CloudFormation converts
    # numeric strings, so compare numerically. (Function events are coerced by osls.)
    assert int(props(override_template, "Queue")["MessageRetentionPeriod"]) == 300
    assert int(redrive(override_template)["maxReceiveCount"]) == 3
    for mapping in MAPPINGS:
        assert props(override_template, mapping)["BatchSize"] == 2
