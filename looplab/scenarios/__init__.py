"""scenarios.yaml: load, validate (every problem at once, with lines) and build typed scenarios.

sfile = validate_file(Path("scenarios.yaml"), stack)      # raises ScenarioError
scenario = build_scenario(sfile, "loop-detection", ["counter=7"], stack)
"""

from looplab.scenarios._context import StackNames
from looplab.scenarios._errors import Problem, ScenarioError, closest, shown, unknown
from looplab.scenarios._load import load_yaml_text, read_text
from looplab.scenarios._model import (
    ASYNC_METRICS,
    DRAIN_METRICS,
    MAPPING_METRICS,
    METRIC_HELP,
    METRICS,
    OBSERVATION_METRICS,
    QUEUE_METRICS,
    RUN_METRICS,
    TOPIC_METRICS,
    Condition,
    Parameter,
    Scenario,
    Step,
)
from looplab.scenarios._parameters import MAX_VALUE_CHARS
from looplab.scenarios._shapes import DEFAULT_SHAPE, SHAPES, Shape
from looplab.scenarios._validate import (
    NAME_RE,
    ScenarioFile,
    build_scenario,
    load_file,
    validate_file,
)
from looplab.scenarios.kinds import (
    INVOCATION_TYPES,
    STEP_TYPES,
    Connect,
    Disconnect,
    Drain,
    Expect,
    Invoke,
    Publish,
    Purge,
    PutObject,
    Recursion,
    Seed,
    Snapshot,
    Wait,
)

__all__ = [
    "ASYNC_METRICS",
    "DEFAULT_SHAPE",
    "DRAIN_METRICS",
    "INVOCATION_TYPES",
    "MAPPING_METRICS",
    "MAX_VALUE_CHARS",
    "METRICS",
    "METRIC_HELP",
    "NAME_RE",
    "OBSERVATION_METRICS",
    "QUEUE_METRICS",
    "RUN_METRICS",
    "SHAPES",
    "STEP_TYPES",
    "TOPIC_METRICS",
    "Condition",
    "Connect",
    "Disconnect",
    "Drain",
    "Expect",
    "Invoke",
    "Parameter",
    "Problem",
    "Publish",
    "Purge",
    "PutObject",
    "Recursion",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "Seed",
    "Shape",
    "Snapshot",
    "StackNames",
    "Step",
    "Wait",
    "build_scenario",
    "closest",
    "load_file",
    "load_yaml_text",
    "read_text",
    "shown",
    "unknown",
    "validate_file",
]
