"""The one table from CloudFormation resource type to what the stack reader knows of it.

The builder iterates it and names no type itself; this is the only module of looplab.stack
that names one (tests/test_stack_readers.py keeps it so). Each entry's functions live in
the module of its concept. A type that is not here is described all the same: it gets
CloudFormation's generated name, its properties are resolved (so an intrinsic that cannot
resolve is refused by path), ``Fn::GetAtt`` of it gives a stand-in, and nothing reads it
into a spec (:data:`UNREAD`); what the simulator cannot run it refuses itself
(looplab.sim.refusals).

Adding a type: its spec in ``_specs``, its reader in the module of its concept (or a new
one, placed in the layers contract of pyproject.toml), one line here, its field on
``Reading`` and ``Stack`` (docs/design.md, "Adding a resource type or a loop shape").
"""

from __future__ import annotations

from looplab.stack import _buckets, _functions, _mappings, _queues, _topics
from looplab.stack._identity import dynamodb_table, log_group, named, role
from looplab.stack._reading import Reader

__all__ = ["READERS", "UNREAD", "reader_of"]

UNREAD = Reader()
"""A type no entry names: a generated name, nothing read."""

READERS: dict[str, Reader] = {
    "AWS::SQS::Queue": _queues.QUEUE,
    "AWS::SQS::QueuePolicy": _queues.QUEUE_POLICY,
    "AWS::Lambda::Function": _functions.FUNCTION,
    "AWS::Lambda::EventInvokeConfig": _functions.EVENT_INVOKE_CONFIG,
    "AWS::Lambda::EventSourceMapping": _mappings.EVENT_SOURCE_MAPPING,
    "AWS::SNS::Topic": _topics.TOPIC,
    "AWS::SNS::Subscription": _topics.SUBSCRIPTION,
    "AWS::S3::Bucket": _buckets.BUCKET,
    # Read only for their names (what Ref and Fn::GetAtt give), for the readers above and
    # the mappings and refusals that name them.
    "AWS::IAM::Role": Reader(identity=role, modelled=True),
    "AWS::DynamoDB::Table": Reader(identity=dynamodb_table),
    "AWS::Kinesis::Stream": Reader(identity=named("kinesis", "Name", "stream/{name}")),
    "AWS::Logs::LogGroup": Reader(identity=log_group),
}


def reader_of(kind: str) -> Reader:
    """The entry of a resource's ``Type`` (:data:`UNREAD` for a type not in the table)."""
    return READERS.get(kind, UNREAD)
