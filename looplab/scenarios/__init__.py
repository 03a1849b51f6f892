"""scenarios.yaml: load, validate (every problem at once, with lines) and build typed scenarios.

sfile = validate_file(Path("scenarios.yaml"), stack)      # raises ScenarioError
scenario = build_scenario(sfile, "loop-detection", ["counter=7"], stack)
"""

from looplab.scenarios._context import StackNames
from looplab.scenarios._errors import Problem, ScenarioError, closest, unknown
from looplab.scenarios._model import (
    DRAIN_METRICS,
    MAPPING_METRICS,
    METRIC_HELP,
    METRICS,
    OBSERVATION_METRICS,
    QUEUE_METRICS,
    RUN_METRICS,
    STEP_TYPES,
    Condition,
    Connect,
    Disconnect,
    Drain,
    Expect,
    Parameter,
    Purge,
    Recursion,
    Scenario,
    Seed,
    Snapshot,
    Step,
    Wait,
)
from looplab.scenarios._validate import ScenarioFile, build_scenario, load_file, validate_file

__all__ = [
    "DRAIN_METRICS",
    "MAPPING_METRICS",
    "METRICS",
    "METRIC_HELP",
    "OBSERVATION_METRICS",
    "QUEUE_METRICS",
    "RUN_METRICS",
    "STEP_TYPES",
    "Condition",
    "Connect",
    "Disconnect",
    "Drain",
    "Expect",
    "Parameter",
    "Problem",
    "Purge",
    "Recursion",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "Seed",
    "Snapshot",
    "StackNames",
    "Step",
    "Wait",
    "build_scenario",
    "closest",
    "load_file",
    "unknown",
    "validate_file",
]
