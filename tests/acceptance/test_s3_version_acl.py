"""Access control lists per object version through boto3 against a live S3 port: every write
(PUT, copy, multipart completion) gives its new version an ACL, Get/PutObjectAcl with
``VersionId`` read and replace one version's, a read of a version is decided by that
version's ACL whatever the latest's says, and the errors of versions that are not there,
delete markers and other users; suspended versioning's and an unversioned bucket's ``null``
version; tagging and attributes reads per version, by the version's ACL and by the policy
actions S3 names for them."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import ALL_USERS, AUTHENTICATED, S3User, new_bucket, refused, user_id

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def ids(live_server: LiveServer, alice: S3User, bob_user: S3User) -> dict[str, str]:
    return {user.name: user_id(live_server, user) for user in (alice, bob_user)}


@pytest.fixture
def versioned(s3: Any, alice: S3User) -> str:
    """A new private bucket of alice's with versioning enabled."""
    name = new_bucket(s3, alice)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def grants(s3: Any, bucket: str, key: str, **version: str) -> list[tuple[str, str]]:
    acl = s3.get_object_acl(Bucket=bucket, Key=key, **version)
    return [
        (g["Grantee"].get("ID") or g["Grantee"].get("URI", ""), g["Permission"])
        for g in acl["Grants"]
    ]


def read(client: Any, bucket: str, key: str, **version: str) -> bytes:
    return bytes(client.get_object(Bucket=bucket, Key=key, **version)["Body"].read())


def test_each_write_gives_its_version_an_acl_read_and_replaced_by_id(
    s3: Any, versioned: str, ids: dict[str, str], alice: S3User, bob_user: S3User
) -> None:
    me, them = ids[alice.name], ids[bob_user.name]
    bucket = versioned
    public = s3.put_object(Bucket=bucket, Key="k", Body=b"1", ACL="public-read")["VersionId"]
    plain = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    assert grants(s3, bucket, "k", VersionId=public) == [(ALL_USERS, "READ"), (me, "FULL_CONTROL")]
    assert grants(s3, bucket, "k", VersionId=plain) == [(me, "FULL_CONTROL")]
    assert grants(s3, bucket, "k") == [(me, "FULL_CONTROL")]

    # Replacing one version's ACL leaves the others'.
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=plain, GrantRead=f"id={them}")
    assert grants(s3, bucket, "k", VersionId=plain) == [(them, "READ")]
    assert grants(s3, bucket, "k") == [(them, "READ")]
    assert grants(s3, bucket, "k", VersionId=public) == [(ALL_USERS, "READ"), (me, "FULL_CONTROL")]
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="authenticated-read")  # the latest's
    assert grants(s3, bucket, "k", VersionId=plain) == [
        (AUTHENTICATED, "READ"),
        (me, "FULL_CONTROL"),
    ]

    # A copy of an older version and a multipart completion: new versions with the
    # request's ACL; the versions they replace keep theirs.
    copied = s3.copy_object(
        Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k", "VersionId": public}
    )["VersionId"]
    assert grants(s3, bucket, "k", VersionId=copied) == [(me, "FULL_CONTROL")]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k", ACL="public-read")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"m")["ETag"]
    completed = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="k",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )["VersionId"]
    assert grants(s3, bucket, "k") == [(ALL_USERS, "READ"), (me, "FULL_CONTROL")]
    assert grants(s3, bucket, "k", VersionId=copied) == [(me, "FULL_CONTROL")]
    assert grants(s3, bucket, "k", VersionId=plain) == [
        (AUTHENTICATED, "READ"),
        (me, "FULL_CONTROL"),
    ]

    # Removing the latest makes the one below it the latest, with its own ACL.
    s3.delete_object(Bucket=bucket, Key="k", VersionId=completed)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=copied)
    assert grants(s3, bucket, "k") == [(AUTHENTICATED, "READ"), (me, "FULL_CONTROL")]
    assert read(s3, bucket, "k") == b"2"


def test_a_versions_acl_decides_who_reads_that_version(
    live_server: LiveServer,
    s3: Any,
    bob: Any,
    anonymous: Any,
    versioned: str,
    ids: dict[str, str],
    bob_user: S3User,
) -> None:
    them = ids[bob_user.name]
    bucket = versioned
    old = s3.put_object(Bucket=bucket, Key="k", Body=b"old", GrantRead=f"id={them}")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="k", Body=b"new")["VersionId"]
    # The older version grants bob a read; the latest, private, does not.
    assert read(bob, bucket, "k", VersionId=old) == b"old"
    assert bob.head_object(Bucket=bucket, Key="k", VersionId=old)["ContentLength"] == 3
    assert refused(lambda: read(bob, bucket, "k"))[0] == 404
    assert refused(lambda: read(bob, bucket, "k", VersionId=new))[0] == 404
    assert refused(lambda: read(anonymous, bucket, "k", VersionId=old))[0] == 404

    # The other way round: the latest grants everyone a read, the older version nobody.
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=new, ACL="public-read")
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=old, ACL="private")
    assert read(bob, bucket, "k") == b"new"
    assert read(anonymous, bucket, "k", VersionId=new) == b"new"
    assert httpx.get(f"{live_server.s3_url}/{bucket}/k?versionId={new}").content == b"new"
    assert refused(lambda: read(bob, bucket, "k", VersionId=old))[0] == 404
    assert refused(lambda: read(anonymous, bucket, "k", VersionId=old))[0] == 404
    answer = httpx.get(f"{live_server.s3_url}/{bucket}/k?versionId={old}")
    assert answer.status_code == 404 and b"old" not in answer.content
    # A read grant on a version is no right to its ACL, nor to change it.
    assert refused(lambda: bob.get_object_acl(Bucket=bucket, Key="k", VersionId=new)) == (
        403,
        "AccessDenied",
    )
    assert refused(
        lambda: bob.put_object_acl(Bucket=bucket, Key="k", VersionId=new, ACL="private")
    ) == (403, "AccessDenied")
    assert read(anonymous, bucket, "k", VersionId=new) == b"new"


def test_versions_that_have_no_acl_are_errors(s3: Any, bob: Any, versioned: str) -> None:
    bucket = versioned
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"k")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    missing = "0" * 32
    for call in (
        lambda v: s3.get_object_acl(Bucket=bucket, Key="k", VersionId=v),
        lambda v: s3.put_object_acl(Bucket=bucket, Key="k", VersionId=v, ACL="public-read"),
    ):
        assert refused(partial(call, missing)) == (404, "NoSuchVersion")
        assert refused(partial(call, marker)) == (405, "MethodNotAllowed")
        assert refused(partial(call, "not-a-version"))[0] == 400
    assert refused(lambda: s3.get_object_acl(Bucket=bucket, Key="other", VersionId=version)) == (
        404,
        "NoSuchVersion",
    )
    # The key's latest is a delete marker: no object to ask without an id.
    assert refused(lambda: s3.get_object_acl(Bucket=bucket, Key="k")) == (404, "NoSuchKey")
    # Another user learns nothing of the bucket's versions.
    for asked in (version, missing, marker):
        assert refused(partial(bob.get_object_acl, Bucket=bucket, Key="k", VersionId=asked)) == (
            404,
            "NoSuchBucket",
        )
    # The version under the marker is still there, with its ACL.
    assert [g[1] for g in grants(s3, bucket, "k", VersionId=version)] == ["FULL_CONTROL"]


def test_null_versions_keep_their_acls_as_before(
    s3: Any, anonymous: Any, alice: S3User, ids: dict[str, str]
) -> None:
    me = ids[alice.name]
    plain = new_bucket(s3, alice)
    s3.put_object(Bucket=plain, Key="k", Body=b"k", ACL="public-read")
    assert grants(s3, plain, "k", VersionId="null") == grants(s3, plain, "k")
    assert read(anonymous, plain, "k", VersionId="null") == b"k"
    s3.put_object_acl(Bucket=plain, Key="k", VersionId="null", ACL="private")
    assert grants(s3, plain, "k") == [(me, "FULL_CONTROL")]
    assert refused(lambda: read(anonymous, plain, "k"))[0] == 404
    assert refused(lambda: s3.get_object_acl(Bucket=plain, Key="k", VersionId="0" * 32)) == (
        404,
        "NoSuchVersion",
    )

    # Suspended: a write replaces the null version, ACL and all; versions with ids keep theirs.
    s3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=plain, Key="k", Body=b"kept", ACL="public-read")["VersionId"]
    s3.put_bucket_versioning(Bucket=plain, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=plain, Key="k", Body=b"s", ACL="authenticated-read")
    assert grants(s3, plain, "k", VersionId="null") == [
        (AUTHENTICATED, "READ"),
        (me, "FULL_CONTROL"),
    ]
    s3.put_object(Bucket=plain, Key="k", Body=b"t")
    assert grants(s3, plain, "k", VersionId="null") == [(me, "FULL_CONTROL")]
    assert grants(s3, plain, "k", VersionId=kept) == [(ALL_USERS, "READ"), (me, "FULL_CONTROL")]
    assert read(anonymous, plain, "k", VersionId=kept) == b"kept"
    assert refused(lambda: read(anonymous, plain, "k"))[0] == 404


def tag_set(client: Any, bucket: str, key: str, **version: str) -> dict[str, str]:
    found = client.get_object_tagging(Bucket=bucket, Key=key, **version)["TagSet"]
    return {t["Key"]: t["Value"] for t in found}


def size(client: Any, bucket: str, key: str, **version: str) -> int:
    found = client.get_object_attributes(
        Bucket=bucket, Key=key, ObjectAttributes=["ObjectSize"], **version
    )
    return int(found["ObjectSize"])


def test_a_versions_acl_decides_who_reads_its_tags_and_attributes(
    s3: Any, bob: Any, versioned: str, ids: dict[str, str], bob_user: S3User
) -> None:
    them = ids[bob_user.name]
    bucket = versioned
    old = s3.put_object(
        Bucket=bucket, Key="k", Body=b"old", Tagging="v=old", GrantRead=f"id={them}"
    )["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="k", Body=b"newer", Tagging="v=new")["VersionId"]
    # The older version grants bob a read; the latest, private, does not.
    assert tag_set(bob, bucket, "k", VersionId=old) == {"v": "old"}
    assert size(bob, bucket, "k", VersionId=old) == 3
    for version in ({}, {"VersionId": new}):
        assert refused(lambda v=version: tag_set(bob, bucket, "k", **v))[0] == 404
        assert refused(lambda v=version: size(bob, bucket, "k", **v))[0] == 404

    # The other way round: the latest grants bob a read, the older version no longer does.
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=new, GrantRead=f"id={them}")
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=old, ACL="private")
    for version in ({}, {"VersionId": new}):
        assert tag_set(bob, bucket, "k", **version) == {"v": "new"}
        assert size(bob, bucket, "k", **version) == 5
    assert refused(lambda: tag_set(bob, bucket, "k", VersionId=old))[0] == 404
    assert refused(lambda: size(bob, bucket, "k", VersionId=old))[0] == 404
    # The owner reads both, each its own.
    assert tag_set(s3, bucket, "k", VersionId=old) == {"v": "old"}
    assert size(s3, bucket, "k", VersionId=old) == 3


def policy(bucket: str, bob_id: str, effect: str, *actions: str) -> str:
    statement = {
        "Effect": effect,
        "Principal": {"AWS": [bob_id]},
        "Action": list(actions),
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_policies_name_the_version_actions_of_tagging_and_attributes_reads(
    s3: Any, bob: Any, versioned: str, ids: dict[str, str], bob_user: S3User
) -> None:
    them = ids[bob_user.name]
    bucket = versioned
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"abc", Tagging="t=1")["VersionId"]
    latest = {"VersionId": version}

    def outcomes() -> dict[str, object]:
        calls: dict[str, Callable[[], object]] = {
            "version tags": lambda: tag_set(bob, bucket, "k", **latest),
            "tags": lambda: tag_set(bob, bucket, "k"),
            "version attributes": lambda: size(bob, bucket, "k", **latest),
            "attributes": lambda: size(bob, bucket, "k"),
        }
        found: dict[str, object] = {}
        for name, call in calls.items():
            try:
                found[name] = call()
            except ClientError as error:
                found[name] = error.response["ResponseMetadata"]["HTTPStatusCode"]
        return found

    # A version's tags are read with s3:GetObjectVersionTagging, the latest's with
    # s3:GetObjectTagging.
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, them, "Allow",
                                                      "s3:GetObjectVersionTagging"))  # fmt: skip
    assert outcomes() == {
        "version tags": {"t": "1"}, "tags": 403, "version attributes": 403, "attributes": 403
    }  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, them, "Allow",
                                                      "s3:GetObjectTagging"))  # fmt: skip
    assert outcomes() == {
        "version tags": 403, "tags": {"t": "1"}, "version attributes": 403, "attributes": 403
    }  # fmt: skip
    # Attributes need the read of the object too: s3:GetObjectVersion with
    # s3:GetObjectVersionAttributes for a version, s3:GetObject with s3:GetObjectAttributes.
    for alone in ("s3:GetObjectVersionAttributes", "s3:GetObjectVersion",
                  "s3:GetObjectAttributes", "s3:GetObject"):  # fmt: skip
        s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, them, "Allow", alone))
        assert outcomes()["version attributes"] == 403, alone
        assert outcomes()["attributes"] == 403, alone
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, them, "Allow", "s3:GetObjectVersion", "s3:GetObjectVersionAttributes"
    ))  # fmt: skip
    assert outcomes() == {"version tags": 403, "tags": 403, "version attributes": 3,
                          "attributes": 403}  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, them, "Allow", "s3:GetObject", "s3:GetObjectAttributes"
    ))  # fmt: skip
    assert outcomes() == {"version tags": 403, "tags": 403, "version attributes": 403,
                          "attributes": 3}  # fmt: skip

    # A Deny of one version action refuses what the version's ACL grants.
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=version, GrantRead=f"id={them}")
    s3.delete_bucket_policy(Bucket=bucket)
    assert outcomes() == {"version tags": {"t": "1"}, "tags": {"t": "1"},
                          "version attributes": 3, "attributes": 3}  # fmt: skip
    for denied, refused_reads in (
        ("s3:GetObjectVersionTagging", {"version tags"}),
        ("s3:GetObjectVersionAttributes", {"version attributes"}),
        ("s3:GetObjectVersion", {"version attributes"}),
        ("s3:GetObjectAttributes", {"attributes"}),
    ):
        s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket, them, "Deny", denied))
        found = outcomes()
        # Refused as unseen: bob holds nothing on the bucket itself, and the policy gives
        # him nothing either.
        assert {name for name, value in found.items() if value == 404} == refused_reads, (
            denied,
            found,
        )
