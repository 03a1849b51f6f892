"""SQS queues and their access policies (``AWS::SQS::QueuePolicy``), as the template
declares them: each queue's attributes within SQS's bounds, its redrive policy, and the
queues each policy applies to."""

from __future__ import annotations

from typing import Any

from looplab.stack._cfn import TemplateError
from looplab.stack._checks import redrive_cycles
from looplab.stack._identity import Naming
from looplab.stack._reading import Phase, Reader, Reading
from looplab.stack._specs import QueuePolicySpec, QueueSpec
from looplab.stack._values import as_bool, bounded, json_or_dict

__all__ = ["QUEUE", "QUEUE_POLICY"]


def _identity(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    queue = naming.name(logical_id, props, "QueueName", naming.default_name(logical_id))
    url = f"https://sqs.{naming.region}.amazonaws.com/{naming.account_id}/{queue}"
    return {None: url, "Arn": naming.arn("sqs", queue), "QueueName": queue, "QueueUrl": url}


def _read_queue(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    ident = reading.identity[logical_id]
    where = f"Resources.{logical_id}.Properties"
    redrive = json_or_dict(props.get("RedrivePolicy"), f"{where}.RedrivePolicy")
    target = None
    max_receive = None
    if redrive:
        arn = redrive.get("deadLetterTargetArn")
        if not isinstance(arn, str) or not arn:
            # SQS: "Redrive policy does not contain deadLetterTargetArn".
            raise TemplateError(
                f"{where}.RedrivePolicy.deadLetterTargetArn: the dead-letter queue's ARN "
                f"is required, got {arn!r}"
            )
        # A DLQ of another stack is allowed: redrive then leaves the simulated account.
        target = reading.logical_id_of_arn(arn)
        max_receive = bounded(redrive, "maxReceiveCount", 10, 1, 1000, f"{where}.RedrivePolicy")
    # SQS's bounds for each attribute (CreateQueue's documented ranges): outside them
    # CloudFormation fails the deploy, so the template is refused here, by its path.
    reading.queues[logical_id] = QueueSpec(
        logical_id=logical_id,
        name=ident["QueueName"],
        url=ident["QueueUrl"],
        arn=ident["Arn"],
        retention_seconds=bounded(props, "MessageRetentionPeriod", 345_600, 60, 1_209_600, where),
        visibility_timeout=bounded(props, "VisibilityTimeout", 30, 0, 43_200, where),
        delay_seconds=bounded(props, "DelaySeconds", 0, 0, 900, where),
        maximum_message_size=bounded(
            props, "MaximumMessageSize", 1_048_576, 1_024, 1_048_576, where
        ),
        receive_wait_seconds=bounded(props, "ReceiveMessageWaitTimeSeconds", 0, 0, 20, where),
        redrive_target=target,
        redrive_target_arn=redrive.get("deadLetterTargetArn") if redrive else None,
        max_receive_count=max_receive,
        redrive_allow_policy=json_or_dict(
            props.get("RedriveAllowPolicy"), f"{where}.RedriveAllowPolicy"
        ),
        fifo=as_bool(props.get("FifoQueue", False), f"{where}.FifoQueue"),
    )


def _refuse_redrive_cycles(reading: Reading) -> None:
    cycles = redrive_cycles(reading.queues)
    if cycles:
        raise TemplateError("\n".join(f"{path}: {why}" for path, why in cycles))


def _read_policy(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    """The queues of this stack a policy names (by URL, as ``!Ref`` gives them)."""
    by_url = {q.url: q.logical_id for q in reading.queues.values()}
    path = f"Resources.{logical_id}.Properties.PolicyDocument"
    named = props.get("Queues") or []
    reading.queue_policies[logical_id] = QueuePolicySpec(
        logical_id=logical_id,
        path=path,
        queues=tuple(by_url[str(u)] for u in named if str(u) in by_url),
        document=json_or_dict(props.get("PolicyDocument"), path) or {},
    )


QUEUE = Reader(
    identity=_identity,
    modelled=True,
    reads={Phase.NAMED: _read_queue},
    # A redrive cycle is refused once every queue is read, before anything names them.
    checks={Phase.NAMED: _refuse_redrive_cycles},
)
QUEUE_POLICY = Reader(reads={Phase.POLICIES: _read_policy})
