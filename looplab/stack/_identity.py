"""Each resource's AWS identity, as CloudFormation would give it: its physical ID (what
``Ref`` returns: a queue's URL, a function's name, a mapping's UUID, a topic's ARN) and the
attributes ``Fn::GetAtt`` reads (``Arn``, ``QueueName``, ...).

Names come from the template where it sets them (``QueueName``, ``FunctionName``; only
pseudo parameters may be used in them, the rest is refused), else CloudFormation's pattern
``<stack>-<logical ID>[-<suffix>]`` with a stable hash for its random suffix.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from looplab._cfn import TemplateError, resolve

__all__ = ["MODELLED", "identity", "stand_in"]

MODELLED = frozenset(
    {
        "AWS::SQS::Queue",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
        "AWS::IAM::Role",
    }
)
"""Resources the reader models fully: an attribute they lack is a typo CloudFormation would
refuse too (others get a stand-in, :func:`stand_in`)."""

# type -> (ARN service, name property, ARN resource part, whether Ref gives the ARN)
_NAMED: dict[str, tuple[str, str, str, bool]] = {
    "AWS::SNS::Topic": ("sns", "TopicName", "{name}", True),
    "AWS::DynamoDB::Table": ("dynamodb", "TableName", "table/{name}", False),
    "AWS::Kinesis::Stream": ("kinesis", "Name", "stream/{name}", False),
}

PseudoOnly = Callable[[str, str | None, str], Any]


def identity(
    logical_id: str,
    resource: dict[str, Any],
    *,
    region: str,
    account_id: str,
    stack_name: str,
    pseudo_only: PseudoOnly,
) -> dict[str | None, Any]:
    """``{None: physical ID, attribute: value, ...}`` for one resource of the template."""
    kind = resource.get("Type", "")
    props = resource.get("Properties", {})
    arn_prefix = f"arn:aws:{{}}:{region}:{account_id}"

    def name(prop: str, default: str) -> str:
        raw = props.get(prop) or default
        where = f"Resources.{logical_id}.Properties.{prop}"
        value = raw if isinstance(raw, str) else resolve(raw, pseudo_only, where)
        if not isinstance(value, str) or not value:
            raise TemplateError(f"{where}: a name must be a non-empty string, got {value!r}")
        return value

    if kind == "AWS::SQS::Queue":
        queue = name("QueueName", f"{stack_name}-{logical_id}")
        url = f"https://sqs.{region}.amazonaws.com/{account_id}/{queue}"
        arn = f"{arn_prefix.format('sqs')}:{queue}"
        return {None: url, "Arn": arn, "QueueName": queue, "QueueUrl": url}
    if kind == "AWS::Lambda::Function":
        function = name("FunctionName", f"{stack_name}-{logical_id}")
        return {None: function, "Arn": f"{arn_prefix.format('lambda')}:function:{function}"}
    if kind == "AWS::Lambda::EventSourceMapping":
        mapping_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stack_name}/{logical_id}"))
        return {None: mapping_uuid, "Id": mapping_uuid}
    if kind == "AWS::IAM::Role":
        role = name("RoleName", f"{stack_name}-{logical_id}")
        return {None: role, "Arn": f"arn:aws:iam::{account_id}:role/{role}"}
    if kind == "AWS::S3::Bucket":
        bucket = name("BucketName", _generated_name(stack_name, logical_id).lower())
        return {
            None: bucket,
            "Arn": f"arn:aws:s3:::{bucket}",
            "DomainName": f"{bucket}.s3.amazonaws.com",
            "RegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        }
    if kind == "AWS::Logs::LogGroup" and isinstance(props.get("LogGroupName"), str):
        return {None: props["LogGroupName"]}
    if kind in _NAMED:
        service, name_prop, arn_form, ref_is_arn = _NAMED[kind]
        named = name(name_prop, f"{stack_name}-{logical_id}")
        arn = f"{arn_prefix.format(service)}:{arn_form.format(name=named)}"
        ident: dict[str | None, Any] = {None: arn if ref_is_arn else named, "Arn": arn}
        ident[name_prop] = named
        if kind == "AWS::SNS::Topic":
            ident["TopicArn"] = arn
        if kind == "AWS::DynamoDB::Table":
            # The stream's label is the creation time; the simulator's epoch stands in.
            ident["StreamArn"] = f"{arn}/stream/2023-07-21T00:00:00.000"
        return ident
    # Other resources (buckets, policies) matter only as names. CloudFormation names
    # them <stack>-<logical ID>-<random suffix>; the suffix here is a stable hash.
    return {None: _generated_name(stack_name, logical_id)}


def _generated_name(stack_name: str, logical_id: str) -> str:
    suffix = hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:13]
    return f"{stack_name}-{logical_id}-{suffix.upper()}"


def stand_in(kind: str, physical: str, attribute: str, region: str, account: str) -> str:
    """A GetAtt of a resource the reader does not model: an ARN for an ``*Arn`` attribute
    (service from the type: AWS::Events::Rule -> events), else ``<physical id>.<attribute>``."""
    if attribute == "Arn" or attribute.endswith("Arn"):
        if physical.startswith("arn:"):
            return physical
        service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
        return f"arn:aws:{service}:{region}:{account}:{physical}"
    return f"{physical}.{attribute}"
