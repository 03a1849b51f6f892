"""The embedded simulator: SQS, Lambda and Lambda's recursive loop detection, in-process.

It knows nothing of scenarios or journals. Build one from a compiled stack::

    from looplab.stack import load_stack
    from looplab.sim import Simulator

    with Simulator(load_stack("."), seed=1) as sim:
        sim.send("Queue", '{"counter": 5}')
        sim.advance(120)
        lam = sim.session().client("lambda")  # answered by the simulator, never AWS
"""

from looplab.sim.clock import ClockStalled
from looplab.sim.params import SimParams
from looplab.sim.refusals import Refusal, UnsupportedTemplate, check_stack, refusals
from looplab.sim.services import ServiceError
from looplab.sim.services.sqs import QueueCounts, SqsError, system_attributes
from looplab.sim.simulator import Simulator

__all__ = [
    "ClockStalled",
    "QueueCounts",
    "Refusal",
    "ServiceError",
    "SimParams",
    "Simulator",
    "SqsError",
    "UnsupportedTemplate",
    "check_stack",
    "refusals",
    "system_attributes",
]
