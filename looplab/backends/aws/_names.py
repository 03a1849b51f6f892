"""AWS's documented naming rules, one check each, for what a stack record hands to an API
call or writes into a policy.

A record is a file a user or a tool can edit; a value that is not a real name of its kind
(``*``, another account's queue, a URL with a query) must never reach a call or a policy.
Each pattern is AWS's own, with its source:

- account: 12 digits (the ARN format, IAM User Guide "IAM identifiers").
- region: botocore's Lambda model pattern for a region in an ARN
  (``(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}``).
- partition: ``aws[a-zA-Z-]*`` (the same models' ARN pattern: aws, aws-cn, aws-us-gov, ...).
- stack name: "can contain only alphanumeric characters (case sensitive) and hyphens. It
  must start with an alphabetical character and can't be longer than 128 characters"
  (CloudFormation CreateStack).
- logical ID: "alphanumeric (A-Za-z0-9) and unique within the template" (CloudFormation
  template resources).
- function name: ``[a-zA-Z0-9-_]+``, "limited to 64 characters in length" (Lambda
  CreateFunction FunctionName).
- queue name: "up to 80 characters ... alphanumeric characters, hyphens (-), and
  underscores (_). A FIFO queue name must end with the .fifo suffix", which counts toward
  the 80 (SQS CreateQueue, SQS FIFO quotas).
- topic name: "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens,
  and must be between 1 and 256 characters long", a FIFO topic's ending in .fifo (SNS
  CreateTopic).
- bucket name: 3 to 63 lowercase letters, numbers, dots and hyphens, beginning and ending
  with a letter or number, no two adjacent periods, not an IP address (S3 "General purpose
  bucket naming rules").
- mapping UUID: 36 characters (Lambda's UUIDString), a UUID as Lambda issues them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = [
    "ACCOUNT",
    "LOGICAL_ID",
    "MAPPING_UUID",
    "PARTITION",
    "REGION",
    "STACK_NAME",
    "bucket_name",
    "function_name",
    "queue_name_of_url",
    "topic_name_of_arn",
]

ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}")
PARTITION = re.compile(r"aws[a-zA-Z-]*")
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")
MAPPING_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_FUNCTION = re.compile(r"[A-Za-z0-9_-]{1,64}")
_QUEUE = re.compile(r"[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\.fifo")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP = re.compile(r"\d+\.\d+\.\d+\.\d+")


def function_name(value: str) -> bool:
    return bool(_FUNCTION.fullmatch(value))


def bucket_name(value: str) -> bool:
    return bool(_BUCKET.fullmatch(value)) and ".." not in value and not _IP.fullmatch(value)


def queue_name_of_url(url: str, account: str) -> str | None:
    """The queue's name when ``url`` is a queue URL of ``account`` (http(s)://<host>/<account>/
    <name>, nothing else: no user, query or fragment), else None. The host is not judged:
    an emulator's is its own, and a call goes to the client's endpoint either way."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    if parts.query or parts.fragment or "#" in url or "?" in url:
        return None
    segments = parts.path.split("/")  # "", account, name
    if len(segments) != 3 or segments[1] != account or not _QUEUE.fullmatch(segments[2]):
        return None
    return segments[2]


def topic_name_of_arn(arn: str, partition: str, region: str, account: str) -> str | None:
    """The topic's name when ``arn`` is a topic ARN in this partition, region and account."""
    prefix = f"arn:{partition}:sns:{region}:{account}:"
    if not arn.startswith(prefix) or not _TOPIC.fullmatch(arn[len(prefix) :]):
        return None
    return arn[len(prefix) :]
