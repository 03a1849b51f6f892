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

__all__ = [
    "Notification",
    "SnsApi",
    "SnsError",
    "SnsModel",
    "Subscription",
    "Topic",
    "lambda_event",
    "sqs_envelope",
    "topic_attributes",
]
