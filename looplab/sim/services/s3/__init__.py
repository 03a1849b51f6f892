"""S3 (objects and bucket notifications to functions): model, api and errors, moto's split."""

from looplab.sim.services.s3.api import S3Api
from looplab.sim.services.s3.errors import no_such_bucket, no_such_key, not_found
from looplab.sim.services.s3.model import Bucket, S3Model, StoredObject
from looplab.sim.services.s3.notify import Notifier, event_matches, event_record, key_matches
from looplab.sim.services.s3.service import SERVICE, S3Part

__all__ = [
    "SERVICE",
    "Bucket",
    "Notifier",
    "S3Api",
    "S3Model",
    "S3Part",
    "StoredObject",
    "event_matches",
    "event_record",
    "key_matches",
    "no_such_bucket",
    "no_such_key",
    "not_found",
]
