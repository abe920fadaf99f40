"""S3 Object Lock through boto3 against a live S3 port: buckets created with object lock and
their configuration, default retention, retention and legal hold set by header and by
request, GOVERNANCE and COMPLIANCE rules, and every way a locked version could go (DeleteObject
with a version id, DeleteObjects, another user, an anonymous caller, a bypass without the
permission, the REST API's deletes, deleting the bucket, the garbage collector)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, refused, s3_client, user_id

pytestmark = pytest.mark.acceptance

FAR = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def bucket(s3: Any, alice: S3User) -> str:
    """A new bucket created with object lock."""
    name = f"{alice.name}--{unique('lock')}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def rule(mode: str, **period: int) -> dict[str, Any]:
    return {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": mode, **period}}}


def test_a_bucket_created_with_object_lock_is_versioned_and_keeps_its_rule(
    s3: Any, bucket: str
) -> None:
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"
    }
    for conf in (rule("GOVERNANCE", Days=1), rule("COMPLIANCE", Years=2)):
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=conf)
        assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == conf
    # Versioning can no longer be suspended.
    assert refused(
        lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
        )
    ) == (409, "InvalidBucketState")


@pytest.mark.parametrize(
    ("conf", "answer"),
    [
        (rule("GOVERNANCE", Days=1, Years=1), (400, "MalformedXML")),
        (rule("GOVERNANCE", Days=0), (400, "InvalidRetentionPeriod")),
        (rule("GOVERNANCE", Years=-1), (400, "InvalidRetentionPeriod")),
        (rule("GOVERNANCE", Years=101), (400, "InvalidRetentionPeriod")),
        (rule("governance", Days=1), (400, "MalformedXML")),
        (rule("abc", Days=1), (400, "MalformedXML")),
        ({**rule("GOVERNANCE", Days=1), "ObjectLockEnabled": "Disabled"}, (400, "MalformedXML")),
    ],
)
def test_a_bad_configuration_is_refused(
    s3: Any, bucket: str, conf: dict[str, Any], answer: tuple[int, str]
) -> None:
    put = s3.put_object_lock_configuration
    assert refused(lambda: put(Bucket=bucket, ObjectLockConfiguration=conf)) == answer
    assert "Rule" not in s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]


def test_object_lock_needs_versioning_and_may_then_be_enabled(s3: Any, alice: S3User) -> None:
    name = f"{alice.name}--{unique('plain')}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    conf = rule("GOVERNANCE", Days=1)
    put = s3.put_object_lock_configuration
    assert refused(lambda: put(Bucket=name, ObjectLockConfiguration=conf)) == (
        409,
        "InvalidBucketState",
    )
    assert refused(lambda: s3.get_object_lock_configuration(Bucket=name)) == (
        404,
        "ObjectLockConfigurationNotFoundError",
    )
    retention = {"Mode": "GOVERNANCE", "RetainUntilDate": FAR}
    for call in (
        lambda: s3.put_object_retention(Bucket=name, Key="k", Retention=retention),
        lambda: s3.get_object_retention(Bucket=name, Key="k"),
        lambda: s3.put_object_legal_hold(Bucket=name, Key="k", LegalHold={"Status": "ON"}),
        lambda: s3.get_object_legal_hold(Bucket=name, Key="k"),
        lambda: s3.put_object(
            Bucket=name,
            Key="k",
            Body=b"y",
            ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=FAR,
        ),
    ):
        assert refused(call) == (400, "InvalidRequest")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    put(Bucket=name, ObjectLockConfiguration=conf)
    written = s3.put_object(Bucket=name, Key="k", Body=b"z")
    assert s3.head_object(Bucket=name, Key="k")["ObjectLockMode"] == "GOVERNANCE"
    assert refused(
        lambda: s3.delete_object(Bucket=name, Key="k", VersionId=written["VersionId"])
    ) == (403, "AccessDenied")


def test_new_versions_get_the_default_retention(s3: Any, bucket: str) -> None:
    s3.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration=rule("GOVERNANCE", Days=2)
    )
    before = datetime.now(UTC)
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert before + timedelta(days=2) - timedelta(seconds=1) <= until
    assert until <= datetime.now(UTC) + timedelta(days=2)
    assert "ObjectLockLegalHoldStatus" not in head
    got = s3.get_object_retention(Bucket=bucket, Key="k", VersionId=version)["Retention"]
    assert got == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    # A write asking for its own retention gets that one.
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"y",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=FAR,
        ObjectLockLegalHoldStatus="ON",
    )
    head = s3.get_object(Bucket=bucket, Key="k")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", FAR)
    assert head["ObjectLockLegalHoldStatus"] == "ON"


def test_governance_yields_only_to_a_bypass(s3: Any, bucket: str) -> None:
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    later = {"Mode": "GOVERNANCE", "RetainUntilDate": FAR + timedelta(days=2)}
    sooner = {"Mode": "GOVERNANCE", "RetainUntilDate": FAR}
    s3.put_object_retention(Bucket=bucket, Key="k", Retention=later)
    assert s3.get_object_retention(Bucket=bucket, Key="k")["Retention"] == later
    shorten = s3.put_object_retention
    assert refused(lambda: shorten(Bucket=bucket, Key="k", Retention=sooner)) == (
        403,
        "AccessDenied",
    )
    comply = {"Mode": "COMPLIANCE", "RetainUntilDate": later["RetainUntilDate"]}
    assert refused(lambda: shorten(Bucket=bucket, Key="k", Retention=comply)) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: s3.delete_object(Bucket=bucket, Key="k", VersionId=version)) == (
        403,
        "AccessDenied",
    )
    shorten(Bucket=bucket, Key="k", Retention=sooner, BypassGovernanceRetention=True)
    assert s3.get_object_retention(Bucket=bucket, Key="k")["Retention"] == sooner
    past = {"Mode": "GOVERNANCE", "RetainUntilDate": datetime(2020, 1, 1, tzinfo=UTC)}
    assert refused(lambda: shorten(Bucket=bucket, Key="k", Retention=past)) == (
        400,
        "InvalidArgument",
    )
    s3.delete_object(Bucket=bucket, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)


def test_compliance_is_never_shortened_nor_bypassed(s3: Any, bucket: str) -> None:
    version = s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=FAR,
    )["VersionId"]
    put = s3.put_object_retention
    for retention in (
        {"Mode": "COMPLIANCE", "RetainUntilDate": FAR - timedelta(days=1)},
        {"Mode": "GOVERNANCE", "RetainUntilDate": FAR + timedelta(days=1)},
    ):
        assert refused(
            lambda r=retention: put(
                Bucket=bucket, Key="k", Retention=r, BypassGovernanceRetention=True
            )
        ) == (403, "AccessDenied")
    assert refused(
        lambda: s3.delete_object(
            Bucket=bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    ) == (403, "AccessDenied")
    longer = {"Mode": "COMPLIANCE", "RetainUntilDate": FAR + timedelta(days=1)}
    put(Bucket=bucket, Key="k", Retention=longer)
    assert s3.get_object_retention(Bucket=bucket, Key="k")["Retention"] == longer
    # Deleting without a version id hides the key behind a marker; the version stays.
    marker = s3.delete_object(Bucket=bucket, Key="k")
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=version)["Body"].read() == b"x"


def test_a_legal_hold_keeps_a_version_whatever_the_bypass(s3: Any, bucket: str) -> None:
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    # A version that never had a legal hold has none to read, as in AWS.
    assert refused(lambda: s3.get_object_legal_hold(Bucket=bucket, Key="k")) == (
        404,
        "NoSuchObjectLockConfiguration",
    )
    assert "ObjectLockLegalHoldStatus" not in s3.head_object(Bucket=bucket, Key="k")
    s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=bucket, Key="k", VersionId=version)["LegalHold"] == {
        "Status": "ON"
    }
    assert refused(
        lambda: s3.delete_object(
            Bucket=bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    ) == (403, "AccessDenied")
    hold = s3.put_object_legal_hold
    assert refused(lambda: hold(Bucket=bucket, Key="k", LegalHold={"Status": "on"})) == (
        400,
        "MalformedXML",
    )
    hold(Bucket=bucket, Key="k", LegalHold={"Status": "OFF"})
    # A lifted hold reads OFF, by request and on HEAD.
    assert s3.get_object_legal_hold(Bucket=bucket, Key="k")["LegalHold"] == {"Status": "OFF"}
    assert s3.head_object(Bucket=bucket, Key="k")["ObjectLockLegalHoldStatus"] == "OFF"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=version)
    # A write asking for a hold OFF has one set off.
    s3.put_object(Bucket=bucket, Key="off", Body=b"x", ObjectLockLegalHoldStatus="OFF")
    assert s3.get_object_legal_hold(Bucket=bucket, Key="off")["LegalHold"] == {"Status": "OFF"}


def test_delete_objects_answers_each_locked_version(s3: Any, bucket: str) -> None:
    held = s3.put_object(Bucket=bucket, Key="held", Body=b"x")["VersionId"]
    free = s3.put_object(Bucket=bucket, Key="free", Body=b"x")["VersionId"]
    s3.put_object_retention(
        Bucket=bucket, Key="held", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": FAR}
    )
    objects = [{"Key": "held", "VersionId": held}, {"Key": "free", "VersionId": free}]
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert [(d["Key"], d["VersionId"]) for d in answer["Deleted"]] == [("free", free)]
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in answer["Errors"]] == [
        ("held", held, "AccessDenied")
    ]
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": objects[:1]}, BypassGovernanceRetention=True
    )
    assert [d["Key"] for d in answer["Deleted"]] == ["held"] and not answer.get("Errors")


def test_copies_and_multipart_uploads_take_the_lock_they_ask_for(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="src",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=FAR,
    )
    s3.copy_object(Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "src"})
    assert "ObjectLockMode" not in s3.head_object(Bucket=bucket, Key="plain")
    s3.copy_object(
        Bucket=bucket,
        Key="held",
        CopySource={"Bucket": bucket, "Key": "src"},
        ObjectLockLegalHoldStatus="ON",
    )
    assert s3.head_object(Bucket=bucket, Key="held")["ObjectLockLegalHoldStatus"] == "ON"
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="big", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=FAR
    )["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"p")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    head = s3.head_object(Bucket=bucket, Key="big")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("GOVERNANCE", FAR)


def test_lock_headers_need_an_integrity_header_and_both_retention_parts(
    live_server: LiveServer, alice: S3User, bucket: str
) -> None:
    # Without a checksum asked for, boto3 sends none on a PutObject.
    bare = s3_client(live_server, alice, request_checksum_calculation="when_required")
    assert refused(
        lambda: bare.put_object(
            Bucket=bucket,
            Key="k",
            Body=b"x",
            ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=FAR,
        )
    ) == (400, "InvalidRequest")
    bare.put_object(Bucket=bucket, Key="k", Body=b"x")  # no lock asked: none needed
    assert refused(
        lambda: bare.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE")
    ) == (400, "InvalidArgument")
    # An upload started with a lock needs one on each part.
    upload = bare.create_multipart_upload(Bucket=bucket, Key="big", ObjectLockLegalHoldStatus="ON")
    part = {"Bucket": bucket, "Key": "big", "UploadId": upload["UploadId"], "PartNumber": 1}
    assert refused(lambda: bare.upload_part(**part, Body=b"p")) == (400, "InvalidRequest")
    bare.upload_part(**part, Body=b"p", ChecksumAlgorithm="CRC32")
    bare.abort_multipart_upload(Bucket=bucket, Key="big", UploadId=upload["UploadId"])
    # Once the bucket has a default retention, every new version gets a lock: a PutObject
    # and the parts of any upload need the header, Content-MD5 serving as well as a checksum.
    s3_default = s3_client(live_server, alice)
    s3_default.put_object_lock_configuration(
        Bucket=bucket, ObjectLockConfiguration=rule("GOVERNANCE", Days=1)
    )
    assert refused(lambda: bare.put_object(Bucket=bucket, Key="k", Body=b"x")) == (
        400,
        "InvalidRequest",
    )
    digest = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    bare.put_object(Bucket=bucket, Key="k", Body=b"x", ContentMD5=digest)
    assert bare.head_object(Bucket=bucket, Key="k")["ObjectLockMode"] == "GOVERNANCE"
    upload = bare.create_multipart_upload(Bucket=bucket, Key="big")
    part = {"Bucket": bucket, "Key": "big", "UploadId": upload["UploadId"], "PartNumber": 1}
    assert refused(lambda: bare.upload_part(**part, Body=b"p")) == (400, "InvalidRequest")
    bare.abort_multipart_upload(Bucket=bucket, Key="big", UploadId=upload["UploadId"])


def test_others_cannot_unlock_or_remove_a_locked_version(
    live_server: LiveServer, s3: Any, bob: Any, anonymous: Any, bob_user: S3User, bucket: str
) -> None:
    version = s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=FAR,
    )["VersionId"]
    sooner = {"Mode": "GOVERNANCE", "RetainUntilDate": FAR - timedelta(days=1)}
    # The bucket is private: to Bob it does not exist; an anonymous write is refused first.
    for client, answer in ((bob, (404, "NoSuchBucket")), (anonymous, (403, "AccessDenied"))):
        assert (
            refused(
                lambda c=client: c.delete_object(
                    Bucket=bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
                )
            )
            == answer
        )
        assert (
            refused(
                lambda c=client: c.put_object_retention(
                    Bucket=bucket, Key="k", Retention=sooner, BypassGovernanceRetention=True
                )
            )
            == answer
        )
        assert (
            refused(
                lambda c=client: c.put_object_legal_hold(
                    Bucket=bucket, Key="k", LegalHold={"Status": "ON"}
                )
            )
            == answer
        )
    # Bob may now write and delete versions, but not bypass a governance retention.
    bob_id = user_id(live_server, bob_user)
    writer = [
        "s3:PutObject",
        "s3:GetObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectRetention",
        "s3:ListBucket",
    ]

    def policy(*extra: str) -> str:
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": [bob_id]},
            "Action": [*writer, *extra],
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        }
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    s3.put_bucket_policy(Bucket=bucket, Policy=policy())
    assert refused(
        lambda: bob.delete_object(
            Bucket=bucket, Key="k", VersionId=version, BypassGovernanceRetention=True
        )
    ) == (403, "AccessDenied")
    assert refused(
        lambda: bob.put_object_retention(
            Bucket=bucket, Key="k", Retention=sooner, BypassGovernanceRetention=True
        )
    ) == (403, "AccessDenied")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=version)["Body"].read() == b"x"
    # With s3:BypassGovernanceRetention granted, the bypass is his to use.
    s3.put_bucket_policy(Bucket=bucket, Policy=policy("s3:BypassGovernanceRetention"))
    bob.delete_object(Bucket=bucket, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)


def test_the_rest_api_and_gc_leave_a_locked_version(
    live_server: LiveServer, s3: Any, alice: S3User, bucket: str
) -> None:
    version = s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"kept",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=FAR,
    )["VersionId"]
    namespace, name = bucket.split("--", 1)
    with live_server.client(alice.token) as rest:
        # Deleting the object hides it behind a delete marker; deleting the bucket is refused.
        assert rest.delete(f"/api/buckets/{namespace}/{name}/objects/k").status_code == 204
        gone = rest.delete(f"/api/buckets/{namespace}/{name}")
        assert gone.status_code == 403 and gone.json()["error"]["code"] == "object_locked"
    assert refused(lambda: s3.delete_bucket(Bucket=bucket))[0] == 409
    collected = subprocess.run(
        [sys.executable, "-m", "weighthouse", "gc", "--grace", "0", "--delete"],
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=version)["Body"].read() == b"kept"


def test_a_reader_without_the_lock_permissions_does_not_see_the_lock(
    live_server: LiveServer, s3: Any, bob: Any, anonymous: Any, bob_user: S3User, bucket: str
) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=FAR,
        ObjectLockLegalHoldStatus="ON",
    )
    lock_fields = ("ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus")
    # Every signed-in user may read the objects by the bucket's ACL: the lock stays hidden.
    s3.put_bucket_acl(Bucket=bucket, ACL="authenticated-read")
    got = bob.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"x"
    for answer in (bob.head_object(Bucket=bucket, Key="k"), got):
        assert not set(lock_fields) & set(answer)
    assert refused(lambda: bob.get_object_retention(Bucket=bucket, Key="k")) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: bob.get_object_legal_hold(Bucket=bucket, Key="k")) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: anonymous.head_object(Bucket=bucket, Key="k"))[0] in (403, 404)
    # A policy allowing only reads shows nothing more; one allowing s3:GetObjectRetention
    # shows the retention, and the legal hold still needs s3:GetObjectLegalHold.
    bob_id = user_id(live_server, bob_user)

    def allow(*actions: str) -> None:
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": [bob_id]},
            "Action": list(actions),
            "Resource": [f"arn:aws:s3:::{bucket}/*"],
        }
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))

    allow("s3:GetObject")
    assert not set(lock_fields) & set(bob.head_object(Bucket=bucket, Key="k"))
    allow("s3:GetObject", "s3:GetObjectRetention")
    head = bob.head_object(Bucket=bucket, Key="k")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("GOVERNANCE", FAR)
    assert "ObjectLockLegalHoldStatus" not in head
    assert bob.get_object_retention(Bucket=bucket, Key="k")["Retention"]["Mode"] == "GOVERNANCE"
    allow("s3:GetObject", "s3:GetObjectRetention", "s3:GetObjectLegalHold")
    got = bob.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"x" and got["ObjectLockLegalHoldStatus"] == "ON"
    assert bob.get_object_legal_hold(Bucket=bucket, Key="k")["LegalHold"] == {"Status": "ON"}
    # The owner always sees both.
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ObjectLockMode"], head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON")
