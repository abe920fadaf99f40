"""S3 access control lists through boto3 against a live S3 port, with two users and an
anonymous caller: canned ACLs, grant headers and ACL documents are stored and read back as
given, enforced for every caller (and through the REST API alike), and every attempt to take
or break a bucket is a clear 4xx."""

from __future__ import annotations

from collections.abc import Callable
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


def allowed(call: Callable[[], object]) -> bool:
    try:
        call()
    except ClientError:
        return False
    return True


def grants(acl: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (g["Grantee"].get("ID") or g["Grantee"].get("URI", ""), g["Permission"])
        for g in acl["Grants"]
    ]


def user_grant(user_id: str, permission: str) -> dict[str, Any]:
    return {"Grantee": {"ID": user_id, "Type": "CanonicalUser"}, "Permission": permission}


def policy(owner_id: str, *granted: dict[str, Any]) -> dict[str, Any]:
    return {"Owner": {"ID": owner_id}, "Grants": list(granted)}


def test_canned_acls_read_back_as_s3_defines_them(
    s3: Any, alice: S3User, ids: dict[str, str], live_server: LiveServer
) -> None:
    me = ids[alice.name]
    expected = {
        "private": [(me, "FULL_CONTROL")],
        "public-read": [(ALL_USERS, "READ"), (me, "FULL_CONTROL")],
        "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE"), (me, "FULL_CONTROL")],
        "authenticated-read": [(AUTHENTICATED, "READ"), (me, "FULL_CONTROL")],
        "bucket-owner-full-control": [(me, "FULL_CONTROL")],
    }
    for canned, answer in expected.items():
        created = new_bucket(s3, alice) + "-c"
        s3.create_bucket(Bucket=created, ACL=canned)
        assert grants(s3.get_bucket_acl(Bucket=created)) == answer, canned
        changed = new_bucket(s3, alice)
        s3.put_bucket_acl(Bucket=changed, ACL=canned)
        assert grants(s3.get_bucket_acl(Bucket=changed)) == answer, canned
        # The REST API sees the visibility public-read states.
        namespace, name = changed.split("--", 1)
        listed = httpx.get(f"{live_server.url}/api/buckets/{namespace}/{name}/objects")
        assert listed.status_code == (200 if "public" in canned else 404), canned
    owner = s3.get_bucket_acl(Bucket=changed)["Owner"]
    assert owner == {"ID": me, "DisplayName": alice.name}


def test_public_read_write_lets_anyone_list_and_write(
    s3: Any, alice: S3User, anonymous: Any
) -> None:
    bucket = new_bucket(s3, alice)
    assert refused(lambda: anonymous.list_objects_v2(Bucket=bucket)) == (404, "NoSuchBucket")
    # An anonymous write is refused alike whether or not the bucket exists.
    assert refused(lambda: anonymous.put_object(Bucket=bucket, Key="a", Body=b"x")) == (
        403,
        "AccessDenied",
    )
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert anonymous.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert refused(lambda: anonymous.put_object(Bucket=bucket, Key="a", Body=b"x")) == (
        403,
        "AccessDenied",
    )
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    anonymous.put_object(Bucket=bucket, Key="a", Body=b"from anyone")
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"from anyone"
    anonymous.delete_object(Bucket=bucket, Key="a")
    # Writing objects is not writing the ACL.
    assert refused(lambda: anonymous.put_bucket_acl(Bucket=bucket, ACL="private"))[0] == 403
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert refused(lambda: anonymous.list_objects_v2(Bucket=bucket))[0] == 404


# What bob may do in alice's bucket after each grant: list, put, read the ACL, write it.
@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        (["READ"], (True, False, False, False)),
        (["WRITE"], (False, True, False, False)),
        (["READ_ACP"], (False, False, True, False)),
        (["WRITE_ACP"], (False, False, False, True)),
        (["FULL_CONTROL"], (True, True, True, True)),
        (["READ", "WRITE"], (True, True, False, False)),
    ],
)
def test_each_grant_allows_its_own_operations(
    s3: Any,
    bob: Any,
    alice: S3User,
    ids: dict[str, str],
    bob_user: S3User,
    permissions: list[str],
    expected: tuple[bool, ...],
) -> None:
    bucket = new_bucket(s3, alice)
    me, them = ids[alice.name], ids[bob_user.name]
    given = policy(me, user_grant(me, "FULL_CONTROL"), *(user_grant(them, p) for p in permissions))
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=given)
    assert sorted(grants(s3.get_bucket_acl(Bucket=bucket))) == sorted(
        [(me, "FULL_CONTROL"), *((them, p) for p in permissions)]
    )
    got = (
        allowed(lambda: bob.list_objects_v2(Bucket=bucket)),
        allowed(lambda: bob.put_object(Bucket=bucket, Key="bob", Body=b"b")),
        allowed(lambda: bob.get_bucket_acl(Bucket=bucket)),
        allowed(lambda: bob.put_bucket_acl(Bucket=bucket, AccessControlPolicy=given)),
    )
    assert got == expected
    # No grant lets bob delete the bucket: that stays with its owner.
    s3.delete_object(Bucket=bucket, Key="bob")
    assert refused(lambda: bob.delete_bucket(Bucket=bucket))[0] == 403


def test_grant_headers_on_create_and_put(
    s3: Any, bob: Any, alice: S3User, ids: dict[str, str], bob_user: S3User
) -> None:
    them = ids[bob_user.name]
    bucket = new_bucket(s3, alice) + "-h"
    s3.create_bucket(
        Bucket=bucket, GrantRead=f'id="{them}"', GrantWriteACP=f"id={them}, uri={AUTHENTICATED}"
    )
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == [
        (AUTHENTICATED, "WRITE_ACP"),
        (them, "READ"),
        (them, "WRITE_ACP"),
    ]
    assert bob.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.put_bucket_acl(Bucket=bucket, GrantFullControl=f'id="{them}"')
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == [(them, "FULL_CONTROL")]
    bob.put_object(Bucket=bucket, Key="k", Body=b"b")
    # The owner holds full control with no grant of its own.
    s3.put_object(Bucket=bucket, Key="mine", Body=b"a")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert refused(lambda: bob.list_objects_v2(Bucket=bucket))[0] == 404


def test_attempts_to_take_or_break_a_bucket_are_4xx_and_change_nothing(
    live_server: LiveServer,
    s3: Any,
    bob: Any,
    anonymous: Any,
    alice: S3User,
    ids: dict[str, str],
    bob_user: S3User,
) -> None:
    bucket = new_bucket(s3, alice)
    me, them = ids[alice.name], ids[bob_user.name]
    take = policy(them, user_grant(them, "FULL_CONTROL"))
    attempts = {
        "bob grants himself": (
            lambda: bob.put_bucket_acl(Bucket=bucket, AccessControlPolicy=take),
            (404, "NoSuchBucket"),
        ),
        "bob by header": (
            lambda: bob.put_bucket_acl(Bucket=bucket, GrantFullControl=f"id={them}"),
            (404, "NoSuchBucket"),
        ),
        "bob reads": (lambda: bob.get_bucket_acl(Bucket=bucket), (404, "NoSuchBucket")),
        "anonymous": (
            lambda: anonymous.put_bucket_acl(Bucket=bucket, ACL="public-read-write"),
            (403, "AccessDenied"),
        ),
        "another owner": (
            lambda: s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=take),
            (403, "AccessDenied"),
        ),
        "no such user": (
            lambda: s3.put_bucket_acl(
                Bucket=bucket, AccessControlPolicy=policy(me, user_grant("0" * 32, "READ"))
            ),
            (400, "InvalidArgument"),
        ),
        "no such user by header": (
            lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead='id="nobody"'),
            (400, "InvalidArgument"),
        ),
        "by e-mail": (
            lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead='emailAddress="bob@example.com"'),
            (400, "UnresolvableGrantByEmailAddress"),
        ),
        "unknown group": (
            lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead='uri="http://example.com/all"'),
            (400, "InvalidArgument"),
        ),
        "canned and grants": (
            lambda: s3.put_bucket_acl(Bucket=bucket, ACL="private", GrantRead=f"id={them}"),
            (400, "InvalidRequest"),
        ),
        "unknown canned": (
            lambda: s3.put_bucket_acl(Bucket=bucket, ACL="everyone-please"),
            (400, "InvalidArgument"),
        ),
        "service canned": (
            lambda: s3.put_bucket_acl(Bucket=bucket, ACL="log-delivery-write"),
            (501, "NotImplemented"),
        ),
        "101 grants": (
            lambda: s3.put_bucket_acl(
                Bucket=bucket, AccessControlPolicy=policy(me, *[user_grant(me, "READ")] * 101)
            ),
            (400, "MalformedACLError"),
        ),
        "unknown grantee at create": (
            lambda: s3.create_bucket(Bucket=bucket + "-x", GrantRead="id=nobody"),
            (400, "InvalidArgument"),
        ),
    }
    for name, (attempt, expected) in attempts.items():
        assert refused(attempt) == expected, name
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == [(me, "FULL_CONTROL")]
    assert refused(lambda: s3.head_bucket(Bucket=bucket + "-x"))[0] == 404

    url = s3.generate_presigned_url(
        "put_bucket_acl", Params={"Bucket": bucket, "AccessControlPolicy": take}
    )
    grant = f"<Grant><Grantee><ID>{me}</ID></Grantee><Permission>READ</Permission></Grant>"
    bodies = {
        b"garbage": "MalformedACLError",
        b"<AccessControlPolicy>": "MalformedACLError",
        b"<Other/>": "MalformedACLError",
        b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>": "MalformedACLError",
        (
            f"<AccessControlPolicy><Owner><ID>{me}</ID></Owner><AccessControlList><Grant>"
            f"<Grantee><ID>{me}</ID></Grantee><Permission>ALL</Permission></Grant>"
            "</AccessControlList></AccessControlPolicy>"
        ).encode(): "MalformedACLError",
        b'<!DOCTYPE x [<!ENTITY a "b">]><AccessControlPolicy/>': "MalformedACLError",
        (
            f"<AccessControlPolicy><Owner><ID>{me}</ID></Owner><AccessControlList>"
            + grant * 13000
            + "</AccessControlList></AccessControlPolicy>"
        ).encode(): "MalformedACLError",
    }
    for body, code in bodies.items():
        answer = httpx.put(url, content=body)
        assert answer.status_code == 400, answer.text
        assert f"<Code>{code}</Code>" in answer.text
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == [(me, "FULL_CONTROL")]


def test_objects_keep_their_own_acls(
    live_server: LiveServer,
    s3: Any,
    anonymous: Any,
    alice: S3User,
    ids: dict[str, str],
    bob_user: S3User,
) -> None:
    me, them = ids[alice.name], ids[bob_user.name]
    bucket = new_bucket(s3, alice)
    expected = {
        "private": [(me, "FULL_CONTROL")],
        "public-read": [(ALL_USERS, "READ"), (me, "FULL_CONTROL")],
        "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE"), (me, "FULL_CONTROL")],
        "authenticated-read": [(AUTHENTICATED, "READ"), (me, "FULL_CONTROL")],
        "bucket-owner-full-control": [(me, "FULL_CONTROL")],
    }
    for canned, answer in expected.items():
        s3.put_object(Bucket=bucket, Key=canned, Body=b"x", ACL=canned)
        assert grants(s3.get_object_acl(Bucket=bucket, Key=canned)) == answer, canned
    s3.put_object_acl(Bucket=bucket, Key="private", ACL="public-read")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="private")) == expected["public-read"]
    # A public object of a private bucket: anyone reads it, nobody lists the bucket.
    assert anonymous.get_object(Bucket=bucket, Key="public-read")["Body"].read() == b"x"
    assert (
        refused(lambda: anonymous.get_object(Bucket=bucket, Key="bucket-owner-full-control"))[0]
        == 404
    )
    assert refused(lambda: anonymous.list_objects_v2(Bucket=bucket))[0] == 404
    url = f"{live_server.s3_url}/{bucket}/public-read"
    assert httpx.get(url).content == b"x"

    # Grant headers and documents; a copy takes the request's ACL, not its source's.
    s3.put_object(Bucket=bucket, Key="h", Body=b"h", GrantRead=f"id={them}")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="h")) == [(them, "READ")]
    s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "h"})
    assert grants(s3.get_object_acl(Bucket=bucket, Key="c")) == [(me, "FULL_CONTROL")]
    s3.put_object_acl(
        Bucket=bucket,
        Key="c",
        AccessControlPolicy=policy(me, user_grant(me, "FULL_CONTROL"), user_grant(them, "READ")),
    )
    assert sorted(grants(s3.get_object_acl(Bucket=bucket, Key="c"))) == sorted(
        [(me, "FULL_CONTROL"), (them, "READ")]
    )
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m", ACL="public-read")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"m")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="m",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert grants(s3.get_object_acl(Bucket=bucket, Key="m")) == expected["public-read"]
    assert anonymous.get_object(Bucket=bucket, Key="m")["Body"].read() == b"m"


def test_a_writer_owns_its_objects_in_anothers_bucket(
    s3: Any, bob: Any, alice: S3User, ids: dict[str, str], bob_user: S3User
) -> None:
    me, them = ids[alice.name], ids[bob_user.name]
    bucket = new_bucket(s3, alice)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    bob.put_object(Bucket=bucket, Key="b", Body=b"b", ACL="bucket-owner-read")
    answer = bob.get_object_acl(Bucket=bucket, Key="b")
    assert answer["Owner"] == {"ID": them, "DisplayName": bob_user.name}
    assert grants(answer) == [(them, "FULL_CONTROL"), (me, "READ")]
    # The bucket's owner reads and replaces it; the object keeps its owner.
    s3.put_object_acl(Bucket=bucket, Key="b", ACL="bucket-owner-full-control")
    assert grants(s3.get_object_acl(Bucket=bucket, Key="b")) == [
        (them, "FULL_CONTROL"),
        (me, "FULL_CONTROL"),
    ]
    assert refused(
        lambda: s3.put_object_acl(
            Bucket=bucket, Key="b", AccessControlPolicy=policy(me, user_grant(me, "READ"))
        )
    ) == (403, "AccessDenied")


def test_attempts_on_anothers_objects_are_4xx(
    live_server: LiveServer,
    s3: Any,
    bob: Any,
    anonymous: Any,
    alice: S3User,
    ids: dict[str, str],
    bob_user: S3User,
) -> None:
    me, them = ids[alice.name], ids[bob_user.name]
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    take = policy(them, user_grant(them, "FULL_CONTROL"))
    assert refused(
        lambda: bob.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=take)
    ) == (404, "NoSuchBucket")
    assert refused(lambda: bob.get_object_acl(Bucket=bucket, Key="k")) == (404, "NoSuchBucket")
    assert (
        refused(lambda: anonymous.put_object_acl(Bucket=bucket, Key="k", ACL="public-read"))[0]
        == 403
    )
    assert refused(lambda: s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=take)) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: s3.put_object_acl(Bucket=bucket, Key="k", GrantRead="id=nobody")) == (
        400,
        "InvalidArgument",
    )
    assert refused(lambda: s3.put_object(Bucket=bucket, Key="n", Body=b"n", GrantRead="id=x")) == (
        400,
        "InvalidArgument",
    )
    assert refused(lambda: s3.get_object_acl(Bucket=bucket, Key="nothing")) == (404, "NoSuchKey")
    url = s3.generate_presigned_url(
        "put_object_acl", Params={"Bucket": bucket, "Key": "k", "AccessControlPolicy": take}
    )
    for body in (b"garbage", b"<AccessControlPolicy>", b"\x00" * (1 << 20)):
        answer = httpx.put(url, content=body)
        assert answer.status_code == 400, answer.text
        assert "<Code>MalformedACLError</Code>" in answer.text
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [(me, "FULL_CONTROL")]
    # Nothing written by the refused object write.
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


def test_who_may_not_change_an_acl_is_refused_before_its_body_is_read(
    live_server: LiveServer, s3: Any, alice: S3User, bob: Any, ids: dict[str, str]
) -> None:
    """As S3 decides it: permission first, so an oversized or malformed ACL, or a bad ACL
    header, from a caller who may not change the ACL gets that caller's refusal, not the
    document's error; the owner gets the document's."""
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    me = ids[alice.name]
    oversized = b"<AccessControlPolicy>" + b" " * (1 << 20)
    for target in (f"{live_server.s3_url}/{bucket}?acl", f"{live_server.s3_url}/{bucket}/k?acl"):
        for body, headers in (
            (oversized, {}),
            (b"garbage", {}),
            (b"", {"x-amz-acl": "no-such-canned-acl"}),
        ):
            answer = httpx.put(target, content=body, headers=headers)
            assert answer.status_code == 403, answer.text
            assert "<Code>AccessDenied</Code>" in answer.text
    # Another user: the private bucket is not theirs to know of.
    for call in (
        lambda: bob.put_bucket_acl(Bucket=bucket, ACL="no-such-canned-acl"),
        lambda: bob.put_object_acl(Bucket=bucket, Key="k", ACL="no-such-canned-acl"),
    ):
        assert refused(call) == (404, "NoSuchBucket")
    # The owner: the document's own error.
    url = s3.generate_presigned_url(
        "put_bucket_acl", Params={"Bucket": bucket, "AccessControlPolicy": policy(me)}
    )
    answer = httpx.put(url, content=oversized)
    assert answer.status_code == 400 and "<Code>MalformedACLError</Code>" in answer.text
    assert grants(s3.get_bucket_acl(Bucket=bucket)) == [(me, "FULL_CONTROL")]
    assert grants(s3.get_object_acl(Bucket=bucket, Key="k")) == [(me, "FULL_CONTROL")]
