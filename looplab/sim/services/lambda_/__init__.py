"""Lambda: functions and their execution environments with recursive loop detection
(``execution``, what an invocation logs: ``invocation_log``), SQS event source mappings
(``pollers``), the internal queue of asynchronous invocation (``async_queue``), the
control plane's names and rules (``model``), its API (``api``, ``invoke``), its errors,
and how it joins the simulator (``service``)."""

from looplab.sim.services.lambda_.api import LambdaApi
from looplab.sim.services.lambda_.async_queue import AsyncQueue
from looplab.sim.services.lambda_.execution import Function, LambdaService
from looplab.sim.services.lambda_.invoke import InvokeApi
from looplab.sim.services.lambda_.model import FunctionName, LambdaControl
from looplab.sim.services.lambda_.pollers import Poller
from looplab.sim.services.lambda_.service import SERVICE, LambdaPart

__all__ = [
    "SERVICE",
    "AsyncQueue",
    "Function",
    "FunctionName",
    "InvokeApi",
    "LambdaApi",
    "LambdaControl",
    "LambdaPart",
    "LambdaService",
    "Poller",
]
