"""What a compiled template holds, as plain frozen values keyed by logical ID.

The bottom of looplab.stack: it imports nothing of the package, and every reader imports it.
The :class:`~looplab.stack.Stack` that gathers them lives with the builder
(``_builder``), so that ``Stack.from_template`` builds without an import running back up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "eu-central-1"

__all__ = [
    "DEFAULT_REGION",
    "LOCAL_ACCOUNT_ID",
    "BucketSpec",
    "EventInvokeSpec",
    "FunctionSpec",
    "MappingSpec",
    "NotificationSpec",
    "QueuePolicySpec",
    "QueueSpec",
    "SourceMappingSpec",
    "SubscriptionSpec",
    "TopicSpec",
]


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    url: str
    arn: str
    retention_seconds: int = 345_600
    visibility_timeout: int = 30
    delay_seconds: int = 0
    maximum_message_size: int = 1_048_576
    receive_wait_seconds: int = 0
    redrive_target: str | None = None  # logical ID of the DLQ
    redrive_target_arn: str | None = None
    max_receive_count: int | None = None
    redrive_allow_policy: dict[str, Any] | None = None
    fifo: bool = False


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    handler: str
    runtime: str
    code_dir: Path
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    recursive_loop: str = "Terminate"
    reserved_concurrency: int | None = None
    role: str = ""  # the execution role's ARN
    description: str = ""
    dead_letter_arn: str | None = None  # DeadLetterConfig.TargetArn (asynchronous events)


@dataclass(frozen=True)
class MappingSpec:
    logical_id: str
    uuid: str
    function: str  # logical ID
    source_queue: str  # logical ID
    batch_size: int = 10
    enabled: bool = True
    batching_window: int = 0
    maximum_concurrency: int | None = None
    report_batch_item_failures: bool = False
    metrics: tuple[str, ...] = ()  # MetricsConfig.Metrics: "EventCount" turns on ESM metrics
    filter_criteria: dict[str, Any] | None = None


@dataclass(frozen=True)
class SourceMappingSpec:
    """An event source mapping whose source is not an SQS queue of this stack (a DynamoDB
    or Kinesis stream, Kafka, MQ, DocumentDB, or a queue of another stack)."""

    logical_id: str
    uuid: str
    function: str | None  # logical ID, when the function is in this stack
    event_source: str  # the EventSourceArn, or "SelfManagedEventSource"


@dataclass(frozen=True)
class TopicSpec:
    """An ``AWS::SNS::Topic`` (its inline ``Subscription`` list is read as SubscriptionSpecs)."""

    logical_id: str
    name: str
    arn: str
    fifo: bool = False


@dataclass(frozen=True)
class SubscriptionSpec:
    """One SNS subscription: an ``AWS::SNS::Subscription``, or an entry of a topic's inline
    ``Subscription`` list (then ``logical_id`` is ``<topic id>.Subscription[<i>]``)."""

    logical_id: str
    path: str  # its template path, for refusals: Resources.<id>[.Properties.Subscription[i]]
    topic: str | None  # logical ID of the topic, when it is in this stack
    topic_arn: str
    protocol: str  # "lambda" | "sqs" | anything else SNS accepts ("https", "email", ...)
    endpoint: str  # the endpoint as given (an ARN for lambda and sqs)
    target: str | None = None  # logical ID of the function or queue, when in this stack
    raw_message_delivery: bool = False
    filter_policy: dict[str, Any] | None = None
    filter_policy_scope: str = "MessageAttributes"
    redrive_target_arn: str | None = None  # the subscription's own DLQ (RedrivePolicy)
    # sqs: the target queue's access policy as the template sets it (AWS::SQS::QueuePolicy),
    # None when it has none; SNS may send only where it allows (looplab.sim.services.sqs.policy)
    queue_policy: dict[str, Any] | None = None


@dataclass(frozen=True)
class QueuePolicySpec:
    """An ``AWS::SQS::QueuePolicy``: the access policy it sets on each of its queues."""

    logical_id: str
    path: str  # Resources.<id>.Properties.PolicyDocument
    queues: tuple[str, ...]  # logical IDs of this stack's queues it applies to
    document: dict[str, Any]


@dataclass(frozen=True)
class NotificationSpec:
    """One entry of a bucket's ``NotificationConfiguration``."""

    path: str  # Resources.<bucket>.Properties.NotificationConfiguration.<kind>[<i>]
    kind: str  # "lambda" | "queue" | "topic"
    target_arn: str
    target: str | None  # logical ID of the function, queue or topic, when in this stack
    event: str  # e.g. "s3:ObjectCreated:*"
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class BucketSpec:
    logical_id: str
    name: str
    arn: str
    notifications: tuple[NotificationSpec, ...] = ()
    other_notifications: tuple[str, ...] = ()  # paths of EventBridge/other configs, refused


@dataclass(frozen=True)
class EventInvokeSpec:
    """A function's asynchronous invocation settings (``AWS::Lambda::EventInvokeConfig``).
    A function without one has Lambda's defaults: 2 retries, 6 hours' event age."""

    logical_id: str
    function: str  # logical ID
    qualifier: str = "$LATEST"
    maximum_retry_attempts: int = 2
    maximum_event_age: int = 21_600
    on_success: str | None = None  # destination ARN
    on_failure: str | None = None  # destination ARN
