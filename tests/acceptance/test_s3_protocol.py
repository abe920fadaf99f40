"""What S3 does that a careful client relies on, through boto3 against a live S3 port: the
default CRC64NVME of bodies sent without a checksum, ``encoding-type=url`` on every listing,
bucket owners, and the corners of ranges, conditions and copies."""

from __future__ import annotations

import base64
import os
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from awscrt import checksums as crt
from botocore.exceptions import ClientError

from tests.acceptance.api import unique
from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, code_of, make_s3_user, new_bucket, s3_client, user_id

pytestmark = pytest.mark.acceptance

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def bare(live_server: LiveServer, alice: S3User) -> Any:
    """A client that sends a checksum only where S3 requires one, as older SDKs and many
    other clients do."""
    return s3_client(live_server, alice, request_checksum_calculation="when_required")


def crc64(data: bytes) -> str:
    return base64.b64encode(crt.crc64nvme(data).to_bytes(8, "big")).decode()


def test_a_put_without_a_checksum_gets_s3s_default_crc64nvme(bare: Any, bucket: str) -> None:
    body = os.urandom(70_000)
    put = bare.put_object(Bucket=bucket, Key="plain", Body=body)
    assert put["ChecksumCRC64NVME"] == crc64(body)
    assert put["ChecksumType"] == "FULL_OBJECT"
    # botocore checks the returned CRC64NVME against the bytes it reads.
    got = bare.get_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert (got["ChecksumCRC64NVME"], got["ChecksumType"]) == (crc64(body), "FULL_OBJECT")
    assert got["Body"].read() == body
    # A client's own checksum is the one kept, as in S3: no second one beside it.
    sent = bare.put_object(Bucket=bucket, Key="summed", Body=body, ChecksumAlgorithm="SHA256")
    head = bare.head_object(Bucket=bucket, Key="summed", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sent["ChecksumSHA256"]
    assert "ChecksumCRC64NVME" not in head


def test_a_multipart_upload_without_a_checksum_gets_a_full_object_crc64nvme(
    bare: Any, s3: Any, bucket: str
) -> None:
    first, last = os.urandom(5 * MIB), os.urandom(1000)
    s3.put_object(Bucket=bucket, Key="source", Body=last)
    created = bare.create_multipart_upload(Bucket=bucket, Key="assembled")
    assert "ChecksumAlgorithm" not in created
    upload = created["UploadId"]
    part = bare.upload_part(
        Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=1, Body=first
    )
    # Not asked for: the part's answer does not show the checksum kept with it.
    assert "ChecksumCRC64NVME" not in part
    copied = bare.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload,
        PartNumber=2,
        CopySource={"Bucket": bucket, "Key": "source"},
    )
    done = bare.complete_multipart_upload(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": part["ETag"]},
                {"PartNumber": 2, "ETag": copied["CopyPartResult"]["ETag"]},
            ]
        },
    )
    whole = first + last
    assert (done["ChecksumCRC64NVME"], done["ChecksumType"]) == (crc64(whole), "FULL_OBJECT")
    got = bare.get_object(Bucket=bucket, Key="assembled", ChecksumMode="ENABLED")
    assert got["ChecksumCRC64NVME"] == crc64(whole)
    assert got["Body"].read() == whole


def test_a_copied_part_carries_the_uploads_checksum(s3: Any, bucket: str) -> None:
    body = os.urandom(5 * MIB + 7)
    s3.put_object(Bucket=bucket, Key="copy-source", Body=body)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="copied", ChecksumAlgorithm="CRC32")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="copied",
        UploadId=upload["UploadId"],
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "copy-source"},
    )["CopyPartResult"]
    expected = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert copied["ChecksumCRC32"] == expected
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="copied",
        UploadId=upload["UploadId"],
        MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": copied["ETag"], "ChecksumCRC32": expected}]
        },
    )
    assert done["ChecksumCRC32"].endswith("-1")


def test_attributes_of_an_assembled_object_count_its_parts(s3: Any, bucket: str) -> None:
    sizes = (5 * MIB, 5 * MIB, 10)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="parts", ChecksumAlgorithm="SHA256")
    parts = []
    for number, size in enumerate(sizes, start=1):
        sent = s3.upload_part(
            Bucket=bucket,
            Key="parts",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=os.urandom(size),
            ChecksumAlgorithm="SHA256",
        )
        parts.append(
            {"PartNumber": number, "ETag": sent["ETag"], "ChecksumSHA256": sent["ChecksumSHA256"]}
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="parts", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    every = ["ETag", "Checksum", "ObjectParts", "ObjectSize"]
    attributes = s3.get_object_attributes(Bucket=bucket, Key="parts", ObjectAttributes=every)
    assert attributes["ETag"] == done["ETag"].strip('"') and attributes["ETag"].endswith("-3")
    assert attributes["ObjectSize"] == sum(sizes)
    assert attributes["Checksum"]["ChecksumSHA256"] == done["ChecksumSHA256"]
    assert attributes["Checksum"]["ChecksumType"] == "COMPOSITE"
    listed = attributes["ObjectParts"]
    assert (listed["TotalPartsCount"], listed["IsTruncated"]) == (3, False)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [
        (1, 5 * MIB),
        (2, 5 * MIB),
        (3, 10),
    ]
    page = s3.get_object_attributes(
        Bucket=bucket, Key="parts", ObjectAttributes=["ObjectParts"], MaxParts=1, PartNumberMarker=1
    )["ObjectParts"]
    assert [p["PartNumber"] for p in page["Parts"]] == [2]
    assert (page["IsTruncated"], page["NextPartNumberMarker"]) == (True, 2)


def test_a_well_formed_bucket_name_naming_no_bucket_is_no_such_bucket(s3: Any) -> None:
    # S3 answers 404 for a bucket nobody created; a name without a namespace is one here.
    for call in (
        lambda: s3.put_object(Bucket="whatchutalkinboutwillis", Key="k", Body=b"x"),
        lambda: s3.list_objects_v2(Bucket="no-namespace"),
        lambda: s3.head_bucket(Bucket="no-namespace"),
    ):
        with pytest.raises(ClientError) as missing:
            call()
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as invalid:
        s3.create_bucket(Bucket="no-namespace")
    assert code_of(invalid.value) == "InvalidBucketName"


def test_a_conditional_delete_removes_only_the_version_it_names(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="cas", Body=b"first")
    second = s3.put_object(Bucket=bucket, Key="cas", Body=b"second!")
    with pytest.raises(ClientError) as stale:
        s3.delete_object(Bucket=bucket, Key="cas", IfMatch=first["ETag"])
    assert code_of(stale.value) == "PreconditionFailed"
    with pytest.raises(ClientError) as wrong_size:
        s3.delete_object(Bucket=bucket, Key="cas", IfMatch=second["ETag"], IfMatchSize=5)
    assert code_of(wrong_size.value) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"second!"
    s3.delete_object(Bucket=bucket, Key="cas", IfMatch=second["ETag"], IfMatchSize=7)
    with pytest.raises(ClientError) as gone:
        s3.delete_object(Bucket=bucket, Key="cas", IfMatch=second["ETag"])
    assert code_of(gone.value) == "NoSuchKey"
    s3.delete_object(Bucket=bucket, Key="cas")  # unconditional: 204 for a missing key


def test_every_listing_url_encodes_names_when_asked(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    keys = ["a b+c/d é", "a b+c/e", "z%1"]
    uploads = [s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"] for key in keys]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    # Given explicitly, botocore leaves the answer as sent, so the encoding itself shows.
    asked = {"Bucket": bucket, "EncodingType": "url", "Delimiter": "/", "Prefix": "a b+"}
    encoded = ["a%20b%2Bc/"]
    v1 = s3.list_objects(**asked, Marker="a b+")
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == encoded
    assert (v1["EncodingType"], v1["Prefix"], v1["Marker"]) == ("url", "a%20b%2B", "a%20b%2B")
    v2 = s3.list_objects_v2(**asked, StartAfter="a b+")
    assert [p["Prefix"] for p in v2["CommonPrefixes"]] == encoded
    assert (v2["EncodingType"], v2["StartAfter"]) == ("url", "a%20b%2B")
    versions = s3.list_object_versions(**asked, KeyMarker="a b+")
    assert [p["Prefix"] for p in versions["CommonPrefixes"]] == encoded
    assert versions["KeyMarker"] == "a%20b%2B"
    mpu = s3.list_multipart_uploads(**asked, KeyMarker="a b+")
    assert [p["Prefix"] for p in mpu["CommonPrefixes"]] == encoded
    assert (mpu["EncodingType"], mpu["Prefix"], mpu["KeyMarker"]) == ("url", "a%20b%2B", "a%20b%2B")
    flat = s3.list_multipart_uploads(Bucket=bucket, EncodingType="url", MaxUploads=2)
    assert [u["Key"] for u in flat["Uploads"]] == ["a%20b%2Bc/d%20%C3%A9", "a%20b%2Bc/e"]
    assert flat["NextKeyMarker"] == "a%20b%2Bc/e"
    # Not asked: names as they are.
    plain = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in plain["Uploads"]] == keys
    assert "EncodingType" not in plain
    for key, upload in zip(keys, uploads, strict=True):
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)


@pytest.fixture(scope="module")
def eager_server(
    tmp_path_factory: pytest.TempPathFactory, server_workers: int
) -> Iterator[LiveServer]:
    """A server that answers every multipart completion before it ends, as it does for one
    that takes longer than ``s3.complete_keepalive_seconds`` (a large upload)."""
    server = LiveServer(
        data_dir=tmp_path_factory.mktemp("keepalive") / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_S3__COMPLETE_KEEPALIVE_SECONDS": "0.001"},
    ).start()
    yield server
    server.stop()


def _two_parts(client: Any, bucket: str, key: str) -> tuple[str, list[dict[str, Any]], bytes]:
    first, last = os.urandom(5 * MIB), os.urandom(1000)
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = [
        {
            "PartNumber": n,
            "ETag": client.upload_part(
                Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body
            )["ETag"],
        }
        for n, body in ((1, first), (2, last))
    ]
    return upload, parts, first + last


def test_a_long_completion_is_answered_at_once_and_kept_alive(eager_server: LiveServer) -> None:
    user = make_s3_user(eager_server)
    client = s3_client(eager_server, user)
    bucket = new_bucket(client, user)
    bodies: list[bytes] = []
    client.meta.events.register(
        "after-call.s3.CompleteMultipartUpload",
        lambda http_response, **_: bodies.append(http_response.content),
    )
    upload, parts, data = _two_parts(client, bucket, "big")
    done = client.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 200
    # The status went out first, then spaces while the parts were joined, then the result.
    declaration, _, rest = bodies[0].partition(b"?>\n")
    assert declaration.startswith(b"<?xml") and rest.startswith(b" ")
    assert rest.lstrip().startswith(b"<CompleteMultipartUploadResult")
    got = client.get_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert got["ETag"] == done["ETag"] and got["Body"].read() == data
    sums = {k: v for k, v in done.items() if k.startswith("Checksum")}
    assert sums and all(got[k] == v for k, v in sums.items())

    # An error still gets to botocore, whether found early (its own status) or while the
    # parts were joined (an error document in the 200 body: tests/unit/frontends/
    # test_s3_keepalive.py).
    upload, parts, _ = _two_parts(client, bucket, "big")
    with pytest.raises(ClientError) as refused:
        client.complete_multipart_upload(
            Bucket=bucket,
            Key="big",
            UploadId=upload,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )
    assert code_of(refused.value) == "PreconditionFailed"
    assert client.get_object(Bucket=bucket, Key="big")["Body"].read() == data
    # Nothing changed: the upload is still there to complete.
    client.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )


def test_an_organisations_bucket_is_owned_by_the_organisation(live_server: LiveServer) -> None:
    founder, member = make_s3_user(live_server), make_s3_user(live_server)
    org = unique("org")
    with live_server.client(founder.token) as rest:
        assert rest.post("/api/orgs", json={"name": org}).status_code == 201
        joined = rest.put(f"/api/orgs/{org}/members/{member.name}", json={"role": "write"})
        assert joined.status_code == 200, joined.text
    owners = []
    for user in (founder, member):
        client = s3_client(live_server, user)
        bucket = f"{org}--{unique('b')}"
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
        owners.append(client.list_objects(Bucket=bucket)["Contents"][0]["Owner"])
        fetched = client.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]
        assert fetched["Owner"] == owners[-1]
    # Whoever created it, the organisation owns it.
    assert owners[0] == owners[1]
    assert owners[0]["DisplayName"] == org
    people = {user_id(live_server, founder), user_id(live_server, member)}
    assert owners[0]["ID"] not in people
    # A user's own bucket is still that user's.
    own = s3_client(live_server, member)
    mine = new_bucket(own, member)
    own.put_object(Bucket=mine, Key="k", Body=b"x")
    listed = own.list_object_versions(Bucket=mine)["Versions"][0]["Owner"]
    assert listed == {"ID": user_id(live_server, member), "DisplayName": member.name}


def test_expected_bucket_owner_is_checked(live_server: LiveServer, s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    me, other = user_id(live_server, alice), "0" * 32
    assert s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=me)["Body"].read() == b"x"
    s3.put_object(Bucket=bucket, Key="k2", Body=b"y", ExpectedBucketOwner=me)
    refused = [
        lambda: s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=other),
        lambda: s3.head_object(Bucket=bucket, Key="k", ExpectedBucketOwner=other),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"z", ExpectedBucketOwner=other),
        lambda: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner=other),
        lambda: s3.delete_object(Bucket=bucket, Key="k", ExpectedBucketOwner=other),
        lambda: s3.copy_object(
            Bucket=bucket,
            Key="copy",
            CopySource={"Bucket": bucket, "Key": "k"},
            ExpectedSourceBucketOwner=other,
        ),
    ]
    for call in refused:
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    s3.copy_object(
        Bucket=bucket,
        Key="copy",
        CopySource={"Bucket": bucket, "Key": "k"},
        ExpectedSourceBucketOwner=me,
        ExpectedBucketOwner=me,
    )


def test_copy_conditions_follow_s3s_rules(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="cond-source", Body=b"source")
    etag = put["ETag"]
    past, future = datetime(2001, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
    source = {"Bucket": bucket, "Key": "cond-source"}

    def copy(**conditions: Any) -> str:
        try:
            s3.copy_object(Bucket=bucket, Key="cond-copy", CopySource=source, **conditions)
        except ClientError as exc:
            return code_of(exc)
        return "copied"

    # if-match true: copied, even though the source changed since the date.
    assert copy(CopySourceIfMatch=etag, CopySourceIfUnmodifiedSince=past) == "copied"
    # if-none-match true (another tag): copied, even though unchanged since the date.
    assert copy(CopySourceIfNoneMatch='"other"', CopySourceIfModifiedSince=future) == "copied"
    # if-none-match false: refused, whatever the date says.
    assert copy(CopySourceIfNoneMatch=etag, CopySourceIfModifiedSince=past) == "PreconditionFailed"
    assert copy(CopySourceIfMatch='"other"') == "PreconditionFailed"
    assert copy(CopySourceIfUnmodifiedSince=past) == "PreconditionFailed"
    assert copy(CopySourceIfModifiedSince=future) == "PreconditionFailed"
    assert copy(CopySourceIfModifiedSince=past, CopySourceIfUnmodifiedSince=future) == "copied"


def test_copy_source_names_keys_url_encoded_and_the_null_version(s3: Any, bucket: str) -> None:
    key = "dir/a b+c%d é?x=1"
    s3.put_object(Bucket=bucket, Key=key, Body=b"odd name")
    s3.copy_object(Bucket=bucket, Key="odd-copy", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key="odd-copy")["Body"].read() == b"odd name"
    s3.copy_object(
        Bucket=bucket,
        Key="odd-null",
        CopySource={"Bucket": bucket, "Key": key, "VersionId": "null"},
    )
    assert s3.get_object(Bucket=bucket, Key="odd-null")["Body"].read() == b"odd name"
    with pytest.raises(ClientError) as unknown:
        s3.copy_object(
            Bucket=bucket, Key="odd-v", CopySource={"Bucket": bucket, "Key": key, "VersionId": "v1"}
        )
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)


def test_copy_source_reads_a_plus_as_a_space_as_s3_does(s3: Any, bucket: str) -> None:
    # s5cmd encodes the copy source as a form value, `a b+c` as `a+b%2Bc`, and AWS reads it so.
    s3.put_object(Bucket=bucket, Key="plus/a b+c", Body=b"spaced")
    s3.put_object(Bucket=bucket, Key="plus/a+b c", Body=b"other")

    def form_encoded(request: Any, **_: object) -> None:
        request.headers.replace_header("x-amz-copy-source", f"{bucket}/plus/a+b%2Bc")

    s3.meta.events.register("before-sign.s3.CopyObject", form_encoded)
    try:
        s3.copy_object(Bucket=bucket, Key="plus-copy", CopySource=f"{bucket}/plus/x")
    finally:
        s3.meta.events.unregister("before-sign.s3.CopyObject", form_encoded)
    assert s3.get_object(Bucket=bucket, Key="plus-copy")["Body"].read() == b"spaced"


def test_ranges_at_the_edges(s3: Any, bucket: str) -> None:
    body = bytes(range(100))
    s3.put_object(Bucket=bucket, Key="ranged", Body=body)

    def ranged(spec: str) -> tuple[int, str | None, bytes]:
        got = s3.get_object(Bucket=bucket, Key="ranged", Range=spec)
        status = got["ResponseMetadata"]["HTTPStatusCode"]
        return status, got.get("ContentRange"), got["Body"].read()

    assert ranged("bytes=-10") == (206, "bytes 90-99/100", body[-10:])
    assert ranged("bytes=-1000") == (206, "bytes 0-99/100", body)
    assert ranged("bytes=95-") == (206, "bytes 95-99/100", body[95:])
    assert ranged("bytes=98-1000") == (206, "bytes 98-99/100", body[98:])
    assert ranged("bytes=99-99") == (206, "bytes 99-99/100", body[99:])
    for unsatisfiable in ("bytes=100-", "bytes=100-200", "bytes=-0"):
        with pytest.raises(ClientError) as refused:
            s3.get_object(Bucket=bucket, Key="ranged", Range=unsatisfiable)
        answer = refused.value.response
        assert (answer["ResponseMetadata"]["HTTPStatusCode"], code_of(refused.value)) == (
            416,
            "InvalidRange",
        ), unsatisfiable
        assert answer["ResponseMetadata"]["HTTPHeaders"]["content-range"] == "bytes */100"
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    for spec in ("bytes=0-", "bytes=-5"):
        with pytest.raises(ClientError) as empty:
            s3.get_object(Bucket=bucket, Key="empty", Range=spec)
        headers = empty.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert (code_of(empty.value), headers["content-range"]) == ("InvalidRange", "bytes */0")
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""


def test_conditional_reads_by_date(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dated", Body=b"dated")
    past = datetime(2001, 1, 1, tzinfo=UTC)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert (
        s3.get_object(Bucket=bucket, Key="dated", IfModifiedSince=past)["Body"].read() == b"dated"
    )
    for read in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as unchanged:
            read(Bucket=bucket, Key="dated", IfModifiedSince=later)
        assert unchanged.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
        with pytest.raises(ClientError) as changed:
            read(Bucket=bucket, Key="dated", IfUnmodifiedSince=past)
        assert changed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # An entity tag that holds outranks the date beside it.
    etag = s3.head_object(Bucket=bucket, Key="dated")["ETag"]
    assert s3.head_object(Bucket=bucket, Key="dated", IfMatch=etag, IfUnmodifiedSince=past)
    # A missing key is 404 before any condition.
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="nothing", IfMatch='"x"')
    assert code_of(missing.value) == "NoSuchKey"


def test_listing_corners(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    for key in ("a", "b", "c/1", "c/2", "d"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    none = s3.list_objects_v2(Bucket=bucket, MaxKeys=0)
    assert (none["KeyCount"], none["IsTruncated"], "Contents" in none) == (0, False, False)
    first = s3.list_objects_v2(Bucket=bucket, StartAfter="a", MaxKeys=2, Delimiter="/")
    assert [o["Key"] for o in first["Contents"]] == ["b"]
    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["c/"]
    # With a continuation token, start-after no longer moves the start, but is echoed.
    token = first["NextContinuationToken"]
    rest = s3.list_objects_v2(
        Bucket=bucket, StartAfter="zzz", ContinuationToken=token, Delimiter="/"
    )
    assert [o["Key"] for o in rest["Contents"]] == ["d"]
    assert (rest["StartAfter"], rest["ContinuationToken"]) == ("zzz", token)
    with pytest.raises(ClientError) as forged:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="%%%not-a-token")
    assert code_of(forged.value) == "InvalidArgument"


def test_delete_objects_quiet_and_its_limit(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    for n in range(3):
        s3.put_object(Bucket=bucket, Key=f"k{n}", Body=b"x")
    objects = [{"Key": f"k{n}"} for n in range(3)] + [{"Key": "absent"}]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    loud = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "absent"}]})
    assert [d["Key"] for d in loud["Deleted"]] == ["absent"]
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    too_many = [{"Key": f"x{n}"} for n in range(1000)] + [{"Key": "kept"}]
    with pytest.raises(ClientError) as refused:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": too_many})
    assert code_of(refused.value) == "MalformedXML"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


@pytest.mark.parametrize("config", [{}, {"signature_version": "s3v4"}], ids=["v2", "v4"])
def test_presigned_urls_live_at_most_seven_days(
    live_server: LiveServer, alice: S3User, bucket: str, config: dict[str, str]
) -> None:
    # boto3 presigns with SigV2 on a custom endpoint unless told s3v4.
    signer = s3_client(live_server, alice, **config)
    signer.put_object(Bucket=bucket, Key="shared", Body=b"shared")

    def fetch(seconds: int) -> int:
        url = signer.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "shared"}, ExpiresIn=seconds
        )
        return httpx.get(url).status_code

    assert fetch(7 * 86400) == 200
    assert fetch(7 * 86400 + 60) == 403
