"""Lambda's control plane: the model (names and rules, ``model``) and the API (``api``).

The data plane (execution environments, invocations, loop detection) is ``execution``;
event source mappings run in ``pollers``.
"""

from looplab.sim.services.lambda_.api import LambdaApi
from looplab.sim.services.lambda_.invoke import InvokeApi
from looplab.sim.services.lambda_.model import FunctionName, LambdaControl

__all__ = ["FunctionName", "InvokeApi", "LambdaApi", "LambdaControl"]
