"""The stack record (.looplab/stacks/<stage>.json, written by the plugin after a deploy).

It is how the aws backend finds the stack's physical resources without asking
CloudFormation on every run: queue URLs, function names and mapping UUIDs by logical ID.
Its keys are the contract with serverless-plugins/experiment-hooks/lib/stack-file.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """Where the plugin records a deploy (looplab.deploy.stack_file): the post's stack at
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
            outputs=dict(doc.get("outputs") or {}),
            resources=dict(doc["resources"]),
            recorded_at=str(doc.get("recordedAt", "")),
            path=path,
        )

    @classmethod
    def load(cls, project: Path | str, stage: str, service: str = POST_SERVICE) -> StackRecord:
        path = record_path(project, stage, service)
        if not path.is_file() and service != POST_SERVICE:
            shape = service.removeprefix(f"{POST_SERVICE}-")
            raise StackRecordError(
                f"no stack record of loop shape {shape!r} for stage {stage!r} ({path}): "
                f"deploy it with `invoke deploy --shape {shape} --stage {stage}`"
            )
        if not path.is_file():
            raise StackRecordError(
                f"no stack record for stage {stage!r} ({path}): deploy the stack with "
                f"`invoke deploy --stage {stage}` (or `npx sls deploy --stage {stage}`), or, "
                f"if it is deployed, record it with: {refresh_command(stage, None)}"
            )
        try:
            doc = json.loads(path.read_text())
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
        parts = self.stack_id.split(":")
        return parts[1] if len(parts) > 4 and parts[1] else "aws"

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
