"""The AWS services the simulator answers, one folder each, and what they share.

A folder holds everything of its service (docs/design.md, "Adding a service to the
simulator"): ``service.py`` (its descriptor, :class:`Service`, and what it adds to a
simulator once joined, its :class:`Part`), ``api.py`` (botocore's input parameters in,
botocore's parsed output dict out), ``model.py`` (state and rules, plain Python values),
``errors.py`` (AWS's codes), and modules named for further concepts (``store.py``,
``pollers.py``, ``policy.py`` ...). Its ``__init__`` exports its public names, the only
ones other services import. ``registry.SERVICES`` is the one place a service is named.

The bridge routes a call to a service's api through the simulator's ``{service name: api}``
table; an api raises :class:`ServiceError` and the bridge renders it in AWS's error shape.
The contract every api keeps::

    class SomeApi:
        def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
            ...  # raises ServiceError; returns the parsed reply WITHOUT ResponseMetadata

``params`` are the caller's parameters as botocore validated them, before serialisation
(bytes stay bytes, timestamps are datetime), read on ``before-parameter-build`` the way
botocore's Stubber reads them: no per-protocol wire decoding.
"""

from looplab.sim.services._descriptor import Api, EventSink, Kernel, Part, Refusal, Service
from looplab.sim.services._errors import EXPERIMENTER_ID, Call, ServiceError, caller_ids
from looplab.sim.services._render import error_reply, not_modelled, success_status

__all__ = [
    "EXPERIMENTER_ID",
    "Api",
    "Call",
    "EventSink",
    "Kernel",
    "Part",
    "Refusal",
    "Service",
    "ServiceError",
    "caller_ids",
    "error_reply",
    "not_modelled",
    "success_status",
]
