"""What an object keeps besides its bytes, through boto3 against a live S3 port: content
headers (PutObject, CopyObject with either metadata directive, ``response-content-*``
overrides) and the checksums a client sent, returned only in checksum mode and never for a
range."""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

import httpx
import pytest
from awscrt import checksums as crt
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, code_of, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

CONTENT = {
    "ContentEncoding": "gzip",
    "ContentDisposition": 'attachment; filename="model.bin"',
    "CacheControl": "max-age=3600, immutable",
    "ContentLanguage": "en-GB",
}
EXPIRES = "Thu, 01 Dec 2044 16:00:00 GMT"
BODY = b"weights " * 1000


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def raw_headers(answer: dict[str, Any]) -> dict[str, str]:
    return dict(answer["ResponseMetadata"]["HTTPHeaders"])


def test_content_headers_are_kept_and_returned_on_get_and_head(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="kept",
        Body=BODY,
        ContentType="application/x-weights",
        Expires=EXPIRES,
        Metadata={"stage": "one"},
        **CONTENT,
    )
    for answer in (
        s3.head_object(Bucket=bucket, Key="kept"),
        s3.get_object(Bucket=bucket, Key="kept"),
    ):
        assert {name: answer[name] for name in CONTENT} == CONTENT
        assert raw_headers(answer)["expires"] == EXPIRES
        assert answer["ContentType"] == "application/x-weights"
        assert answer["Metadata"] == {"stage": "one"}
    # Stored as sent: the server does not decode what it was told is gzip.
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == BODY


def test_copy_keeps_content_headers_or_replaces_them(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=BODY, Expires=EXPIRES, **CONTENT)
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "source"})
    copied = s3.head_object(Bucket=bucket, Key="copied")
    assert {name: copied[name] for name in CONTENT} == CONTENT
    assert raw_headers(copied)["expires"] == EXPIRES

    s3.copy_object(
        Bucket=bucket,
        Key="source",
        CopySource={"Bucket": bucket, "Key": "source"},
        MetadataDirective="REPLACE",
        CacheControl="no-store",
    )
    replaced = s3.head_object(Bucket=bucket, Key="source")
    assert replaced["CacheControl"] == "no-store"
    for gone in ("ContentEncoding", "ContentDisposition", "ContentLanguage", "Expires"):
        assert gone not in replaced
    assert s3.get_object(Bucket=bucket, Key="source")["Body"].read() == BODY


def test_aws_chunked_is_not_stored_as_the_content_encoding(
    live_server: LiveServer, s3: Any, alice: S3User, bucket: str
) -> None:
    """A body sent aws-chunked, declared ``aws-chunked,gzip``: only gzip describes the object."""
    data = b"hello world"
    framed = b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data)
    # SigV4: a v2 signature would cover the x-amz-* headers, which a presigned URL leaves out.
    v4 = s3_client(live_server, alice, signature_version="s3v4")
    url = v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "framed"}, ExpiresIn=60
    )
    headers = {
        "content-encoding": "aws-chunked,gzip",
        "x-amz-decoded-content-length": str(len(data)),
    }
    assert httpx.put(url, content=framed, headers=headers).status_code == 200
    got = s3.get_object(Bucket=bucket, Key="framed")
    assert got["ContentEncoding"] == "gzip"
    assert got["Body"].read() == data


def test_a_signed_get_overrides_response_headers_and_an_anonymous_one_may_not(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    public = f"{alice.name}--pub-meta"
    s3.create_bucket(Bucket=public, ACL="public-read")
    s3.put_object(Bucket=public, Key="k", Body=b"x", CacheControl="max-age=60")
    overrides = {
        "ResponseContentType": "text/csv",
        "ResponseContentDisposition": "inline",
        "ResponseCacheControl": "no-cache",
        "ResponseContentLanguage": "fr",
        "ResponseContentEncoding": "identity",
        "ResponseExpires": EXPIRES,
    }
    got = s3.get_object(Bucket=public, Key="k", **overrides)
    assert (got["ContentType"], got["ContentDisposition"], got["CacheControl"]) == (
        "text/csv",
        "inline",
        "no-cache",
    )
    assert (got["ContentLanguage"], got["ContentEncoding"]) == ("fr", "identity")
    assert raw_headers(got)["expires"] == EXPIRES
    presigned = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": public, "Key": "k", "ResponseContentDisposition": "attachment"},
        ExpiresIn=60,
    )
    answer = httpx.get(presigned)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == "attachment"
    assert answer.headers["cache-control"] == "max-age=60"

    anonymous = httpx.get(f"{live_server.s3_url}/{public}/k")
    assert (anonymous.status_code, anonymous.headers["cache-control"]) == (200, "max-age=60")
    forged = httpx.get(
        f"{live_server.s3_url}/{public}/k", params={"response-content-type": "text/html"}
    )
    assert forged.status_code == 400
    assert "<Code>InvalidRequest</Code>" in forged.text


def test_an_oversized_content_header_is_refused_not_stored(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="huge", Body=b"x", CacheControl="x" * 5000)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="huge")
    assert code_of(missing.value) == "404"


def crc(value: int, width: int) -> str:
    return b64(value.to_bytes(width, "big"))


EXPECTED = {
    "CRC32": crc(zlib.crc32(BODY), 4),
    "CRC32C": crc(crt.crc32c(BODY), 4),
    "CRC64NVME": crc(crt.crc64nvme(BODY), 8),
    "SHA1": b64(hashlib.sha1(BODY).digest()),
    "SHA256": b64(hashlib.sha256(BODY).digest()),
}


@pytest.mark.parametrize("algorithm", sorted(EXPECTED))
def test_a_checksum_sent_with_a_put_is_stored_and_returned_in_checksum_mode(
    s3: Any, bucket: str, algorithm: str
) -> None:
    key = f"sum-{algorithm}"
    put = s3.put_object(Bucket=bucket, Key=key, Body=BODY, ChecksumAlgorithm=algorithm)
    field = f"Checksum{algorithm}"
    assert put[field] == EXPECTED[algorithm]
    # botocore checks the returned checksum against the body it reads.
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got[field] == EXPECTED[algorithm]
    assert got["Body"].read() == BODY
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[field] == EXPECTED[algorithm]
    assert raw_headers(head)["x-amz-checksum-type"] == "FULL_OBJECT"
    assert field not in s3.head_object(Bucket=bucket, Key=key)
    ranged = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-9", ChecksumMode="ENABLED")
    assert ranged["Body"].read() == BODY[:10]
    assert not any(name.startswith("x-amz-checksum") for name in raw_headers(ranged))


def test_a_copy_keeps_the_checksum_of_its_bytes(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="summed", Body=BODY, ChecksumAlgorithm="SHA256")
    s3.copy_object(Bucket=bucket, Key="summed-copy", CopySource=f"{bucket}/summed")
    head = s3.head_object(Bucket=bucket, Key="summed-copy", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == EXPECTED["SHA256"]


def test_a_wrong_checksum_is_a_bad_digest_and_stores_nothing(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="guarded", Body=b"before")
    wrong = crc(zlib.crc32(b"something else"), 4)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="guarded", Body=BODY, ChecksumCRC32=wrong)
    assert code_of(refused.value) == "BadDigest"
    with pytest.raises(ClientError) as malformed:
        s3.put_object(Bucket=bucket, Key="guarded", Body=BODY, ChecksumSHA256="bm90IGEgZGlnZXN0")
    assert code_of(malformed.value) == "InvalidRequest"
    with pytest.raises(ClientError) as bad_md5:
        s3.put_object(Bucket=bucket, Key="guarded", Body=BODY, ContentMD5="bm8=")
    assert code_of(bad_md5.value) == "InvalidDigest"
    kept = s3.get_object(Bucket=bucket, Key="guarded", ChecksumMode="ENABLED")
    assert kept["Body"].read() == b"before"
    # The object that stayed keeps its own checksum (boto3 sends a CRC32 by default).
    assert kept["ChecksumCRC32"] == crc(zlib.crc32(b"before"), 4)


def test_owners_are_listed_where_s3_lists_them(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    with live_server.client(alice.token) as rest:
        me = rest.get("/api/whoami").json()["user"]
    owner = {"ID": me["id"], "DisplayName": alice.name}
    assert s3.list_buckets()["Owner"] == owner
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="dir/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="b", Body=b"b")

    v1 = s3.list_objects(Bucket=bucket)["Contents"]
    assert [o["Owner"] for o in v1] == [owner, owner]
    plain = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert not any("Owner" in o for o in plain)
    fetched = s3.list_objects_v2(Bucket=bucket, FetchOwner=True, Delimiter="/")
    assert [(o["Key"], o["Owner"]) for o in fetched["Contents"]] == [("b", owner)]
    assert not any(
        "Owner" in o for o in s3.list_objects_v2(Bucket=bucket, FetchOwner=False)["Contents"]
    )
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert [(v["Key"], v["Owner"]) for v in versions] == [("b", owner), ("dir/a", owner)]


def test_another_reader_sees_the_bucket_owner_not_itself(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    public = f"{alice.name}--owned"
    s3.create_bucket(Bucket=public, ACL="public-read")
    s3.put_object(Bucket=public, Key="k", Body=b"x")
    anonymous = s3_client(live_server)
    listed = anonymous.list_objects_v2(Bucket=public, FetchOwner=True)["Contents"]
    assert listed[0]["Owner"]["DisplayName"] == alice.name
    assert (
        s3.list_objects_v2(Bucket=public, FetchOwner=True)["Contents"][0]["Owner"]
        == listed[0]["Owner"]
    )


def test_get_object_attributes_reports_etag_checksum_and_size(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    put = s3.put_object(Bucket=bucket, Key="attrs", Body=BODY, ChecksumAlgorithm="SHA256")
    attributes = s3.get_object_attributes(
        Bucket=bucket,
        Key="attrs",
        ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass", "ObjectParts"],
    )
    assert attributes["ETag"] == put["ETag"].strip('"')
    assert attributes["Checksum"]["ChecksumSHA256"] == EXPECTED["SHA256"]
    assert (attributes["ObjectSize"], attributes["StorageClass"]) == (len(BODY), "STANDARD")
    assert "ObjectParts" not in attributes
    only_size = s3.get_object_attributes(
        Bucket=bucket, Key="attrs", ObjectAttributes=["ObjectSize"]
    )
    assert "ETag" not in only_size and only_size["ObjectSize"] == len(BODY)
    with pytest.raises(ClientError) as unknown:
        s3.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=["Secrets"])
    assert code_of(unknown.value) == "InvalidArgument"
    with pytest.raises(ClientError) as missing:
        s3.get_object_attributes(Bucket=bucket, Key="nothing", ObjectAttributes=["ETag"])
    assert code_of(missing.value) == "NoSuchKey"
    stranger = s3_client(live_server, make_s3_user(live_server))
    with pytest.raises(ClientError) as denied:
        stranger.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=["ETag"])
    assert code_of(denied.value) == "NoSuchBucket"


@pytest.mark.parametrize("value", ["Hello World\xe9", "\u65e5\u672c \u30e2\u30c7\u30eb"])
def test_non_ascii_metadata_is_signed_stored_and_returned_as_sent(
    live_server: LiveServer, s3: Any, bucket: str, alice: S3User, value: str
) -> None:
    # botocore refuses non-ASCII in Metadata=, but sends what a handler puts in the headers:
    # as UTF-8, signed over its UTF-8 text (s3-tests' unicode metadata case does this).
    def with_metadata(params: dict[str, Any], **_: Any) -> None:
        params["headers"]["x-amz-meta-label"] = value

    s3.meta.events.register("before-call.s3.PutObject", with_metadata)
    try:
        s3.put_object(Bucket=bucket, Key="unicode-meta", Body=BODY)
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", with_metadata)
    for answer in (
        s3.head_object(Bucket=bucket, Key="unicode-meta"),
        s3.get_object(Bucket=bucket, Key="unicode-meta"),
    ):
        # The client reads header bytes one character each; the bytes are the UTF-8 it sent.
        assert answer["Metadata"]["label"].encode("latin-1").decode("utf-8") == value
    namespace, name = bucket.split("--")
    with live_server.client(alice.token) as rest:
        listed = rest.get(f"/api/buckets/{namespace}/{name}/objects").json()["objects"]
        assert [o["metadata"] for o in listed if o["key"] == "unicode-meta"] == [{"label": value}]
        got = rest.get(f"/api/buckets/{namespace}/{name}/objects/unicode-meta")
        assert got.status_code == 200
        assert dict(got.headers.raw)[b"x-meta-label"].decode("utf-8") == value
