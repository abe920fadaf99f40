"""Bucket lifecycle through boto3 against a live S3 port: Put/Get/DeleteBucketLifecycle in both
the current and the older form, S3's error codes for what it refuses, the ``x-amz-expiration``
header of objects a rule will expire, the rules carried out by ``weighthouse gc --delete`` and by
the server itself, and what another user and a careless client get."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, refused, s3_client

pytestmark = pytest.mark.acceptance

PAST = {"Date": datetime(2015, 1, 1, tzinfo=UTC)}
LATE = datetime(2030, 1, 1, 5, tzinfo=UTC)  # not at midnight


def put_rules(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)}
    )


def keys(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def gc(server: LiveServer, *args: str) -> str:
    """``weighthouse gc`` on the server's catalog and blob store; its output."""
    env = {k: v for k, v in server.env.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-m", "weighthouse", "gc", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_configuration_is_set_read_back_and_removed(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    assert refused(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)) == (
        404,
        "NoSuchLifecycleConfiguration",
    )
    rules = [
        {"ID": "logs", "Expiration": {"Days": 31}, "Prefix": "logs/", "Status": "Enabled"},
        {
            "ID": "tagged",
            "Filter": {
                "And": {
                    "Prefix": "data/",
                    "Tags": [{"Key": "stage", "Value": "scratch"}],
                    "ObjectSizeGreaterThan": 10,
                }
            },
            "Status": "Disabled",
            "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2},
        },
        {
            "ID": "uploads",
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "Expiration": {"ExpiredObjectDeleteMarker": True},
        },
    ]
    put_rules(s3, bucket, *rules)
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules
    # The older call sends each rule's own Prefix and reads back the same way.
    old = [{"ID": "old", "Prefix": "tmp/", "Status": "Enabled", "Expiration": {"Days": 2}}]
    s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": old})
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == old
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == old
    s3.delete_bucket_lifecycle(Bucket=bucket)
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))[1] == (
        "NoSuchLifecycleConfiguration"
    )
    put_rules(s3, bucket, {"Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}})
    (made,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert len(made["ID"]) == 48 and made["Filter"] == {}


def test_what_s3_refuses_is_refused_with_its_codes(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    base = {"ID": "r", "Prefix": "a/", "Status": "Enabled", "Expiration": {"Days": 1}}
    refusals: list[tuple[list[dict[str, Any]], str]] = [
        ([{**base, "ID": "a" * 256}], "InvalidArgument"),
        ([base, {**base, "Prefix": "b/"}], "InvalidArgument"),
        ([{**base, "Expiration": {"Days": 0}}], "InvalidArgument"),
        (
            [{**base, "Expiration": {"Date": datetime(2030, 1, 1, 5, tzinfo=UTC)}}],
            "InvalidArgument",
        ),
        ([{**base, "Status": "enabled"}], "MalformedXML"),
        ([{"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1}}], "MalformedXML"),
        ([{**base, "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}}], "MalformedXML"),
        ([{**base, "Expiration": {}}], "MalformedXML"),
        (
            [
                {
                    "ID": "r",
                    "Filter": {"Tag": {"Key": "k", "Value": "v"}},
                    "Status": "Enabled",
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ],
            "InvalidRequest",
        ),
        ([{"ID": "r", "Prefix": "", "Status": "Enabled"}], "InvalidRequest"),
        (
            [{**base, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}],
            "InvalidStorageClass",
        ),
        ([{**base, "ID": f"r{n}"} for n in range(1001)], "InvalidArgument"),
    ]
    for rules, code in refusals:
        assert refused(lambda r=rules: put_rules(s3, bucket, *r)) == (400, code), rules
    assert refused(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket))[0] == 404


def test_objects_a_rule_will_expire_say_when_and_by_which_rule(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    put_rules(
        s3,
        bucket,
        {"ID": "soon", "Prefix": "tmp/", "Status": "Enabled", "Expiration": {"Days": 1}},
        {
            "ID": "tagged",
            "Filter": {"Tag": {"Key": "keep", "Value": "no"}},
            "Status": "Enabled",
            "Expiration": {"Days": 3},
        },
    )
    before = datetime.now(UTC)
    put = s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"a")
    header = put["ResponseMetadata"]["HTTPHeaders"]["x-amz-expiration"]
    expiry = parsedate_to_datetime(header.split('"')[1])
    # One day, rounded up to the next midnight UTC.
    assert expiry.time() == datetime.min.time() and expiry.tzinfo is not None
    assert before + timedelta(days=1) <= expiry <= before + timedelta(days=2)
    assert header.endswith('rule-id="soon"')
    assert s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"a")["Expiration"] == header
    assert s3.head_object(Bucket=bucket, Key="tmp/a")["Expiration"] == header
    assert s3.get_object(Bucket=bucket, Key="tmp/a")["Expiration"] == header
    s3.put_object(Bucket=bucket, Key="other", Body=b"b", Tagging="keep=no")
    assert s3.head_object(Bucket=bucket, Key="other")["Expiration"].endswith('rule-id="tagged"')
    s3.put_object(Bucket=bucket, Key="kept", Body=b"c", Tagging="keep=yes")
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="kept")
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert "Expiration" not in s3.head_object(Bucket=bucket, Key="tmp/a")


def test_uploads_a_rule_will_abort_say_when_and_by_which_rule(s3: Any, alice: S3User) -> None:
    """CreateMultipartUpload and ListParts answer ``x-amz-abort-date`` and
    ``x-amz-abort-rule-id`` (boto3's ``AbortDate`` and ``AbortRuleId``) for an upload an
    ``AbortIncompleteMultipartUpload`` rule selects: the earliest such rule, its days rounded
    up to the next midnight UTC; nothing for other keys or once the rules are gone."""
    bucket = new_bucket(s3, alice)
    put_rules(
        s3,
        bucket,
        {
            "ID": "late",
            "Prefix": "tmp/",
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        },
        {
            "ID": "early",
            "Prefix": "tmp/big/",
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
        },
        {
            "ID": "off",
            "Prefix": "tmp/",
            "Status": "Disabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    )
    before = datetime.now(UTC)
    for key, rule, days in (("tmp/a", "late", 7), ("tmp/big/b", "early", 2)):
        created = s3.create_multipart_upload(Bucket=bucket, Key=key)
        assert created["AbortRuleId"] == rule
        due = created["AbortDate"]
        assert due.time() == datetime.min.time() and due.tzinfo is not None
        assert before + timedelta(days=days) <= due <= before + timedelta(days=days + 1)
        listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=created["UploadId"])
        assert (listed["AbortDate"], listed["AbortRuleId"]) == (due, rule)
    other = s3.create_multipart_upload(Bucket=bucket, Key="other")
    assert "AbortDate" not in other and "AbortRuleId" not in other
    s3.delete_bucket_lifecycle(Bucket=bucket)
    listed = s3.list_parts(Bucket=bucket, Key="tmp/big/b", UploadId=created["UploadId"])
    assert "AbortDate" not in listed and "AbortRuleId" not in listed


def test_gc_carries_out_the_rules(live_server: LiveServer, s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    for key in ("past/a", "past/b", "future/a"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    upload = s3.create_multipart_upload(Bucket=bucket, Key="past/upload")["UploadId"]
    put_rules(
        s3,
        bucket,
        {"ID": "past", "Prefix": "past/", "Status": "Enabled", "Expiration": PAST},
        {
            "ID": "future",
            "Prefix": "future/",
            "Status": "Enabled",
            "Expiration": {"Date": datetime(2090, 1, 1, tzinfo=UTC)},
        },
    )
    reported = gc(live_server)
    assert "lifecycle: would expire" in reported
    assert keys(s3, bucket) == ["future/a", "past/a", "past/b"]
    assert "lifecycle: expired" in gc(live_server, "--delete")
    assert keys(s3, bucket) == ["future/a"]
    # An upload less than a day old stays.
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload]


def test_in_a_versioned_bucket_expiry_leaves_a_marker_and_a_lone_marker_goes(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="old/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="gone/a", Body=b"a")
    marker = s3.delete_object(Bucket=bucket, Key="gone/a")["VersionId"]
    only = s3.list_object_versions(Bucket=bucket, Prefix="gone/")["Versions"][0]["VersionId"]
    s3.delete_object(Bucket=bucket, Key="gone/a", VersionId=only)
    put_rules(
        s3,
        bucket,
        {"ID": "old", "Prefix": "old/", "Status": "Enabled", "Expiration": PAST},
        {
            "ID": "markers",
            "Prefix": "gone/",
            "Status": "Enabled",
            "Expiration": {"ExpiredObjectDeleteMarker": True},
        },
    )
    assert [m["VersionId"] for m in s3.list_object_versions(Bucket=bucket)["DeleteMarkers"]] == [
        marker
    ]
    gc(live_server, "--delete")
    listed = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["IsLatest"]) for v in listed["Versions"]] == [("old/a", False)]
    assert [(m["Key"], m["IsLatest"]) for m in listed["DeleteMarkers"]] == [("old/a", True)]


def test_another_user_can_neither_read_nor_set_a_private_buckets_rules(
    s3: Any, bob: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    rule = {"ID": "r", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 1}}
    put_rules(s3, bucket, rule)
    for target in (bucket, "alice--no-such-bucket-here"):
        answers = {
            refused(lambda t=target: bob.get_bucket_lifecycle_configuration(Bucket=t)),
            refused(lambda t=target: put_rules(bob, t, {**rule, "ID": "mine"})),
            refused(lambda t=target: bob.delete_bucket_lifecycle(Bucket=t)),
            # A document S3 would refuse is refused for the bucket first.
            refused(lambda t=target: put_rules(bob, t, {**rule, "Status": "bad"})),
        }
        assert answers == {(404, "NoSuchBucket")}, (target, answers)
    anonymous = s3_client_anonymous(s3)
    assert refused(lambda: anonymous.get_bucket_lifecycle_configuration(Bucket=bucket))[0] in (
        403,
        404,
    )
    assert refused(lambda: put_rules(anonymous, bucket, rule)) == (403, "AccessDenied")
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [rule]


def test_a_bucket_policy_decides_with_the_lifecycle_actions(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    rule = {"ID": "r", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 1}}
    put_rules(s3, bucket, rule)
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutLifecycleConfiguration",
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny))
    # A Deny binds the owner too: neither setting nor removing (the same action in IAM).
    assert refused(lambda: put_rules(s3, bucket, {**rule, "ID": "other"})) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: s3.delete_bucket_lifecycle(Bucket=bucket)) == (403, "AccessDenied")
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [rule]
    deny["Statement"][0]["Action"] = "s3:GetLifecycleConfiguration"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(deny))
    assert refused(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)) == (
        403,
        "AccessDenied",
    )
    s3.delete_bucket_lifecycle(Bucket=bucket)


def s3_client_anonymous(s3: Any) -> Any:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3.meta.endpoint_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def test_bad_documents_are_client_errors_never_server_errors(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    bodies = [
        b"",
        b"not xml",
        b"\xff\xfe<LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><Status>Enabled</Status><Prefix/>"
        b"<Expiration><Days>2147483648</Days></Expiration></Rule></LifecycleConfiguration>",
        b"<LifecycleConfiguration><Rule><Status>Enabled</Status><Prefix/>"
        b"<Expiration><Date>9999-12-31T00:00:00Z</Date></Expiration></Rule>"
        b"</LifecycleConfiguration>",
        b"<LifecycleConfiguration>" + b"<Rule/>" * 5000 + b"</LifecycleConfiguration>",
        b'<!DOCTYPE a [<!ENTITY x "y">]><LifecycleConfiguration/>',
        b"<LifecycleConfiguration><Rule><ID>\xc3\xbc\xe2\x80\x9c</ID><Status>Enabled</Status>"
        b"<Prefix/><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>",
    ]
    statuses = []
    for data in bodies:

        def swap(request: Any, data: bytes = data, **_: Any) -> None:
            request.data = data
            for header in ("Content-MD5", "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm"):
                if header in request.headers:
                    del request.headers[header]

        s3.meta.events.register("before-sign.s3.PutBucketLifecycleConfiguration", swap)
        try:
            put_rules(s3, bucket, {"ID": "r", "Prefix": "", "Status": "Enabled"})
            statuses.append(200)
        except ClientError as error:
            statuses.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
        finally:
            s3.meta.events.unregister("before-sign.s3.PutBucketLifecycleConfiguration", swap)
    assert statuses == [400, 400, 400, 400, 200, 400, 400, 200]
    # The far date and the rule id outside ASCII were stored; the header stays readable.
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    assert s3.head_object(Bucket=bucket, Key="k")["Expiration"].endswith(
        'rule-id="%C3%BC%E2%80%9C"'
    )


@pytest.fixture
def quick_server(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    """A server of the test's own that carries out lifecycle rules every second."""
    server = LiveServer(
        data_dir=tmp_path / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_S3__LIFECYCLE_INTERVAL_SECONDS": "1"},
    ).start()
    yield server
    server.stop()


def test_the_server_carries_out_the_rules_by_itself(quick_server: LiveServer) -> None:
    user = make_s3_user(quick_server)
    s3 = s3_client(quick_server, user)
    bucket = new_bucket(s3, user)
    s3.put_object(Bucket=bucket, Key="past/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="kept", Body=b"b")
    put_rules(
        s3, bucket, {"ID": "past", "Prefix": "past/", "Status": "Enabled", "Expiration": PAST}
    )
    deadline = time.monotonic() + 60
    while "past/a" in keys(s3, bucket) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert keys(s3, bucket) == ["kept"]
    with quick_server.client(quick_server.admin_token) as rest:
        answer = rest.get("/api/audit", params={"action": "bucket.lifecycle.expire"})
    assert answer.status_code == 200, answer.text
    # Carried out once, by one process of the server, and audited.
    assert [(e["target"], e["actor"]) for e in answer.json()] == [
        (f"bucket:{bucket.replace('--', '/')}/past/a", None)
    ]
