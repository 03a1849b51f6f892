"""S3's errors as its rest-xml protocol sends them (botocore parses them through _render)."""

from __future__ import annotations

from looplab.sim.services._errors import ServiceError

__all__ = ["invalid_argument", "no_such_bucket", "no_such_key", "not_found"]


def invalid_argument(message: str) -> ServiceError:
    return ServiceError("InvalidArgument", message, 400)


def no_such_bucket(bucket: str) -> ServiceError:
    return ServiceError("NoSuchBucket", "The specified bucket does not exist", 404)


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404)


def not_found() -> ServiceError:
    """HeadObject's 404: S3 sends no body to a HEAD, so botocore's parser makes the code
    "404" and the message "Not Found" from the status line alone; the bare error body
    rendered here parses to the same ``Error``."""
    return ServiceError("404", "Not Found", 404)
