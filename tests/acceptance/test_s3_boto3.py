"""boto3 against the S3 port of a live server, with the client's default settings (CRC32
checksums on every upload, ``encoding-type=url`` on every listing)."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, code_of, new_bucket

# A one-process server answers S3 on a listener of its own rather than one shared with
# spawned workers: this file runs against both.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]


def test_bucket_lifecycle_and_listing_of_buckets(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    s3.head_bucket(Bucket=bucket)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket in names
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] in (None, "")
    with pytest.raises(ClientError) as again:
        s3.create_bucket(Bucket=bucket)
    assert code_of(again.value) == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as full:
        s3.delete_bucket(Bucket=bucket)
    assert code_of(full.value) == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as gone:
        s3.head_bucket(Bucket=bucket)
    assert code_of(gone.value) == "404"


def test_the_same_objects_through_rest_and_s3(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    namespace, name = bucket.split("--")
    body = b"weights" * 1000
    put = s3.put_object(Bucket=bucket, Key="dir/model.bin", Body=body, Metadata={"stage": "a"})
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    with live_server.client(alice.token) as rest:
        got = rest.get(f"/api/buckets/{namespace}/{name}/objects/dir/model.bin")
        assert got.content == body
        rest.put(f"/api/buckets/{namespace}/{name}/objects/from-rest.txt", content=b"hi")
    assert s3.get_object(Bucket=bucket, Key="from-rest.txt")["Body"].read() == b"hi"
    head = s3.head_object(Bucket=bucket, Key="dir/model.bin")
    assert head["ContentLength"] == len(body)
    assert head["Metadata"] == {"stage": "a"}


def test_put_get_range_and_conditionals(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    data = bytes(range(256)) * 40
    s3.put_object(Bucket=bucket, Key="a b+c/ü", Body=data, ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="a b+c/ü")
    assert got["Body"].read() == data
    assert got["ContentType"] == "text/plain"
    part = s3.get_object(Bucket=bucket, Key="a b+c/ü", Range="bytes=10-19")
    assert part["Body"].read() == data[10:20]
    assert part["ContentRange"] == f"bytes 10-19/{len(data)}"
    etag = got["ETag"]
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket=bucket, Key="a b+c/ü", IfMatch='"0000"')
    assert code_of(failed.value) == "PreconditionFailed"
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket=bucket, Key="a b+c/ü", IfNoneMatch=etag)
    assert not_modified.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as exists:
        s3.put_object(Bucket=bucket, Key="a b+c/ü", Body=b"new", IfNoneMatch="*")
    assert code_of(exists.value) == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="a b+c/ü", Body=b"new", IfMatch=etag)
    with pytest.raises(ClientError) as stale:
        s3.put_object(Bucket=bucket, Key="a b+c/ü", Body=b"newer", IfMatch=etag)
    assert code_of(stale.value) == "PreconditionFailed"
    with pytest.raises(ClientError) as missing:
        s3.put_object(Bucket=bucket, Key="nothing", Body=b"x", IfMatch=etag)
    assert code_of(missing.value) == "NoSuchKey"
    with pytest.raises(ClientError) as range_error:
        s3.get_object(Bucket=bucket, Key="a b+c/ü", Range="bytes=100-")
    assert code_of(range_error.value) == "InvalidRange"
    with pytest.raises(ClientError) as no_key:
        s3.get_object(Bucket=bucket, Key="missing")
    assert code_of(no_key.value) == "NoSuchKey"


def test_listing_v2_paginates_with_a_delimiter(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    keys = [f"top{i}" for i in range(5)] + [f"dir{i}/x" for i in range(3)] + ["a+b c"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}
    )
    seen, prefixes = [], []
    for page in pages:
        seen += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert sorted(seen) == sorted(k for k in keys if "/" not in k)
    assert prefixes == ["dir0/", "dir1/", "dir2/"]
    v1 = s3.list_objects(Bucket=bucket, Prefix="dir", Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["dir0/", "dir1/"]
    assert v1["IsTruncated"] and v1["NextMarker"] == "dir1/"
    rest = s3.list_objects(Bucket=bucket, Prefix="dir", Delimiter="/", Marker=v1["NextMarker"])
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["dir2/"]


def test_the_v2_paginator_walks_2500_keys_with_a_delimiter_in_full_pages(
    s3: Any, alice: S3User
) -> None:
    """The client's paginator at its default page size (1,000): 1,500 top-level keys, 1,000
    under ``logs/`` rolled up into one common prefix, so the prefix and the keys around it
    straddle a page boundary; every key and the prefix come exactly once, in order."""
    bucket = new_bucket(s3, alice)
    top = [f"k{i:04d}" for i in range(1500)]
    logs = [f"logs/{i:04d}" for i in range(1000)]
    with ThreadPoolExecutor(8) as pool:  # within the client's ten pooled connections
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=b""), top + logs))
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/"))
    assert [page["KeyCount"] for page in pages] == [1000, 501]
    assert [page["IsTruncated"] for page in pages] == [True, False]
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert keys == top
    assert [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])] == ["logs/"]
    # Under the prefix, without the delimiter: exactly one full page, not truncated.
    (inside,) = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="logs/")
    assert [o["Key"] for o in inside["Contents"]] == logs
    assert not inside["IsTruncated"]
    # Smaller pages from a start key in the middle of the top-level keys.
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket,
            Delimiter="/",
            StartAfter="k0999",
            PaginationConfig={"PageSize": 300},
        )
    )
    assert [page["KeyCount"] for page in pages] == [300, 201]
    assert [page["IsTruncated"] for page in pages] == [True, False]
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == top[1000:]
    assert pages[-1]["CommonPrefixes"] == [{"Prefix": "logs/"}]


def test_emptying_a_bucket_through_versions_and_delete_objects(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    for i in range(7):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x")
    while True:
        listed = s3.list_object_versions(Bucket=bucket, MaxKeys=3)
        versions = listed.get("Versions", [])
        if not versions:
            break
        assert all(v["VersionId"] == "null" for v in versions)
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]
        result = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        assert not result.get("Errors")
    s3.delete_bucket(Bucket=bucket)


def test_copy_object(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"m": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    copied = s3.get_object(Bucket=bucket, Key="dst")
    assert copied["Body"].read() == b"payload"
    assert copied["Metadata"] == {"m": "1"}
    with pytest.raises(ClientError) as onto_itself:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert code_of(onto_itself.value) == "InvalidRequest"
    s3.copy_object(
        Bucket=bucket,
        Key="src",
        CopySource={"Bucket": bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        Metadata={"m": "2"},
    )
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"m": "2"}
