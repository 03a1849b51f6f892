"""The AWS services the simulator answers, one package each (moto's split).

Each service is a model (state and rules, plain Python values), an api (botocore's input
parameters in, botocore's parsed output dict out) and its errors. The bridge routes a call
to ``<service>.api`` through the simulator's ``{service name: api}`` table; an api raises
:class:`ServiceError` and the bridge renders it in AWS's error shape.

The contract every api keeps::

    class SomeApi:
        def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
            ...  # raises ServiceError; returns the parsed reply WITHOUT ResponseMetadata

``params`` are the caller's parameters as botocore validated them, before serialisation
(bytes stay bytes, timestamps are datetime), read on ``before-parameter-build`` the way
botocore's Stubber reads them: no per-protocol wire decoding.
"""

from looplab.sim.services._errors import Call, ServiceError
from looplab.sim.services._render import error_reply, not_modelled, success_status

__all__ = ["Call", "ServiceError", "error_reply", "not_modelled", "success_status"]
