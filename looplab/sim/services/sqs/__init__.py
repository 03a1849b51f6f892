"""SQS (standard queues): the model (``model``) and its API (``api``), moto's split."""

from looplab.sim.services.sqs.api import EXPERIMENTER_ID, SqsApi, queue_attributes
from looplab.sim.services.sqs.model import Message, Queue, Received, SqsError, SqsModel

__all__ = [
    "EXPERIMENTER_ID",
    "Message",
    "Queue",
    "Received",
    "SqsApi",
    "SqsError",
    "SqsModel",
    "queue_attributes",
]
