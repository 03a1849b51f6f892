"""S3 in the simulator: operations through boto3 clients, replies checked against botocore."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _support.sim_shapes import replies_match_botocore  # noqa: F401 (fixture)
from _support.simkit import build_stack
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from looplab.sim import Simulator
from looplab.stack import Stack

pytestmark = pytest.mark.usefixtures("replies_match_botocore")

BODY = b'{"n": 1}'


def bucket_stack(tmp_path: Path) -> Stack:
    resources = {
        "DataBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data-bkt"}},
        "OtherBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "other-bkt"}},
    }
    return build_stack(resources, tmp_path)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    with Simulator(bucket_stack(tmp_path)) as simulator:
        yield simulator


@pytest.fixture
def s3(sim: Simulator) -> Any:
    return sim.client("s3")


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_get_head_give_the_md5_etag_and_a_real_streaming_body(s3: Any) -> None:
    put = s3.put_object(
        Bucket="data-bkt", Key="a/b.json", Body=BODY, ContentType="application/json"
    )
    assert put["ETag"] == f'"{hashlib.md5(BODY).hexdigest()}"'
    got = s3.get_object(Bucket="data-bkt", Key="a/b.json")
    assert isinstance(got["Body"], StreamingBody)
    assert got["Body"].read() == BODY
    assert (got["ContentLength"], got["ContentType"], got["ETag"]) == (
        8,
        "application/json",
        put["ETag"],
    )
    head = s3.head_object(Bucket="data-bkt", Key="a/b.json")
    assert head["ContentLength"] == 8 and "Body" not in head
    assert head["LastModified"] == got["LastModified"]


def test_put_accepts_str_and_file_objects_and_metadata(s3: Any) -> None:
    s3.put_object(Bucket="data-bkt", Key="s", Body="text", Metadata={"who": "me"})
    s3.put_object(Bucket="data-bkt", Key="f", Body=io.BytesIO(b"file"))
    assert s3.get_object(Bucket="data-bkt", Key="s")["Body"].read() == b"text"
    assert s3.get_object(Bucket="data-bkt", Key="s")["Metadata"] == {"who": "me"}
    assert s3.get_object(Bucket="data-bkt", Key="f")["Body"].read() == b"file"


def test_missing_key_and_bucket_are_s3s_errors(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="data-bkt", Key="nope")
    assert code(exc) == ("NoSuchKey", 404)
    assert isinstance(exc.value, s3.exceptions.NoSuchKey)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="no-such-bkt", Key="k")
    assert code(exc) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="no-such-bkt", Key="k", Body=b"")
    assert code(exc) == ("NoSuchBucket", 404)


def test_head_of_a_missing_key_is_a_bare_404(s3: Any) -> None:
    # A HEAD reply has no body: botocore knows only the status.
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="data-bkt", Key="nope")
    assert code(exc) == ("404", 404)
    assert exc.value.response["Error"]["Message"] == "Not Found"


def test_copy_object_across_buckets_keeps_body_and_metadata(s3: Any) -> None:
    s3.put_object(Bucket="data-bkt", Key="dir/a b+c.txt", Body=b"x", Metadata={"k": "v"})
    reply = s3.copy_object(
        Bucket="other-bkt", Key="copy", CopySource={"Bucket": "data-bkt", "Key": "dir/a b+c.txt"}
    )
    assert reply["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"x").hexdigest()}"'
    got = s3.get_object(Bucket="other-bkt", Key="copy")
    assert got["Body"].read() == b"x" and got["Metadata"] == {"k": "v"}
    s3.copy_object(Bucket="other-bkt", Key="copy2", CopySource="data-bkt/dir/a b+c.txt")
    assert s3.get_object(Bucket="other-bkt", Key="copy2")["Body"].read() == b"x"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket="other-bkt", Key="c", CopySource="data-bkt/missing")
    assert code(exc) == ("NoSuchKey", 404)
    # S3 refuses a copy onto itself that changes nothing; REPLACE makes it legal.
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket="other-bkt", Key="copy", CopySource="other-bkt/copy")
    assert code(exc) == ("InvalidRequest", 400)
    s3.copy_object(
        Bucket="other-bkt",
        Key="copy",
        CopySource="other-bkt/copy",
        MetadataDirective="REPLACE",
        Metadata={"k": "new"},
    )
    assert s3.head_object(Bucket="other-bkt", Key="copy")["Metadata"] == {"k": "new"}


def test_delete_object_and_delete_objects(s3: Any) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket="data-bkt", Key=key, Body=b"1")
    reply = s3.delete_object(Bucket="data-bkt", Key="a")
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 204
    # Deleting a key that is not there succeeds too, as S3's does.
    s3.delete_object(Bucket="data-bkt", Key="a")
    many = s3.delete_objects(
        Bucket="data-bkt", Delete={"Objects": [{"Key": "b"}, {"Key": "c"}, {"Key": "zz"}]}
    )
    assert [d["Key"] for d in many["Deleted"]] == ["b", "c", "zz"]
    assert s3.list_objects_v2(Bucket="data-bkt")["KeyCount"] == 0
    quiet = s3.delete_objects(Bucket="data-bkt", Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert "Deleted" not in quiet


def test_list_objects_v2_pages_by_max_keys_and_continuation_token(s3: Any) -> None:
    keys = [f"p/{i:02d} x.json" for i in range(7)] + ["q/other"]
    for key in reversed(keys):
        s3.put_object(Bucket="data-bkt", Key=key, Body=b"{}")
    first = s3.list_objects_v2(Bucket="data-bkt", Prefix="p/", MaxKeys=3)
    assert first["IsTruncated"] and first["KeyCount"] == 3 and first["MaxKeys"] == 3
    # botocore asked for url encoding and decoded the keys back.
    assert [o["Key"] for o in first["Contents"]] == keys[:3]
    assert first["Contents"][0]["Size"] == 2
    seen = [o["Key"] for o in first["Contents"]]
    token = first["NextContinuationToken"]
    while token:
        page = s3.list_objects_v2(
            Bucket="data-bkt", Prefix="p/", MaxKeys=3, ContinuationToken=token
        )
        assert page["ContinuationToken"] == token
        seen += [o["Key"] for o in page["Contents"]]
        token = page.get("NextContinuationToken")
    assert seen == keys[:7]
    paginated = s3.get_paginator("list_objects_v2").paginate(
        Bucket="data-bkt", PaginationConfig={"PageSize": 2}
    )
    assert [o["Key"] for page in paginated for o in page["Contents"]] == sorted(keys)
    after = s3.list_objects_v2(Bucket="data-bkt", StartAfter="p/05 x.json")
    assert [o["Key"] for o in after["Contents"]] == ["p/06 x.json", "q/other"]
    empty = s3.list_objects_v2(Bucket="data-bkt", Prefix="none/")
    assert empty["KeyCount"] == 0 and "Contents" not in empty and not empty["IsTruncated"]


def test_list_objects_v2_refuses_a_bad_token_and_a_delimiter(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="data-bkt", ContinuationToken="%%%not-a-token")
    assert code(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="data-bkt", Delimiter="/")
    assert code(exc)[1] == 501


def test_unmodelled_operation_fails_loudly(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object_acl(Bucket="data-bkt", Key="k")
    assert code(exc) == ("NotImplemented", 501)
    assert "PutObject" in exc.value.response["Error"]["Message"]


def test_simulator_put_object_by_logical_id(sim: Simulator, s3: Any) -> None:
    sim.put_object("DataBucket", "k", "hello")
    assert s3.get_object(Bucket="data-bkt", Key="k")["Body"].read() == b"hello"
    with pytest.raises(KeyError, match="DataBucket"):
        sim.put_object("NoBucket", "k", b"x")
