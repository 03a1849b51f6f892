"""The one error base class every simulated service raises, and what a call carries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from looplab.stack import FunctionSpec


class ServiceError(Exception):
    """An AWS error reply: ``code`` as botocore's ``Error.Code``, HTTP ``status``.

    ``sender`` is AWS's fault attribution (4xx: the caller's fault). ``query_code`` is the
    legacy query-protocol code SQS's JSON protocol still sends (``AWS.SimpleQueueService...``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        query_code: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.query_code = query_code
        self.extra = dict(extra or {})

    @property
    def sender(self) -> bool:
        return self.status < 500


@dataclass(frozen=True, slots=True)
class Call:
    """Who makes a call: the trace header botocore sent, and the function whose code is
    running (None for the experimenter's own clients)."""

    trace_header: str | None = None
    function: str | None = None  # logical ID


EXPERIMENTER_ID = "AIDALOOPLABSEEDER"
"""The unique ID of the experimenter (an IAM user's), who calls from outside any function."""


def caller_ids(functions: Mapping[str, FunctionSpec]) -> Callable[[Call], str]:
    """``caller_id(call)``: who makes a call, as AWS shows a caller's unique ID (SQS's
    SenderId, S3's principalId after ``AWS:``): the experimenter's, else "<role id>:<session>"
    of the function's execution role, Lambda's session being named after the function
    (``functions`` by logical ID). One call per SDK call: SQS asks it for every send."""

    def caller_id(call: Call) -> str:
        if call.function is None:
            return EXPERIMENTER_ID
        return f"AROALOOPLAB:{functions[call.function].name}"

    return caller_id
