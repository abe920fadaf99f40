"""S3 ACLs through boto3 against a live S3 port: what the core's private/public buckets can
state is answered truthfully, and every ACL asking for access the core cannot grant is
refused (501), never silently accepted."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, code_of, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> S3User:
    return make_s3_user(live_server)


@pytest.fixture(scope="module")
def s3(live_server: LiveServer, alice: S3User) -> Any:
    return s3_client(live_server, alice)


def status_and_code(error: ClientError) -> tuple[int, str]:
    return error.response["ResponseMetadata"]["HTTPStatusCode"], code_of(error)


def grants(acl: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (g["Grantee"].get("ID") or g["Grantee"].get("URI", ""), g["Permission"])
        for g in acl["Grants"]
    }


def test_acls_state_who_may_read(live_server: LiveServer, s3: Any, alice: S3User) -> None:
    private = new_bucket(s3, alice)
    public = f"{alice.name}--pub-{private.rsplit('-', 1)[-1]}"
    s3.create_bucket(Bucket=public, ACL="public-read")
    s3.put_object(Bucket=private, Key="k", Body=b"x")
    s3.put_object(Bucket=public, Key="k", Body=b"x", ACL="public-read")

    mine = s3.get_bucket_acl(Bucket=private)
    owner = mine["Owner"]["ID"]
    assert grants(mine) == {(owner, "FULL_CONTROL")}
    assert grants(s3.get_object_acl(Bucket=private, Key="k")) == {(owner, "FULL_CONTROL")}
    assert grants(s3.get_bucket_acl(Bucket=public)) == {
        (owner, "FULL_CONTROL"),
        (ALL_USERS, "READ"),
    }
    # Re-stating what holds changes nothing and is accepted, as tools that set ACLs do.
    s3.put_bucket_acl(Bucket=private, ACL="private")
    s3.put_object_acl(Bucket=public, Key="k", ACL="public-read")
    with pytest.raises(ClientError) as missing:
        s3.get_object_acl(Bucket=private, Key="nothing")
    assert status_and_code(missing.value) == (404, "NoSuchKey")


def test_acls_the_core_cannot_grant_are_refused(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    refused = [
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="authenticated-read"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", GrantRead='uri="x"'),
        lambda: s3.copy_object(
            Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}, ACL="public-read"
        ),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ACL="public-read-write"),
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"),
        lambda: s3.create_bucket(Bucket=f"{bucket}-rw", ACL="public-read-write"),
    ]
    for call in refused:
        with pytest.raises(ClientError) as error:
            call()
        assert status_and_code(error.value) == (501, "NotImplemented")
    # Nothing was written by the refused calls, and the bucket stayed private.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert len(s3.get_bucket_acl(Bucket=bucket)["Grants"]) == 1
    with pytest.raises(ClientError) as bogus:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="everyone-please")
    assert status_and_code(bogus.value) == (400, "InvalidArgument")


def test_acls_of_others_buckets_are_not_read_or_written(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    stranger = s3_client(live_server, make_s3_user(live_server))
    anonymous = s3_client(live_server)
    with pytest.raises(ClientError) as read:
        stranger.get_bucket_acl(Bucket=bucket)
    assert status_and_code(read.value) == (404, "NoSuchBucket")
    with pytest.raises(ClientError) as written:
        stranger.put_bucket_acl(Bucket=bucket, ACL="private")
    assert status_and_code(written.value) == (404, "NoSuchBucket")
    with pytest.raises(ClientError) as unsigned:
        anonymous.put_bucket_acl(Bucket=bucket, ACL="private")
    assert status_and_code(unsigned.value) == (403, "AccessDenied")
