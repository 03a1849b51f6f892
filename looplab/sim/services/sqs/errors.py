"""SQS's errors: the modelled exception shape and the legacy query code SQS still sends."""

from __future__ import annotations

from looplab.sim.services._errors import ServiceError

__all__ = ["SqsError", "nonexistent"]


class SqsError(ServiceError):
    """An SQS error: ``shape`` is the modelled exception (botocore's code before query
    compatibility), ``query_code`` the legacy code SQS's JSON protocol still sends."""

    def __init__(self, shape: str, message: str, code: str | None = None, sender: bool = True):
        super().__init__(
            shape,
            message,
            400 if sender else 500,
            query_code=code if code and code != shape else None,
        )

    @property
    def shape(self) -> str:
        return self.code


def nonexistent(url_or_name: str) -> SqsError:
    return SqsError(
        "QueueDoesNotExist",
        f"The specified queue does not exist: {url_or_name}",
        "AWS.SimpleQueueService.NonExistentQueue",
    )
