"""The simulator's services: the one place a service is named.

The simulator joins them in this order, and a service may use only those before it
(:meth:`~looplab.sim.services.Kernel.part`): CloudWatch's metric store and the log store
first, which the others record into; SQS before Lambda, whose pollers watch its queues;
SNS and S3 after Lambda, whose internal queue they invoke functions through. The same
order is the order ``Simulator.deliver`` offers an ARN to the services' targets and the
order their refusals of a template are listed in. Adding a service: its folder
(``services/<name>/`` with a ``service.py`` declaring ``SERVICE``) and its line here.
"""

from __future__ import annotations

from looplab.sim.services import cloudwatch, lambda_, logs, s3, sns, sqs, sts
from looplab.sim.services._descriptor import Service

__all__ = ["SERVICES"]

SERVICES: tuple[Service, ...] = (
    cloudwatch.SERVICE,
    logs.SERVICE,
    sqs.SERVICE,
    lambda_.SERVICE,
    sts.SERVICE,
    sns.SERVICE,
    s3.SERVICE,
)
