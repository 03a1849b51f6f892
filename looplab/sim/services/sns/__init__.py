"""SNS (standard topics): the model (``model``) and its API (``api``), moto's split."""

from looplab.sim.services.sns.api import SnsApi, topic_attributes
from looplab.sim.services.sns.errors import SnsError
from looplab.sim.services.sns.model import (
    Notification,
    SnsModel,
    Subscription,
    Topic,
    lambda_event,
    sqs_envelope,
)
from looplab.sim.services.sns.service import SERVICE, SnsPart

__all__ = [
    "SERVICE",
    "Notification",
    "SnsApi",
    "SnsError",
    "SnsModel",
    "SnsPart",
    "Subscription",
    "Topic",
    "lambda_event",
    "sqs_envelope",
    "topic_attributes",
]
