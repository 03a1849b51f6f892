"""S3 buckets and their notifications (``NotificationConfiguration``): each entry's target,
event and key filter. An EventBridge configuration is kept by path only, for the simulator
to refuse (looplab.sim.refusals)."""

from __future__ import annotations

import difflib
from typing import Any

from looplab.stack._cfn import TemplateError
from looplab.stack._identity import Naming
from looplab.stack._reading import Phase, Reader, Reading
from looplab.stack._specs import BucketSpec, NotificationSpec
from looplab.stack._values import api_enum, object_list, object_prop

__all__ = ["BUCKET"]

# NotificationConfiguration key -> (kind, the entry's target property)
_NOTIFICATION_KINDS = {
    "LambdaConfigurations": ("lambda", "Function"),
    "QueueConfigurations": ("queue", "Queue"),
    "TopicConfigurations": ("topic", "Topic"),
}


def _identity(naming: Naming, logical_id: str, props: dict[str, Any]) -> dict[str | None, Any]:
    bucket = naming.name(logical_id, props, "BucketName", naming.generated_name(logical_id).lower())
    return {
        None: bucket,
        "Arn": f"arn:aws:s3:::{bucket}",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "RegionalDomainName": f"{bucket}.s3.{naming.region}.amazonaws.com",
    }


def _read(reading: Reading, logical_id: str, props: dict[str, Any]) -> None:
    topic_ids = {t.arn: t.logical_id for t in reading.topics.values()}
    where = f"Resources.{logical_id}.Properties.NotificationConfiguration"
    config = object_prop(props, "NotificationConfiguration", where.rsplit(".", 1)[0])
    notes: list[NotificationSpec] = []
    others: list[str] = []
    for key, value in config.items():
        if key not in _NOTIFICATION_KINDS:
            if value:  # EventBridgeConfiguration, or anything S3 adds later
                others.append(f"{where}.{key}")
            continue
        kind, target_prop = _NOTIFICATION_KINDS[key]
        for i, entry in enumerate(object_list(value, f"{where}.{key}")):
            arn = str(entry.get(target_prop, ""))
            at = f"{where}.{key}[{i}]"
            prefix, suffix = _key_filter(entry.get("Filter"), f"{at}.Filter")
            notes.append(
                NotificationSpec(
                    path=at,
                    kind=kind,
                    target_arn=arn,
                    target=topic_ids.get(arn) or reading.target(arn),
                    event=_s3_event(entry.get("Event"), f"{at}.Event"),
                    prefix=prefix,
                    suffix=suffix,
                )
            )
    ident = reading.identity[logical_id]
    reading.buckets[logical_id] = BucketSpec(
        logical_id=logical_id,
        name=str(ident[None]),
        arn=str(ident["Arn"]),
        notifications=tuple(notes),
        other_notifications=tuple(others),
    )


def _key_filter(raw: Any, where: str) -> tuple[str, str]:
    if raw is None:
        return "", ""
    if not isinstance(raw, dict):
        raise TemplateError(f"{where}: an object is expected, got {raw!r}")
    rules = object_list(object_prop(raw, "S3Key", where).get("Rules"), f"{where}.S3Key.Rules")
    values: dict[str, str] = {}
    for i, rule in enumerate(rules):
        name = str(rule.get("Name", "")).lower()  # S3 takes "Prefix" as "prefix"
        if name not in ("prefix", "suffix"):
            # S3 refuses the configuration (InvalidArgument, "filter rule name must be
            # either prefix or suffix"): the deploy fails.
            raise TemplateError(
                f"{where}.S3Key.Rules[{i}].Name: {rule.get('Name')!r} is not a filter rule "
                "name (allowed: prefix, suffix)"
            )
        values[name] = str(rule.get("Value", ""))
    return values.get("prefix", ""), values.get("suffix", "")


def _s3_event(raw: Any, where: str) -> str:
    """An event type S3 accepts; any other fails the deploy ("The event is not supported
    for notifications"), so it is an error here rather than a loop that never starts."""
    event = str(raw if raw is not None else "")
    known = api_enum("s3", "Event")  # botocore's model: the installed SDK's list
    if event not in known:
        near = difflib.get_close_matches(event, known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise TemplateError(
            f"{where}: {event!r} is not an S3 event type{hint} (allowed: {', '.join(known)})"
        )
    return event


BUCKET = Reader(identity=_identity, reads={Phase.NOTIFICATIONS: _read})
