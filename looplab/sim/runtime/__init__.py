"""What runs handler code: each execution environment is a child process.

``LambdaService`` (the model: when, with what, and what it costs on the virtual clock)
talks to a :class:`Runtime` through four calls, ``start / invoke / freeze / stop``; the
:class:`ProcessRuntime` behind them forks environments from a zygote that has botocore
imported. See docs/simulator.md, "Execution environments are processes".
"""

from looplab.sim.runtime._bounds import RESPONSE_LIMIT, VALUE_DEPTH
from looplab.sim.runtime._output import EVENT_LIMIT, OUTPUT_LIMIT
from looplab.sim.runtime._process import ProcessRuntime
from looplab.sim.runtime._sdk import route
from looplab.sim.runtime._seam import (
    Dispatch,
    EnvironmentSpec,
    Invocation,
    Outcome,
    Result,
    Runtime,
)
from looplab.sim.runtime._zygote import RuntimeUnavailable

__all__ = [
    "EVENT_LIMIT",
    "OUTPUT_LIMIT",
    "RESPONSE_LIMIT",
    "VALUE_DEPTH",
    "Dispatch",
    "EnvironmentSpec",
    "Invocation",
    "Outcome",
    "ProcessRuntime",
    "Result",
    "Runtime",
    "RuntimeUnavailable",
    "route",
]
