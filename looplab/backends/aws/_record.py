"""The stack record (.looplab/stacks/<stage>.json, written by the plugin after a deploy).

It is how the aws backend finds the stack's physical resources without asking
CloudFormation on every run: queue URLs, function names and mapping UUIDs by logical ID.
Its keys are the contract with serverless-plugins/experiment-hooks/lib/stack-file.js.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from looplab._files import STACK_RECORD, read_json
from looplab.backends.aws import _names as names
from looplab.backends.base import BackendError

__all__ = ["FORMAT_VERSION", "StackRecord", "StackRecordError", "record_path"]

FORMAT_VERSION = 1
_QUEUE, _FUNCTION, _MAPPING = (
    "AWS::SQS::Queue",
    "AWS::Lambda::Function",
    "AWS::Lambda::EventSourceMapping",
)


class StackRecordError(BackendError):
    """The record is missing, unreadable or does not match the deployed stack (exit 2)."""


POST_SERVICE = "looplab"
"""The post's stack's service; every other loop shape is ``looplab-<shape>``."""


def record_path(project: Path | str, stage: str, service: str = POST_SERVICE) -> Path:
    """Where the plugin records a deploy (looplab.cli.deploy.stack_file): the post's stack at
    ``<stage>.json`` (as ever), every other shape at ``<service>-<stage>.json``."""
    name = f"{stage}.json" if service == POST_SERVICE else f"{service}-{stage}.json"
    return Path(project) / ".looplab" / "stacks" / name


def refresh_command(stage: str, region: str | None) -> str:
    where = f" --region {region}" if region else ""
    return f"npx sls looplab-outputs --stage {stage}{where}"


@dataclass(frozen=True)
class StackRecord:
    stack_name: str
    stack_id: str
    stack_status: str
    stage: str
    region: str
    account: str
    outputs: dict[str, str]
    resources: dict[str, dict[str, str]]  # logical ID -> {type, physicalId}
    recorded_at: str = ""
    path: str = ""

    def __post_init__(self) -> None:
        # Checked here, not only in from_dict: no StackRecord exists whose fields could
        # put a wildcard or another account's resource into a call or a policy.
        _check(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], path: str = "") -> StackRecord:
        where = path or "the stack record"
        if not isinstance(doc, dict):
            raise StackRecordError(f"{where}: not a JSON object")
        if doc.get("formatVersion") != FORMAT_VERSION:
            raise StackRecordError(
                f"{where}: formatVersion {doc.get('formatVersion')!r}, this looplab reads "
                f"{FORMAT_VERSION}; rewrite it with: "
                f"{refresh_command(str(doc.get('stage', 'STAGE')), doc.get('region'))}"
            )
        missing = [
            k
            for k in ("stackName", "stackId", "stackStatus", "stage", "region", "account")
            if not isinstance(doc.get(k), str) or not doc.get(k)
        ]
        if missing or not isinstance(doc.get("resources"), dict):
            missing += [] if isinstance(doc.get("resources"), dict) else ["resources"]
            raise StackRecordError(
                f"{where}: missing {', '.join(missing)}; rewrite it with: "
                f"{refresh_command(str(doc.get('stage', 'STAGE')), doc.get('region'))}"
            )
        return cls(
            stack_name=doc["stackName"],
            stack_id=doc["stackId"],
            stack_status=doc["stackStatus"],
            stage=doc["stage"],
            region=doc["region"],
            account=doc["account"],
            outputs=_copy(doc.get("outputs", {})),
            resources=dict(doc["resources"]),
            recorded_at=str(doc.get("recordedAt", "")),
            path=path,
        )

    @classmethod
    def load(cls, project: Path | str, stage: str, service: str = POST_SERVICE) -> StackRecord:
        path = record_path(project, stage, service)
        # Missing (a dangling link too) is "deploy it"; present but not a regular file (a
        # FIFO, a link to /dev/zero) is the reader's refusal below, saying what it is.
        if not path.exists() and service != POST_SERVICE:
            shape = service.removeprefix(f"{POST_SERVICE}-")
            raise StackRecordError(
                f"no stack record of loop shape {shape!r} for stage {stage!r} ({path}): "
                f"deploy it with `invoke deploy --shape {shape} --stage {stage}`"
            )
        if not path.exists():
            raise StackRecordError(
                f"no stack record for stage {stage!r} ({path}): deploy the stack with "
                f"`invoke deploy --stage {stage}` (or `npx sls deploy --stage {stage}`), or, "
                f"if it is deployed, record it with: {refresh_command(stage, None)}"
            )
        try:
            doc = read_json(path, STACK_RECORD)  # bounded: size, regular file, nesting
        except (OSError, ValueError) as exc:
            raise StackRecordError(
                f"{path}: cannot read the stack record ({exc}); rewrite it with: "
                f"{refresh_command(stage, None)}"
            ) from exc
        record = cls.from_dict(doc, str(path))
        if record.stage != stage:
            raise StackRecordError(f"{path} records stage {record.stage!r}, not {stage!r}")
        return record

    # -- names ---------------------------------------------------------------------------

    @property
    def partition(self) -> str:
        return self.stack_id.split(":")[1]  # checked: arn:<partition>:cloudformation:...

    def fix(self) -> str:
        return refresh_command(self.stage, self.region)

    def physical_id(self, logical_id: str, kind: str) -> str:
        entry = self.resources.get(logical_id)
        if not entry or entry.get("type") != kind or not entry.get("physicalId"):
            have = sorted(k for k, v in self.resources.items() if v.get("type") == kind)
            raise StackRecordError(
                f"{self.path or 'the stack record'} has no {kind} {logical_id!r} "
                f"(it has: {', '.join(have) or 'none'}); the stack and the template differ: "
                f"redeploy (`invoke deploy --stage {self.stage}`) or run {self.fix()}"
            )
        return entry["physicalId"]

    def queue_url(self, logical_id: str) -> str:
        return self.physical_id(logical_id, _QUEUE)

    def queue_name(self, logical_id: str) -> str:
        return self.queue_url(logical_id).rstrip("/").rsplit("/", 1)[-1]

    def queue_arn(self, logical_id: str) -> str:
        name = self.queue_name(logical_id)
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{name}"

    def function_name(self, logical_id: str) -> str:
        return self.physical_id(logical_id, _FUNCTION)

    def function_arn(self, logical_id: str) -> str:
        name = self.function_name(logical_id)
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}"

    def mapping_uuid(self, logical_id: str) -> str:
        return self.physical_id(logical_id, _MAPPING)

    def mapping_arn(self, logical_id: str) -> str:
        uuid = self.mapping_uuid(logical_id)
        return (
            f"arn:{self.partition}:lambda:{self.region}:{self.account}:event-source-mapping:{uuid}"
        )

    def log_group(self, function_logical_id: str) -> str:
        return f"/aws/lambda/{self.function_name(function_logical_id)}"

    def log_group_arn(self, function_logical_id: str) -> str:
        group = self.log_group(function_logical_id)
        return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{group}:*"

    def of_type(self, kind: str) -> list[str]:
        return sorted(k for k, v in self.resources.items() if v.get("type") == kind)

    @property
    def queues(self) -> list[str]:
        return self.of_type(_QUEUE)

    @property
    def functions(self) -> list[str]:
        return self.of_type(_FUNCTION)

    @property
    def mappings(self) -> list[str]:
        return self.of_type(_MAPPING)


# -- the checks on read (every field that reaches an API call or the operator policy) ----

_STACK_ID = re.compile(
    r"arn:(?P<partition>[^:]*):cloudformation:(?P<region>[^:]*):(?P<account>[^:]*):"
    r"stack/(?P<name>[^/]*)/[A-Za-z0-9-]+"
)
_STACK_STATUS = re.compile(r"[A-Z_]{1,64}")  # CloudFormation's StackStatus values
_SAFE_STAGE = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def _shown(value: Any) -> str:
    """The value as the file has it, quoted and escaped (a control character never reaches
    the terminal raw), and cut: a tampered field can be any size."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _queue(record: StackRecord, value: str) -> str | None:
    if names.queue_name_of_url(value, record.account):
        return None
    return (
        f"an SQS queue URL of account {record.account} (http(s)://<host>/{record.account}/"
        "<name>, a name of up to 80 letters, digits, - or _, ending .fifo for a FIFO queue)"
    )


def _function(record: StackRecord, value: str) -> str | None:
    if names.function_name(value):
        return None
    return "a Lambda function name (1 to 64 letters, digits, - or _)"


def _mapping(record: StackRecord, value: str) -> str | None:
    return None if names.MAPPING_UUID.fullmatch(value) else "an event source mapping UUID"


def _topic(record: StackRecord, value: str) -> str | None:
    if names.topic_name_of_arn(value, record.partition, record.region, record.account):
        return None
    return (
        f"an SNS topic ARN of account {record.account} in {record.region} "
        f"(arn:{record.partition}:sns:{record.region}:{record.account}:<name>, a name of up "
        "to 256 letters, digits, - or _)"
    )


def _bucket(record: StackRecord, value: str) -> str | None:
    if names.bucket_name(value):
        return None
    return (
        "an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens, beginning "
        "and ending with a letter or digit)"
    )


# The kinds whose physical IDs reach a call or the policy (a queue's URL, a function's
# name, a mapping's UUID, a topic's ARN, a bucket's name: what CloudFormation reports).
_PHYSICAL: dict[str, Callable[[StackRecord, str], str | None]] = {
    _QUEUE: _queue,
    _FUNCTION: _function,
    _MAPPING: _mapping,
    "AWS::SNS::Topic": _topic,
    "AWS::S3::Bucket": _bucket,
}


def _check(record: StackRecord) -> None:
    """Raise StackRecordError naming the file, the field and its rule at the first field
    that is not what AWS could have written there."""
    where = record.path or "the stack record"
    stage = record.stage if _SAFE_STAGE.fullmatch(str(record.stage)) else "STAGE"
    region_ok = isinstance(record.region, str) and bool(names.REGION.fullmatch(record.region))
    fix = refresh_command(stage, record.region if region_ok else None)

    def bad(field: str, value: Any, rule: str) -> StackRecordError:
        return StackRecordError(
            f"{where}: {field} {_shown(value)} is not {rule}; the file was changed after the "
            f"deploy wrote it: rewrite it with: {fix}"
        )

    def text(value: Any, pattern: re.Pattern[str]) -> bool:
        return isinstance(value, str) and bool(pattern.fullmatch(value))

    if not text(record.account, names.ACCOUNT):
        raise bad("account", record.account, "an AWS account ID (12 digits)")
    if not region_ok:
        raise bad("region", record.region, "an AWS Region (e.g. eu-central-1)")
    if not text(record.stack_name, names.STACK_NAME):
        raise bad(
            "stackName",
            record.stack_name,
            "a CloudFormation stack name (a letter, then up to 127 letters, digits or -)",
        )
    if not text(record.stack_status, _STACK_STATUS):
        # Judged by the guard (a *_COMPLETE state) and shown in its messages.
        raise bad("stackStatus", record.stack_status, "a CloudFormation stack status")
    found = _STACK_ID.fullmatch(record.stack_id) if isinstance(record.stack_id, str) else None
    if (
        not found
        or not names.PARTITION.fullmatch(found["partition"])
        or (found["region"], found["account"], found["name"])
        != (record.region, record.account, record.stack_name)
    ):
        raise bad(
            "stackId",
            record.stack_id,
            f"the ID of stack {record.stack_name} in account {record.account}, {record.region} "
            f"(arn:aws:cloudformation:{record.region}:{record.account}:stack/"
            f"{record.stack_name}/<id>)",
        )
    if not isinstance(record.outputs, dict):
        raise bad("outputs", record.outputs, "an object (output name -> value)")
    for key, value in record.outputs.items():
        if not isinstance(value, str):
            raise bad(f"outputs.{key}", value, "a string (CloudFormation's OutputValue)")
    if not isinstance(record.resources, dict):
        raise bad("resources", record.resources, "an object (logical ID -> resource)")
    for lid, entry in record.resources.items():
        if not text(lid, names.LOGICAL_ID):
            raise bad("resources", lid, "a CloudFormation logical ID (1 to 255 letters, digits)")
        if not isinstance(entry, dict):
            raise bad(f"resources.{lid}", entry, "an object {type, physicalId}")
        kind, physical = entry.get("type"), entry.get("physicalId")
        if not isinstance(kind, str):
            raise bad(f"resources.{lid}.type", kind, "a CloudFormation resource type")
        if physical is None or physical == "":
            continue  # CloudFormation reports none (a failed resource): refused on use
        if not isinstance(physical, str):
            raise bad(f"resources.{lid}.physicalId", physical, "a string")
        rule = _PHYSICAL[kind](record, physical) if kind in _PHYSICAL else None
        if rule:
            raise bad(f"resources.{lid}.physicalId", physical, rule)
