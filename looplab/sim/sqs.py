"""The SQS model moved to ``looplab.sim.services.sqs``; this name stays for the imports
other modules (the local backend) make of it, until they import the new path."""

from looplab.sim.services.sqs.api import system_attributes
from looplab.sim.services.sqs.model import Message, Queue, Received, SqsError, SqsModel

__all__ = ["Message", "Queue", "Received", "SqsError", "SqsModel", "system_attributes"]
