"""Bucket versioning through boto3 against a live S3 port: Put/GetBucketVersioning, versions
written by PUT, copies, multipart completions, read and tagged by id, delete markers, removing
versions for good, suspended versioning and the ``null`` version, ListObjectVersions with its
paging, prefixes and delimiter, DeleteObjects with version ids, and what another user and a
careless client get."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, new_bucket, refused

pytestmark = pytest.mark.acceptance

MIB = 1024 * 1024


@pytest.fixture
def bucket(s3: Any, alice: S3User) -> str:
    """A new bucket with versioning enabled."""
    name = new_bucket(s3, alice)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def headers_of(call: Callable[[], object]) -> dict[str, str]:
    """The headers of an error answer."""
    with pytest.raises(ClientError) as caught:
        call()
    return dict(caught.value.response["ResponseMetadata"]["HTTPHeaders"])


def body(s3: Any, bucket: str, key: str, **extra: Any) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())


def versions(s3: Any, bucket: str, **extra: Any) -> list[tuple[str, str, bool, bool]]:
    """``(key, version id, is latest, is a delete marker)`` in the listing's order."""
    answer = s3.list_object_versions(Bucket=bucket, **extra)
    # boto3 parses the two kinds into two lists, each in the order of the wire.
    entries = [(v, False) for v in answer.get("Versions", [])]
    entries += [(m, True) for m in answer.get("DeleteMarkers", [])]
    return [(e["Key"], e["VersionId"], e["IsLatest"], marker) for e, marker in entries]


def test_versioning_is_absent_until_set_and_never_unset(s3: Any, alice: S3User) -> None:
    name = new_bucket(s3, alice)
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    s3.put_bucket_versioning(
        Bucket=name, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Disabled"}
    )
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    for status in ("Disabled", "enabled", ""):
        assert refused(
            lambda status=status: s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": status}
            )
        ) == (400, "IllegalVersioningConfigurationException")
    assert refused(
        lambda: s3.put_bucket_versioning(
            Bucket=name,
            VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
            MFA="device 123456",
        )
    ) == (501, "NotImplemented")
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"


def test_each_put_is_a_version_readable_by_its_id(s3: Any, bucket: str) -> None:
    ids = []
    for index in range(3):
        answer = s3.put_object(
            Bucket=bucket,
            Key="model.bin",
            Body=f"weights {index}".encode(),
            Metadata={"epoch": str(index)},
            Tagging=f"epoch={index}",
            ChecksumAlgorithm="SHA256",
        )
        ids.append(answer["VersionId"])
    assert len(set(ids)) == 3 and "null" not in ids
    assert body(s3, bucket, "model.bin") == b"weights 2"
    head = s3.head_object(Bucket=bucket, Key="model.bin")
    assert head["VersionId"] == ids[2]
    for index, version_id in enumerate(ids):
        got = s3.get_object(
            Bucket=bucket, Key="model.bin", VersionId=version_id, ChecksumMode="ENABLED"
        )
        assert got["Body"].read() == f"weights {index}".encode()
        assert got["VersionId"] == version_id
        assert got["Metadata"] == {"epoch": str(index)}
        assert got["ChecksumSHA256"]
        ranged = s3.get_object(
            Bucket=bucket, Key="model.bin", VersionId=version_id, Range="bytes=8-"
        )
        assert ranged["Body"].read() == str(index).encode()
        tags = s3.get_object_tagging(Bucket=bucket, Key="model.bin", VersionId=version_id)
        assert tags["TagSet"] == [{"Key": "epoch", "Value": str(index)}]
        assert tags["VersionId"] == version_id
    listed = versions(s3, bucket)
    assert listed == [
        ("model.bin", ids[2], True, False),
        ("model.bin", ids[1], False, False),
        ("model.bin", ids[0], False, False),
    ]


def test_tags_of_one_version_leave_the_others(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="a=1")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"2", Tagging="b=2")["VersionId"]
    s3.put_object_tagging(
        Bucket=bucket, Key="k", VersionId=first, Tagging={"TagSet": [{"Key": "c", "Value": "3"}]}
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=first)["TagSet"] == [
        {"Key": "c", "Value": "3"}
    ]
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "b", "Value": "2"}]
    s3.delete_object_tagging(Bucket=bucket, Key="k", VersionId=second)
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    assert s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=first)["TagSet"] != []


def test_a_delete_marker_hides_the_key_until_it_is_removed(
    s3: Any, bucket: str, live_server: LiveServer, alice: S3User
) -> None:
    kept = s3.put_object(Bucket=bucket, Key="a.txt", Body=b"kept")["VersionId"]
    gone = s3.delete_object(Bucket=bucket, Key="a.txt")
    assert gone["DeleteMarker"] is True
    marker = gone["VersionId"]
    assert marker not in ("null", kept)
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="a.txt")) == (404, "NoSuchKey")
    hidden = headers_of(lambda: s3.head_object(Bucket=bucket, Key="a.txt"))
    assert hidden["x-amz-delete-marker"] == "true" and hidden["x-amz-version-id"] == marker
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="a.txt", VersionId=marker)) == (
        405,
        "MethodNotAllowed",
    )
    marked = headers_of(lambda: s3.head_object(Bucket=bucket, Key="a.txt", VersionId=marker))
    assert marked["x-amz-delete-marker"] == "true"
    # The older version stays readable by its id, and listings of objects skip the key.
    assert body(s3, bucket, "a.txt", VersionId=kept) == b"kept"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert versions(s3, bucket) == [("a.txt", kept, False, False), ("a.txt", marker, True, True)]
    # The REST API sees the latest non-deleted version as the object, or none.
    namespace, name = bucket.split("--", 1)
    with live_server.client(alice.token) as rest:
        path = f"/api/buckets/{namespace}/{name}/objects/a.txt"
        assert rest.get(path).status_code == 404
        removed = s3.delete_object(Bucket=bucket, Key="a.txt", VersionId=marker)
        assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
        assert rest.get(path).content == b"kept"
    assert body(s3, bucket, "a.txt") == b"kept"


def test_removing_versions_for_good(s3: Any, bucket: str) -> None:
    ids = [
        s3.put_object(Bucket=bucket, Key="k", Body=bytes([i]) * 3)["VersionId"] for i in range(3)
    ]
    # The latest goes: the one before becomes the object.
    answer = s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[2])
    assert answer["VersionId"] == ids[2] and "DeleteMarker" not in answer
    assert body(s3, bucket, "k") == b"\x01" * 3
    # An older one goes: the object stays.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[0])
    assert body(s3, bucket, "k") == b"\x01" * 3
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=ids[0])) == (
        404,
        "NoSuchVersion",
    )
    # Removing it again, or an id the key never had, is not an error.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[0])
    s3.delete_object(Bucket=bucket, Key="k", VersionId="0" * 32)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=ids[1])
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)


def test_a_bucket_with_older_versions_is_not_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="k")
    assert refused(lambda: s3.delete_bucket(Bucket=bucket)) == (409, "BucketNotEmpty")
    for entry in versions(s3, bucket):
        s3.delete_object(Bucket=bucket, Key=entry[0], VersionId=entry[1])
    s3.delete_bucket(Bucket=bucket)


def test_suspended_versioning_replaces_the_null_version(s3: Any, alice: S3User) -> None:
    name = new_bucket(s3, alice)
    first = s3.put_object(Bucket=name, Key="k", Body=b"before versioning")
    assert "VersionId" not in first
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    enabled = s3.put_object(Bucket=name, Key="k", Body=b"enabled")["VersionId"]
    assert body(s3, name, "k", VersionId="null") == b"before versioning"
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    suspended = s3.put_object(Bucket=name, Key="k", Body=b"suspended")
    assert "VersionId" not in suspended
    assert body(s3, name, "k", VersionId="null") == b"suspended"
    assert versions(s3, name) == [("k", "null", True, False), ("k", enabled, False, False)]
    # A deletion is a null delete marker, replacing the null version.
    gone = s3.delete_object(Bucket=name, Key="k")
    assert gone["DeleteMarker"] is True and gone["VersionId"] == "null"
    assert versions(s3, name) == [("k", enabled, False, False), ("k", "null", True, True)]
    s3.delete_object(Bucket=name, Key="k", VersionId="null")
    assert body(s3, name, "k") == b"enabled"


def test_copies_name_their_source_version(s3: Any, bucket: str, alice: S3User) -> None:
    old = s3.put_object(Bucket=bucket, Key="src", Body=b"old")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"new")
    copied = s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old}
    )
    assert copied["CopySourceVersionId"] == old and copied["VersionId"] not in ("null", old)
    assert body(s3, bucket, "dst") == b"old"
    # Back to the old bytes at the same key: a new version on top.
    s3.copy_object(
        Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old}
    )
    assert body(s3, bucket, "src") == b"old"
    plain = new_bucket(s3, alice)
    s3.copy_object(
        Bucket=plain, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old}
    )
    assert body(s3, plain, "dst") == b"old"
    upload = s3.create_multipart_upload(Bucket=plain, Key="parts")["UploadId"]
    part = s3.upload_part_copy(
        Bucket=plain,
        Key="parts",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src", "VersionId": old},
    )
    assert part["CopySourceVersionId"] == old
    s3.complete_multipart_upload(
        Bucket=plain,
        Key="parts",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )
    assert body(s3, plain, "parts") == b"old"


def test_a_multipart_completion_is_a_version(s3: Any, bucket: str) -> None:
    before = s3.put_object(Bucket=bucket, Key="big", Body=b"small")["VersionId"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = []
    for number, fill in ((1, b"a"), (2, b"b")):
        answer = s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload, PartNumber=number, Body=fill * (5 * MIB)
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert done["VersionId"] not in ("null", before)
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == 10 * MIB
    assert body(s3, bucket, "big", VersionId=before) == b"small"
    ranged = s3.get_object(Bucket=bucket, Key="big", VersionId=done["VersionId"], PartNumber=2)
    assert ranged["Body"].read() == b"b" * (5 * MIB)


def test_conditional_puts_see_a_delete_marker_as_absent(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfNoneMatch="*")) == (
        412,
        "PreconditionFailed",
    )
    s3.delete_object(Bucket=bucket, Key="k")
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfMatch='"x"')) == (
        404,
        "NoSuchKey",
    )
    created = s3.put_object(Bucket=bucket, Key="k", Body=b"3", IfNoneMatch="*")
    etag = created["ETag"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"4", IfMatch=etag)
    assert body(s3, bucket, "k") == b"4"
    assert len(versions(s3, bucket)) == 4


def test_listing_versions_pages_by_key_and_version(s3: Any, bucket: str) -> None:
    expected = []
    for key in ("a", "b/1", "b/2", "c"):
        ids = [s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"] for _ in range(3)]
        marker = s3.delete_object(Bucket=bucket, Key=key)["VersionId"]
        expected += [(key, marker, True, True)]
        expected += [(key, version_id, False, False) for version_id in reversed(ids)]
    paged: list[str] = []
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 3}
    ):
        assert len(page.get("Versions", [])) + len(page.get("DeleteMarkers", [])) <= 3
        paged += [v["VersionId"] for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    assert sorted(paged) == sorted(e[1] for e in expected)
    assert len(paged) == len(set(paged)) == 16
    # The wire order, read page by page with one entry each.
    walked = []
    key_marker, version_marker = "", ""
    while True:
        page = s3.list_object_versions(
            Bucket=bucket, MaxKeys=1, KeyMarker=key_marker, VersionIdMarker=version_marker
        )
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) == 1
        entry = entries[0]
        walked.append((entry["Key"], entry["VersionId"], entry["IsLatest"], "Size" not in entry))
        if not page["IsTruncated"]:
            break
        key_marker, version_marker = page["NextKeyMarker"], page["NextVersionIdMarker"]
    assert walked == expected
    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["b/"]
    assert {v["Key"] for v in rolled["Versions"]} == {"a", "c"}
    only_b = s3.list_object_versions(Bucket=bucket, Prefix="b/", MaxKeys=5)
    assert only_b["IsTruncated"] and only_b["NextKeyMarker"] == "b/2"
    assert {v["Key"] for v in only_b["Versions"] + only_b["DeleteMarkers"]} == {"b/1", "b/2"}


def test_listing_continues_after_a_removed_version(s3: Any, bucket: str) -> None:
    """As code emptying a bucket does: list a page, delete what it listed, list on."""
    for _ in range(5):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    left = 5
    key_marker, version_marker = "", ""
    while left:
        page = s3.list_object_versions(
            Bucket=bucket, MaxKeys=2, KeyMarker=key_marker, VersionIdMarker=version_marker
        )
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page["Versions"]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        left -= len(batch)
        if not page["IsTruncated"]:
            break
        key_marker, version_marker = page["NextKeyMarker"], page["NextVersionIdMarker"]
    assert left == 0
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)


def test_delete_objects_with_and_without_version_ids(s3: Any, bucket: str) -> None:
    one = s3.put_object(Bucket=bucket, Key="one", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="two", Body=b"2")
    answer = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "one", "VersionId": one}, {"Key": "two"}]},
    )
    deleted = {entry["Key"]: entry for entry in answer["Deleted"]}
    assert deleted["one"]["VersionId"] == one and "DeleteMarker" not in deleted["one"]
    marker = deleted["two"]["DeleteMarkerVersionId"]
    assert deleted["two"]["DeleteMarker"] is True
    again = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "two", "VersionId": marker}, {"Key": "x", "VersionId": "?"}]},
    )
    assert again["Deleted"][0]["DeleteMarker"] is True
    assert again["Deleted"][0]["DeleteMarkerVersionId"] == marker
    assert again["Errors"][0]["Code"] == "InvalidArgument"
    assert body(s3, bucket, "two") == b"2"


def test_malformed_and_unknown_version_ids_are_clear_errors(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for bad in ("not-a-version", "A" * 32, "0" * 31, "0" * 2000, "../../etc/passwd", "NULL"):
        assert refused(lambda bad=bad: s3.get_object(Bucket=bucket, Key="k", VersionId=bad)) == (
            400,
            "InvalidArgument",
        )
        assert refused(lambda bad=bad: s3.delete_object(Bucket=bucket, Key="k", VersionId=bad)) == (
            400,
            "InvalidArgument",
        )
        assert refused(
            lambda bad=bad: s3.get_object_tagging(Bucket=bucket, Key="k", VersionId=bad)
        ) == (400, "InvalidArgument")
        assert refused(
            lambda bad=bad: s3.list_object_versions(
                Bucket=bucket, KeyMarker="k", VersionIdMarker=bad
            )
        ) == (400, "InvalidArgument")
        assert refused(
            lambda bad=bad: s3.copy_object(
                Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k", "VersionId": bad}
            )
        ) == (400, "InvalidArgument")
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId="f" * 32)) == (
        404,
        "NoSuchVersion",
    )
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="other", VersionId="null")) == (
        404,
        "NoSuchVersion",
    )
    assert refused(lambda: s3.list_object_versions(Bucket=bucket, VersionIdMarker="null")) == (
        400,
        "InvalidArgument",
    )
    assert body(s3, bucket, "k") == b"x"


def test_another_users_version_ids_open_nothing(
    s3: Any, bob: Any, bob_user: S3User, bucket: str
) -> None:
    version_id = s3.put_object(Bucket=bucket, Key="secret", Body=b"alice's")["VersionId"]
    missing = "alice--no-such-bucket-here"
    for target in (bucket, missing):
        answers = [
            refused(lambda t=target: bob.get_object(Bucket=t, Key="secret", VersionId=version_id)),
            refused(lambda t=target: bob.list_object_versions(Bucket=t)),
            refused(lambda t=target: bob.get_bucket_versioning(Bucket=t)),
            refused(
                lambda t=target: bob.put_bucket_versioning(
                    Bucket=t, VersioningConfiguration={"Status": "Suspended"}
                )
            ),
            refused(
                lambda t=target: bob.delete_object(Bucket=t, Key="secret", VersionId=version_id)
            ),
            refused(
                lambda t=target: bob.get_object_tagging(
                    Bucket=t, Key="secret", VersionId=version_id
                )
            ),
            refused(
                lambda t=target: bob.list_object_versions(
                    Bucket=t, KeyMarker="secret", VersionIdMarker=version_id
                )
            ),
        ]
        assert set(answers) == {(404, "NoSuchBucket")}, (target, answers)
    bob_bucket = new_bucket(bob, bob_user)
    assert refused(
        lambda: bob.copy_object(
            Bucket=bob_bucket,
            Key="stolen",
            CopySource={"Bucket": bucket, "Key": "secret", "VersionId": version_id},
        )
    ) == (404, "NoSuchBucket")
    assert refused(
        lambda: bob.get_object(Bucket=bob_bucket, Key="secret", VersionId=version_id)
    ) == (404, "NoSuchVersion")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert body(s3, bucket, "secret", VersionId=version_id) == b"alice's"


def test_a_bucket_policy_sees_the_version_actions(s3: Any, bucket: str) -> None:
    old = s3.put_object(Bucket=bucket, Key="k", Body=b"old")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:GetObjectVersion", "s3:DeleteObjectVersion"],
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert body(s3, bucket, "k") == b"new"
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=old)) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: s3.delete_object(Bucket=bucket, Key="k", VersionId=old)) == (
        403,
        "AccessDenied",
    )
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": old}, {"Key": "k"}]}
    )
    assert [e["Code"] for e in answer["Errors"]] == ["AccessDenied"]
    assert answer["Deleted"][0]["DeleteMarker"] is True
    s3.delete_bucket_policy(Bucket=bucket)
    assert body(s3, bucket, "k", VersionId=old) == b"old"
