"""Bucket policies through boto3 and plain HTTP against a live server: setting, reading and
removing one (owner only, refused with MalformedPolicy when S3 would refuse it), and the
permission service holding each request against it, on the S3 port and through the REST
API alike: Allows for anonymous readers and other users, a Deny that wins over the owner,
conditions on the request."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import (
    S3User,
    code_of,
    new_bucket,
    refused,
    user_id,
)

pytestmark = pytest.mark.acceptance


def document(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements), **top})


def allow(bucket: str, action: str | list[str], *, principal: Any = "*", key: str = "*",
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    resource = f"arn:aws:s3:::{bucket}" + ("" if key == "" else f"/{key}")
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource,
            **extra}  # fmt: skip


def deny(bucket: str, action: str | list[str], **extra: Any) -> dict[str, Any]:
    return {**allow(bucket, action, **extra), "Effect": "Deny"}


def filled(s3: Any, alice: S3User) -> str:
    bucket = new_bucket(s3, alice)
    for key in ("public/a", "secret/b"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_a_policy_is_set_read_as_sent_and_removed(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    assert refused(lambda: s3.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucketPolicy")
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    text = document(allow(bucket, "s3:GetObject"), Id="as sent")
    s3.put_bucket_policy(Bucket=bucket, Policy=text)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    narrowed = document(
        allow(bucket, "s3:GetObject", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=narrowed)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    s3.delete_bucket_policy(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucketPolicy")
    s3.delete_bucket_policy(Bucket=bucket)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda b: "{not json", "invalid Json"),
        (lambda b: document(allow(b, "s3:GetObject") | {"Effect": "Perhaps"}), "Invalid effect"),
        (lambda b: json.dumps({"Version": "2012-10-17"}), "Missing required field Statement"),
        (lambda b: document({k: v for k, v in allow(b, "s3:GetObject").items()
                             if k != "Action"}), "Missing required field Action"),
        (lambda b: document({k: v for k, v in allow(b, "s3:GetObject").items()
                             if k != "Resource"}), "Missing required field Resource"),
        (lambda b: document(allow("someone--else", "s3:GetObject")), "invalid resource"),
        (lambda b: document(allow(b, "s3:GetObject"), Version="2024-01-01"), "Version"),
        (lambda b: document(allow(b, "s3:GetObject"), Id="x" * 21_000), "20480 bytes"),
        (lambda b: document(allow(b, "s3:GetObject", Condition={"StringSimilar": {"s3:x": "a"}})),
         "Invalid Condition type"),
        (lambda b: document(allow(b, "s3:ListBucket")), "does not apply"),
        (lambda b: "[" * 9_000 + "]" * 9_000, "nest"),
    ],
    ids=["json", "effect", "statement", "action", "resource", "outside", "version", "size",
         "operator", "applies", "deep"],
)  # fmt: skip
def test_a_policy_s3_would_refuse_is_malformed_with_a_clear_message(
    s3: Any, alice: S3User, make: Callable[[str], str], reason: str
) -> None:
    bucket = new_bucket(s3, alice)
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket=bucket, Policy=make(bucket))
    error = caught.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], code_of(caught.value)) == (
        400,
        "MalformedPolicy",
    )
    assert reason in error["Error"]["Message"]
    assert refused(lambda: s3.get_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucketPolicy")


def test_only_the_owner_reads_sets_and_removes_a_policy(
    s3: Any, bob: Any, anonymous: Any, alice: S3User
) -> None:
    private = new_bucket(s3, alice)
    public = new_bucket(s3, alice) + "-pub"
    s3.create_bucket(Bucket=public, ACL="public-read")
    text = document(allow(public, "s3:GetObject"))
    s3.put_bucket_policy(Bucket=public, Policy=text)
    for client in (bob, anonymous):
        calls = (
            lambda c=client: c.get_bucket_policy(Bucket=public),
            lambda c=client: c.put_bucket_policy(Bucket=public, Policy=text),
            lambda c=client: c.delete_bucket_policy(Bucket=public),
        )
        assert [refused(call) for call in calls] == [(403, "AccessDenied")] * 3
    # A bucket the caller cannot see stays unseen.
    assert refused(lambda: bob.get_bucket_policy(Bucket=private)) == (404, "NoSuchBucket")
    assert s3.get_bucket_policy(Bucket=public)["Policy"] == text


def test_an_allow_lets_anonymous_readers_into_a_private_bucket(
    live_server: LiveServer, s3: Any, anonymous: Any, alice: S3User
) -> None:
    bucket = filled(s3, alice)
    assert refused(lambda: anonymous.get_object(Bucket=bucket, Key="public/a")) == (
        404,
        "NoSuchBucket",
    )
    s3.put_bucket_policy(
        Bucket=bucket, Policy=document(allow(bucket, "s3:GetObject", key="public/*"))
    )
    assert anonymous.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"public/a"
    plain = httpx.get(f"{live_server.s3_url}/{bucket}/public/a")
    assert (plain.status_code, plain.content) == (200, b"public/a")
    # What the policy does not grant is refused, not hidden: the policy shows the bucket.
    assert refused(lambda: anonymous.get_object(Bucket=bucket, Key="secret/b")) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: anonymous.list_objects_v2(Bucket=bucket)) == (403, "AccessDenied")
    assert httpx.get(f"{live_server.s3_url}/{bucket}/secret/b").status_code == 403
    # Through the REST API too.
    namespace, name = bucket.split("--", 1)
    rest = httpx.get(f"{live_server.url}/api/buckets/{namespace}/{name}/objects/public/a")
    assert (rest.status_code, rest.content) == (200, b"public/a")


def test_an_allow_names_another_user_by_id_or_account_arn(
    live_server: LiveServer, s3: Any, bob: Any, alice: S3User, bob_user: S3User
) -> None:
    bucket = filled(s3, alice)
    assert refused(lambda: bob.list_objects_v2(Bucket=bucket)) == (404, "NoSuchBucket")
    bob_id = user_id(live_server, bob_user)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=document(
            allow(bucket, "s3:ListBucket", principal={"AWS": f"arn:aws:iam::{bob_id}:root"},
                  key="",
                  Condition={"StringLike": {"s3:prefix": "public/*"}}),
            allow(bucket, ["s3:PutObject", "s3:GetObject"], principal={"AWS": [bob_id]},
                  key="public/*"),
        ),
    )  # fmt: skip
    listed = bob.list_objects_v2(Bucket=bucket, Prefix="public/")
    assert [o["Key"] for o in listed["Contents"]] == ["public/a"]
    assert refused(lambda: bob.list_objects_v2(Bucket=bucket)) == (403, "AccessDenied")
    bob.put_object(Bucket=bucket, Key="public/from-bob", Body=b"hi")
    assert s3.get_object(Bucket=bucket, Key="public/from-bob")["Body"].read() == b"hi"
    assert refused(lambda: bob.put_object(Bucket=bucket, Key="secret/x", Body=b"")) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: bob.delete_object(Bucket=bucket, Key="public/a")) == (
        403,
        "AccessDenied",
    )


def test_a_deny_wins_over_the_owner_who_can_still_mend_the_policy(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = filled(s3, alice)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=document(deny(bucket, ["s3:GetObject", "s3:DeleteObject"], key="secret/*"),
                        deny(bucket, "s3:*", key="")),
    )  # fmt: skip
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="secret/b")) == (403, "AccessDenied")
    assert refused(lambda: s3.delete_object(Bucket=bucket, Key="secret/b")) == (
        403,
        "AccessDenied",
    )
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "secret/b"}]})
    assert [e["Code"] for e in deleted.get("Errors", [])] == ["AccessDenied"]
    assert refused(lambda: s3.list_objects_v2(Bucket=bucket)) == (403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"public/a"
    # Not bypassed through the REST API.
    namespace, name = bucket.split("--", 1)
    with live_server.client(alice.token) as client:
        base = f"/api/buckets/{namespace}/{name}"
        assert client.get(f"{base}/objects/secret/b").status_code == 403
        assert client.delete(f"{base}/objects/secret/b").status_code == 403
        assert client.get(f"{base}/objects").status_code == 403
        assert client.get(f"{base}/objects/public/a").content == b"public/a"
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="secret/b")["Body"].read() == b"secret/b"


def test_conditions_see_the_request(
    live_server: LiveServer, s3: Any, bob: Any, anonymous: Any, alice: S3User
) -> None:
    bucket = filled(s3, alice)
    s3.put_object_tagging(
        Bucket=bucket, Key="public/a", Tagging={"TagSet": [{"Key": "security", "Value": "public"}]}
    )
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=document(
            allow(bucket, "s3:GetObject",
                  Condition={"StringEquals": {"s3:ExistingObjectTag/security": "public"}}),
            deny(bucket, "s3:GetObject", key="secret/*",
                 Condition={"NotIpAddress": {"aws:SourceIp": "10.9.9.9/32"}}),
            allow(bucket, "s3:ListBucket", key="",
                  Condition={"NumericLessThanEquals": {"s3:max-keys": "5"},
                             "IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]},
                             "Bool": {"aws:SecureTransport": "false"}}),
        ),
    )  # fmt: skip
    assert anonymous.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"public/a"
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="secret/b"))[0] == 403
    assert [o["Key"] for o in bob.list_objects(Bucket=bucket, MaxKeys=5)["Contents"]] == [
        "public/a",
        "secret/b",
    ]
    assert refused(lambda: bob.list_objects(Bucket=bucket, MaxKeys=6))[0] == 403
    plain = httpx.get(f"{live_server.s3_url}/{bucket}?max-keys=2")
    assert plain.status_code == 200 and b"public/a" in plain.content


def test_a_deny_holds_for_form_uploads_and_copies_too(s3: Any, alice: S3User) -> None:
    bucket = filled(s3, alice)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=document(deny(bucket, "s3:PutObject", key="locked/*"),
                        deny(bucket, "s3:GetObject", key="secret/*")),
    )  # fmt: skip
    form = s3.generate_presigned_post(bucket, "locked/by-form")
    files = {"file": ("f.bin", b"form bytes", "application/octet-stream")}
    assert httpx.post(form["url"], data=form["fields"], files=files).status_code == 403
    form = s3.generate_presigned_post(bucket, "open/by-form")
    assert httpx.post(form["url"], data=form["fields"], files=files).status_code == 204
    source = {"Bucket": bucket, "Key": "secret/b"}
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="open/copy", CopySource=source)) == (
        403,
        "AccessDenied",
    )
    allowed = {"Bucket": bucket, "Key": "public/a"}
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="locked/c", CopySource=allowed)) == (
        403,
        "AccessDenied",
    )
    s3.copy_object(Bucket=bucket, Key="open/copy", CopySource=allowed)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="open/")["Contents"]] == [
        "open/by-form",
        "open/copy",
    ]


def test_an_allow_of_everything_leaves_the_buckets_settings_to_its_owner(
    s3: Any, bob: Any, alice: S3User
) -> None:
    bucket = filled(s3, alice)
    everything = document(allow(bucket, "*"), allow(bucket, "*", key=""))
    s3.put_bucket_policy(Bucket=bucket, Policy=everything)
    bob.put_object(Bucket=bucket, Key="from-bob", Body=b"ok")
    assert len(bob.list_objects_v2(Bucket=bucket)["Contents"]) == 3
    settings = (
        lambda: bob.put_bucket_policy(Bucket=bucket, Policy=everything),
        lambda: bob.delete_bucket_policy(Bucket=bucket),
        lambda: bob.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []}),
    )
    assert [refused(change)[0] for change in settings] == [403] * 3
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == everything
    empty = new_bucket(s3, alice)
    s3.put_bucket_policy(
        Bucket=empty, Policy=document(allow(empty, "*"), allow(empty, "*", key=""))
    )
    assert refused(lambda: bob.delete_bucket(Bucket=empty)) == (403, "AccessDenied")
    s3.head_bucket(Bucket=empty)
