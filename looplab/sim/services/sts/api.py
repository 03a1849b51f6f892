"""STS's API: who the caller is, in the simulated account.

Outside any function the caller is the experimenter, as an assumed role (the usual way
into an experiment account: SSO or ``sts:AssumeRole``). Inside a function it is the
function's execution role, session-named after the function, as Lambda's credentials are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from looplab.sim.services._errors import Call
from looplab.sim.services._render import not_modelled

__all__ = ["EXPERIMENTER_ROLE", "StsApi"]

EXPERIMENTER_ROLE = "looplab-experimenter"
_EXPERIMENTER_SESSION = "looplab"


class StsApi:
    """``role_of(logical_id)`` gives a function's ``(role name, function name)``."""

    def __init__(self, account: str, role_of: Callable[[str], tuple[str, str]]) -> None:
        self.account = account
        self.role_of = role_of

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        if operation != "GetCallerIdentity":
            raise not_modelled("sts", operation, ["GetCallerIdentity"])
        if call.function is None:
            role, session = EXPERIMENTER_ROLE, _EXPERIMENTER_SESSION
        else:
            role, session = self.role_of(call.function)
        return {
            # A role's unique ID starts AROA; an assumed role's UserId is "<id>:<session>".
            "UserId": f"AROA{_role_id(role)}:{session}",
            "Account": self.account,
            "Arn": f"arn:aws:sts::{self.account}:assumed-role/{role}/{session}",
        }


def _role_id(role: str) -> str:
    return hashlib.sha256(role.encode()).hexdigest()[:17].upper()
