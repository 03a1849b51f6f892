"""SNS's API: the caller's parameters in, botocore's parsed reply out.

The only place that knows SNS's request and response shapes; ``model`` deals in Python
values. Operations not modelled fail loudly (``NotImplemented`` naming the modelled ones):
a handler relying on Subscribe or CreateTopic must not see a silent success.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from looplab.sim.services._errors import Call
from looplab.sim.services._render import not_modelled
from looplab.sim.services.sns.errors import SnsError, invalid_parameter
from looplab.sim.services.sns.model import MAX_MESSAGE_BYTES, SnsModel, Topic

__all__ = ["SnsApi", "topic_attributes"]

MAX_BATCH_ENTRIES = 10
PAGE_SIZE = 100  # ListTopics and ListSubscriptionsByTopic: "up to 100" per call
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class SnsApi:
    def __init__(self, model: SnsModel) -> None:
        self.model = model
        self._ops: dict[str, Callable[[dict[str, Any], Call], dict[str, Any]]] = {
            "Publish": self.publish,
            "PublishBatch": self.publish_batch,
            "GetTopicAttributes": self.get_topic_attributes,
            "ListTopics": self.list_topics,
            "ListSubscriptionsByTopic": self.list_subscriptions_by_topic,
        }

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        """Run one request (raises SnsError); the reply has no ResponseMetadata."""
        op = self._ops.get(operation)
        if op is None:
            raise not_modelled("sns", operation, sorted(self._ops))
        return op(params, call)

    # -- operations ----------------------------------------------------------------------

    def publish(self, p: dict[str, Any], call: Call) -> dict[str, Any]:
        if p.get("PhoneNumber"):
            raise invalid_parameter("PhoneNumber: SMS is not modelled by the looplab simulator")
        topic = self.model.topic(p.get("TopicArn") or p.get("TargetArn"))
        return {"MessageId": self._publish(topic, p, call)}

    def publish_batch(self, p: dict[str, Any], call: Call) -> dict[str, Any]:
        topic = self.model.topic(p.get("TopicArn"))
        entries = list(p.get("PublishBatchRequestEntries") or [])
        if not entries:
            raise SnsError("EmptyBatchRequest", "The batch request doesn't contain any entries.")
        if len(entries) > MAX_BATCH_ENTRIES:
            raise SnsError(
                "TooManyEntriesInBatchRequest",
                "The batch request contains more entries than permissible.",
            )
        ids = [str(e.get("Id", "")) for e in entries]
        if len(set(ids)) != len(ids):
            raise SnsError(
                "BatchEntryIdsNotDistinct",
                "Two or more batch entries in the request have the same Id.",
            )
        if not all(_BATCH_ID.match(i) for i in ids):
            raise SnsError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        total = sum(len(str(e.get("Message", "")).encode()) for e in entries)
        if total > MAX_MESSAGE_BYTES:
            raise SnsError(
                "BatchRequestTooLong",
                f"The length of all the messages put together is more than the limit of "
                f"{MAX_MESSAGE_BYTES} bytes.",
            )
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for entry in entries:
            try:
                # The trace header is one per HTTP request: every entry carries it.
                message_id = self._publish(topic, entry, call)
            except SnsError as exc:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "Code": exc.code,
                        "Message": exc.message,
                        "SenderFault": True,
                    }
                )
            else:
                ok.append({"Id": entry["Id"], "MessageId": message_id})
        return {"Successful": ok, "Failed": failed}

    def get_topic_attributes(self, p: dict[str, Any], call: Call) -> dict[str, Any]:
        topic = self.model.topic(p.get("TopicArn"))
        return {"Attributes": topic_attributes(topic, self.model.account_id)}

    def list_topics(self, p: dict[str, Any], call: Call) -> dict[str, Any]:
        arns = list(self.model.topics)
        page, token = _page(arns, p.get("NextToken"))
        reply: dict[str, Any] = {"Topics": [{"TopicArn": arn} for arn in page]}
        if token:
            reply["NextToken"] = token
        return reply

    def list_subscriptions_by_topic(self, p: dict[str, Any], call: Call) -> dict[str, Any]:
        topic = self.model.topic(p.get("TopicArn"))
        page, token = _page(topic.subscriptions, p.get("NextToken"))
        reply: dict[str, Any] = {
            "Subscriptions": [
                {
                    "SubscriptionArn": s.arn,
                    "Owner": self.model.account_id,
                    "Protocol": s.spec.protocol,
                    "Endpoint": s.spec.endpoint,
                    "TopicArn": topic.spec.arn,
                }
                for s in page
            ]
        }
        if token:
            reply["NextToken"] = token
        return reply

    def _publish(self, topic: Topic, p: dict[str, Any], call: Call) -> str:
        return self.model.publish(
            topic,
            str(p.get("Message") or ""),
            subject=p.get("Subject"),
            attributes=p.get("MessageAttributes"),
            structure=p.get("MessageStructure"),
            trace_header=call.trace_header,
        )


def topic_attributes(topic: Topic, account_id: str) -> dict[str, str]:
    """GetTopicAttributes' map for a standard topic, as AWS lists a new one's."""
    arn = topic.spec.arn
    policy = {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
                "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
            }
        ],
    }
    delivery = {
        "http": {
            "defaultHealthyRetryPolicy": {
                "minDelayTarget": 20,
                "maxDelayTarget": 20,
                "numRetries": 3,
                "numMaxDelayRetries": 0,
                "numNoDelayRetries": 0,
                "numMinDelayRetries": 0,
                "backoffFunction": "linear",
            },
            "disableSubscriptionOverrides": False,
        }
    }
    return {
        "TopicArn": arn,
        "Owner": account_id,
        "Policy": json.dumps(policy, separators=(",", ":")),
        "DisplayName": "",
        "SubscriptionsConfirmed": str(len(topic.subscriptions)),
        "SubscriptionsPending": "0",
        "SubscriptionsDeleted": "0",
        "EffectiveDeliveryPolicy": json.dumps(delivery, separators=(",", ":")),
        # SNS's default: pass an incoming X-Ray trace header through (what carries Lineage).
        "TracingConfig": "PassThrough",
    }


def _page(items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        if not token.isdigit() or int(token) > len(items):
            raise invalid_parameter("NextToken")
        start = int(token)
    end = start + PAGE_SIZE
    return items[start:end], (str(end) if end < len(items) else None)
