"""How STS joins the simulator: GetCallerIdentity, answered as ``sts`` for the
experimenter and for each function's execution role."""

from __future__ import annotations

from looplab.sim.services._descriptor import Kernel, Part, Service
from looplab.sim.services.sts.api import StsApi
from looplab.stack import FunctionSpec

__all__ = ["SERVICE", "StsPart"]


class StsPart(Part):
    def __init__(self, kernel: Kernel) -> None:
        functions = kernel.stack.functions
        self.api = StsApi(kernel.stack.account_id, lambda lid: _role_of(functions[lid]))


def _role_of(spec: FunctionSpec) -> tuple[str, str]:
    """A function's (role name, session name): Lambda names the session after it."""
    role = spec.role.rsplit("/", 1)[-1] or f"{spec.name}-role"
    return role, spec.name


SERVICE = Service(name="sts", join=StsPart)
