"""S3's API: the caller's parameters in, botocore's parsed reply out.

GetObject's ``Body`` is a real :class:`botocore.response.StreamingBody`, as botocore's
rest-xml parser makes of a streaming payload, so a handler's ``.read()`` /
``.iter_chunks()`` work unchanged. ListObjectsV2: botocore asks for ``EncodingType=url``
itself and decodes the keys after the call (its ``after-call`` handler still runs on a
bridged reply), so keys are encoded here exactly when the caller's parameters ask.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote

from botocore.response import StreamingBody

from looplab.sim.services._errors import EXPERIMENTER_ID, Call, ServiceError
from looplab.sim.services._render import not_modelled
from looplab.sim.services.s3.errors import invalid_argument
from looplab.sim.services.s3.model import S3Model, StoredObject

__all__ = ["S3Api"]

_MAX_KEYS = 1000  # S3 returns at most 1,000 keys a page, whatever MaxKeys asks
_MAX_DELETE = 1000  # DeleteObjects takes at most 1,000 keys


class S3Api:
    """``principal_of(call)`` is the caller as S3's event ``userIdentity.principalId``."""

    def __init__(self, model: S3Model, principal_of: Callable[[Call], str] | None = None) -> None:
        self.model = model
        self.principal_of = principal_of or (lambda call: f"AWS:{EXPERIMENTER_ID}")
        self._ops: dict[str, Callable[[dict[str, Any], Call], dict[str, Any]]] = {
            "PutObject": self.put_object,
            "GetObject": self.get_object,
            "HeadObject": self.head_object,
            "CopyObject": self.copy_object,
            "DeleteObject": self.delete_object,
            "DeleteObjects": self.delete_objects,
            "ListObjectsV2": self.list_objects_v2,
        }

    def handle(self, operation: str, params: dict[str, Any], call: Call) -> dict[str, Any]:
        op = self._ops.get(operation)
        if op is None:
            raise not_modelled("s3", operation, sorted(self._ops))
        return op(params, call)

    def put_object(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        obj = self.model.put(
            params["Bucket"],
            params["Key"],
            _bytes(params.get("Body", b"")),
            content_type=params.get("ContentType"),
            metadata=params.get("Metadata"),
            trace_header=call.trace_header,
            principal=self.principal_of(call),
        )
        return {"ETag": obj.etag, "ServerSideEncryption": "AES256"}

    def get_object(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        obj = self.model.get(params["Bucket"], params["Key"])
        reply = _head(obj)
        reply["Body"] = StreamingBody(io.BytesIO(obj.body), obj.size)
        return reply

    def head_object(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        try:
            obj = self.model.get(params["Bucket"], params["Key"])
        except ServiceError as exc:
            # A HEAD reply has no body: botocore sees only the status (code "404").
            raise ServiceError(str(exc.status), "Not Found", exc.status) from exc
        return _head(obj)

    def copy_object(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        bucket, key = _copy_source(params["CopySource"])
        source = self.model.get(bucket, key)
        replace = params.get("MetadataDirective", "COPY") == "REPLACE"
        if (bucket, key) == (params["Bucket"], params["Key"]) and not replace:
            raise ServiceError(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to "
                "itself without changing the object's metadata, storage class, website "
                "redirect location or encryption attributes.",
            )
        obj = self.model.put(
            params["Bucket"],
            params["Key"],
            source.body,
            content_type=params.get("ContentType") if replace else source.content_type,
            metadata=params.get("Metadata") if replace else source.metadata,
            event="ObjectCreated:Copy",
            trace_header=call.trace_header,
            principal=self.principal_of(call),
        )
        return {
            "CopyObjectResult": {"ETag": obj.etag, "LastModified": _time(obj.last_modified)},
            "ServerSideEncryption": "AES256",
        }

    def delete_object(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        self.model.delete(
            params["Bucket"],
            params["Key"],
            trace_header=call.trace_header,
            principal=self.principal_of(call),
        )
        return {}

    def delete_objects(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        request = params["Delete"]
        entries = request.get("Objects", [])
        if len(entries) > _MAX_DELETE:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                f"published schema ({len(entries)} keys; at most {_MAX_DELETE})",
            )
        self.model.bucket(params["Bucket"])  # NoSuchBucket before any key
        deleted = []
        for entry in entries:
            self.delete_object({"Bucket": params["Bucket"], "Key": entry["Key"]}, call)
            deleted.append({"Key": entry["Key"]})
        # Quiet mode reports only the errors; every key here succeeds.
        return {} if request.get("Quiet") else {"Deleted": deleted}

    def list_objects_v2(self, params: dict[str, Any], call: Call) -> dict[str, Any]:
        if params.get("Delimiter"):
            raise ServiceError(
                "NotImplemented",
                "looplab's simulator does not model ListObjectsV2 with a Delimiter "
                "(CommonPrefixes)",
                501,
            )
        bucket = params["Bucket"]
        prefix = params.get("Prefix", "")
        asked = int(params.get("MaxKeys", _MAX_KEYS))
        if asked < 0:
            # botocore's model sets no minimum; S3 refuses it (max-keys is 0 to 2^31 - 1).
            raise invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647")
        max_keys = min(asked, _MAX_KEYS)
        token = params.get("ContinuationToken")
        after = _token_key(token) if token is not None else params.get("StartAfter", "")
        found = self.model.list(bucket, prefix, after)
        # MaxKeys 0 is an empty page that is not truncated (S3 answers it so, no token).
        page, more = found[:max_keys], max_keys > 0 and len(found) > max_keys
        url = params.get("EncodingType") == "url"

        def enc(text: str) -> str:
            return quote_plus(text, safe="/") if url else text

        reply: dict[str, Any] = {
            "IsTruncated": more,
            "Name": bucket,
            "Prefix": enc(prefix),
            "MaxKeys": max_keys,
            "KeyCount": len(page),
        }
        if page:
            reply["Contents"] = [
                {
                    "Key": enc(obj.key),
                    "LastModified": _time(obj.last_modified),
                    "ETag": obj.etag,
                    "Size": obj.size,
                    "StorageClass": "STANDARD",
                }
                for obj in page
            ]
        if url:
            reply["EncodingType"] = "url"
        if token is not None:
            reply["ContinuationToken"] = token
        elif params.get("StartAfter"):
            reply["StartAfter"] = enc(params["StartAfter"])
        if more:
            reply["NextContinuationToken"] = base64.urlsafe_b64encode(
                page[-1].key.encode()
            ).decode()
        return reply


def _head(obj: StoredObject) -> dict[str, Any]:
    return {
        "AcceptRanges": "bytes",
        "LastModified": _time(obj.last_modified),
        "ContentLength": obj.size,
        "ETag": obj.etag,
        "ContentType": obj.content_type,
        "ServerSideEncryption": "AES256",
        "Metadata": dict(obj.metadata),
    }


def _time(seconds: float) -> datetime:
    # S3's Last-Modified header has whole seconds.
    return datetime.fromtimestamp(int(seconds), UTC)


def _bytes(body: Any) -> bytes:
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    data = body.read()  # a file-like object, as boto3 accepts
    return data.encode() if isinstance(data, str) else bytes(data)


def _copy_source(source: Any) -> tuple[str, str]:
    # botocore's own handler has already turned a dict into "bucket/url-quoted-key".
    if isinstance(source, dict):
        return source["Bucket"], source["Key"]
    text = unquote(str(source).split("?versionId=", 1)[0]).lstrip("/")
    bucket, _, key = text.partition("/")
    if not key:
        raise ServiceError(
            "InvalidArgument", f"Invalid copy source {source!r}: expected bucket/key"
        )
    return bucket, key


def _token_key(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ServiceError(
            "InvalidArgument", "The continuation token provided is incorrect"
        ) from None
