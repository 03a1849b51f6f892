"""SQS (standard queues): the model (``model``, ``messages``), its API (``api``), the queue
policies SNS needs (``policy``), its AWS/SQS metrics (``metrics``) and how it joins the
simulator (``service``)."""

from looplab.sim.services._errors import EXPERIMENTER_ID
from looplab.sim.services.sqs.api import SqsApi, queue_attributes
from looplab.sim.services.sqs.messages import system_attributes
from looplab.sim.services.sqs.model import Message, Queue, Received, SqsError, SqsModel
from looplab.sim.services.sqs.policy import sns_may_send
from looplab.sim.services.sqs.service import SERVICE, QueueCounts, SqsPart

__all__ = [
    "EXPERIMENTER_ID",
    "SERVICE",
    "Message",
    "Queue",
    "QueueCounts",
    "Received",
    "SqsApi",
    "SqsError",
    "SqsModel",
    "SqsPart",
    "queue_attributes",
    "sns_may_send",
    "system_attributes",
]
