"""Server-side encryption through boto3 against a live S3 port: SSE-S3, aws:kms and SSE-C on
PutObject, GetObject (whole and ranged), HeadObject, CopyObject, multipart uploads and
UploadPartCopy; a bucket's default encryption; the bytes on disk never holding the
plaintext; the REST API decrypting the same objects; and what a wrong or missing key,
malformed headers and another user get (never a 500)."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, refused, s3_client

pytestmark = pytest.mark.acceptance

MIB = 1024 * 1024
SSE = "x-amz-server-side-encryption"


@pytest.fixture
def bucket(s3: Any, alice: S3User) -> str:
    return new_bucket(s3, alice)


def customer_key(raw: bytes | None = None, prefix: str = "SSECustomer") -> dict[str, str]:
    raw = os.urandom(32) if raw is None else raw
    return {
        f"{prefix}Algorithm": "AES256",
        f"{prefix}Key": base64.b64encode(raw).decode(),
        f"{prefix}KeyMD5": base64.b64encode(hashlib.md5(raw).digest()).decode(),
    }


def as_copy_source(key: dict[str, str]) -> dict[str, str]:
    return {name.replace("SSECustomer", "CopySourceSSECustomer"): v for name, v in key.items()}


def read(s3: Any, bucket: str, key: str, **extra: Any) -> bytes:
    return bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())


def marker() -> bytes:
    """Plaintext no stored file can hold by chance, repeated past the small-blob limit."""
    return os.urandom(16).hex().encode() * 8192  # 256 KiB


def stored_anywhere(server: LiveServer, needle: bytes) -> list[Path]:
    """The files under the server's data folder (blobs, small-blob database, catalog) that
    hold ``needle``."""
    return [
        path
        for path in server.data_dir.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]


def check_ranges(s3: Any, bucket: str, key: str, data: bytes, **extra: Any) -> None:
    size = len(data)
    for start, end in [(0, 0), (1, 16), (15, 17), (4095, 70001), (size - 3, size - 1)]:
        got = read(s3, bucket, key, Range=f"bytes={start}-{end}", **extra)
        assert got == data[start : end + 1], (start, end)
    assert read(s3, bucket, key, Range="bytes=-7", **extra) == data[-7:]


def test_sse_s3_is_encrypted_on_disk_and_read_back_whole_and_in_ranges(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    data = marker()
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    # The ETag is the plaintext's MD5, as S3's for SSE-S3.
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert stored_anywhere(live_server, data[:64]) == []
    # The same look finds an object stored in the clear.
    clear = marker()
    s3.put_object(Bucket=bucket, Key="clear", Body=clear)
    assert stored_anywhere(live_server, clear[:64]) != []
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["ServerSideEncryption"] == "AES256" and got["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    check_ranges(s3, bucket, "k", data)


def test_the_rest_api_decrypts_the_same_object(
    live_server: LiveServer, s3: Any, alice: S3User, bucket: str
) -> None:
    data = marker()
    s3.put_object(Bucket=bucket, Key="w.bin", Body=data, ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="c.bin", Body=data, **customer_key())
    namespace, name = bucket.split("--", 1)
    with live_server.client(alice.token) as client:
        url = f"/api/buckets/{namespace}/{name}/objects/w.bin"
        whole = client.get(url)
        assert whole.status_code == 200 and whole.content == data
        # No digest of the ciphertext is passed off as the content's.
        assert "x-sha256" not in {h.lower() for h in whole.headers}
        ranged = client.get(url, headers={"Range": "bytes=17-4116"})
        assert ranged.status_code == 206 and ranged.content == data[17:4117]
        # An object under a customer's key cannot be read without it: a clear 400.
        sealed = client.get(f"/api/buckets/{namespace}/{name}/objects/c.bin")
        assert sealed.status_code == 400


def test_aws_kms_is_encrypted_under_the_server_keys_and_answers_its_key_id(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    data = marker()
    put = s3.put_object(
        Bucket=bucket, Key="k", Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId="key-7"
    )
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "key-7")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", "key-7")
    assert read(s3, bucket, "k") == data and stored_anywhere(live_server, data[:64]) == []
    # No key id: S3's default key, named here by a label of its own.
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"x", ServerSideEncryption="aws:kms")
    assert put["SSEKMSKeyId"]


def test_sse_c_needs_the_same_key_for_every_read(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    data, key = marker(), customer_key()
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, **key)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == key["SSECustomerKeyMD5"]
    # S3's ETag of an SSE-C object is not the MD5 of its content.
    assert put["ETag"] != f'"{hashlib.md5(data).hexdigest()}"'
    assert stored_anywhere(live_server, data[:64]) == []
    assert stored_anywhere(live_server, base64.b64decode(key["SSECustomerKey"])) == []
    got = s3.get_object(Bucket=bucket, Key="k", **key)
    assert got["SSECustomerKeyMD5"] == key["SSECustomerKeyMD5"] and got["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="k", **key)["ContentLength"] == len(data)
    check_ranges(s3, bucket, "k", data, **key)
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="k")) == (400, "InvalidRequest")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="k"))[0] == 400
    other = customer_key()
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="k", **other)) == (
        403,
        "AccessDenied",
    )
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="k", **other))[0] == 403
    # GetObjectAttributes tells as little as GetObject without the key.
    attributes = {"ObjectAttributes": ["ObjectSize"]}
    assert refused(lambda: s3.get_object_attributes(Bucket=bucket, Key="k", **attributes))[0] == 400
    assert (
        refused(lambda: s3.get_object_attributes(Bucket=bucket, Key="k", **attributes, **other))[0]
        == 403
    )
    found = s3.get_object_attributes(Bucket=bucket, Key="k", **attributes, **key)
    assert found["ObjectSize"] == len(data)
    # An empty object's key is checked as any other's.
    s3.put_object(Bucket=bucket, Key="empty", Body=b"", **key)
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="empty", **other))[0] == 403
    assert read(s3, bucket, "empty", **key) == b""
    # A key for an object stored without one names an encryption it does not have.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="plain", **key)) == (
        400,
        "InvalidRequest",
    )


def test_another_user_learns_nothing_whatever_key_they_send(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    key = customer_key()
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **key)
    s3.put_object(Bucket=bucket, Key="s", Body=b"secret", ServerSideEncryption="AES256")
    stranger = s3_client(live_server, make_s3_user(live_server))
    for extra in ({}, key, customer_key()):
        assert refused(lambda e=extra: stranger.get_object(Bucket=bucket, Key="k", **e)) == (
            404,
            "NoSuchBucket",
        )
    assert refused(lambda: stranger.get_object(Bucket=bucket, Key="s"))[0] == 404


def test_malformed_encryption_headers_are_400(s3: Any, bucket: str) -> None:
    key = customer_key()
    short = os.urandom(16)
    cases: list[dict[str, Any]] = [
        {**key, "SSECustomerAlgorithm": "AES128"},
        {**key, "SSECustomerKeyMD5": base64.b64encode(b"0" * 16).decode()},
        {
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": base64.b64encode(short).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(short).digest()).decode(),
        },
        {**key, "ServerSideEncryption": "AES256"},
        {"ServerSideEncryption": "AES512"},
        {"SSEKMSKeyId": "key-1"},
    ]
    for extra in cases:
        status, code = refused(
            lambda e=extra: s3.put_object(Bucket=bucket, Key="k", Body=b"x", **e)
        )
        assert (status, code) == (400, "InvalidArgument"), extra
    # The key without its MD5 (botocore always adds it, so the header goes raw).
    raw = s3_raw_put(s3, bucket, {f"{SSE}-customer-algorithm": "AES256",
                                  f"{SSE}-customer-key": key["SSECustomerKey"]})  # fmt: skip
    assert raw == 400
    # x-amz-server-side-encryption on a read is refused as S3 refuses it.
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
    assert s3_raw_get(s3, bucket, "k", {SSE: "AES256"}) == 400


def s3_raw_put(s3: Any, bucket: str, headers: dict[str, str]) -> int:
    """The status of a PutObject with ``headers`` added as they are."""

    def add(params: dict[str, Any], **_: Any) -> None:
        params["headers"].update(headers)

    s3.meta.events.register("before-call.s3.PutObject", add)
    try:
        s3.put_object(Bucket=bucket, Key="raw", Body=b"x")
    except ClientError as error:
        return int(error.response["ResponseMetadata"]["HTTPStatusCode"])
    finally:
        s3.meta.events.unregister("before-call.s3.PutObject", add)
    return 200


def s3_raw_get(s3: Any, bucket: str, key: str, headers: dict[str, str]) -> int:
    def add(params: dict[str, Any], **_: Any) -> None:
        params["headers"].update(headers)

    s3.meta.events.register("before-call.s3.GetObject", add)
    try:
        s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        return int(error.response["ResponseMetadata"]["HTTPStatusCode"])
    finally:
        s3.meta.events.unregister("before-call.s3.GetObject", add)
    return 200


def test_copies_decrypt_their_source_and_encrypt_as_the_request_asks(s3: Any, bucket: str) -> None:
    data, key = marker(), customer_key()
    s3.put_object(Bucket=bucket, Key="src", Body=data, **key)
    source = {"Bucket": bucket, "Key": "src"}
    # The source's key must come along.
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="d", CopySource=source))[0] == 400
    wrong = as_copy_source(customer_key())
    assert refused(lambda: s3.copy_object(Bucket=bucket, Key="d", CopySource=source, **wrong)) == (
        403,
        "AccessDenied",
    )
    copied = s3.copy_object(
        Bucket=bucket, Key="s3", CopySource=source, ServerSideEncryption="AES256",
        **as_copy_source(key),
    )  # fmt: skip
    assert copied["ServerSideEncryption"] == "AES256"
    assert read(s3, bucket, "s3") == data
    other = customer_key()
    copied = s3.copy_object(
        Bucket=bucket, Key="c2", CopySource=source, **other, **as_copy_source(key)
    )
    assert copied["SSECustomerKeyMD5"] == other["SSECustomerKeyMD5"]
    assert read(s3, bucket, "c2", **other) == data
    # To the clear only when asked for nothing, and then it is answered as not encrypted.
    plain = s3.copy_object(Bucket=bucket, Key="p", CopySource=source, **as_copy_source(key))
    assert "ServerSideEncryption" not in plain and read(s3, bucket, "p") == data
    # A copy onto itself that changes the encryption is allowed, as in S3.
    s3.copy_object(
        Bucket=bucket, Key="p", CopySource={"Bucket": bucket, "Key": "p"},
        ServerSideEncryption="AES256",
    )  # fmt: skip
    assert s3.head_object(Bucket=bucket, Key="p")["ServerSideEncryption"] == "AES256"
    assert read(s3, bucket, "p") == data


@pytest.mark.parametrize("kind", ["SSE-C", "AES256"])
def test_multipart_uploads_encrypt_every_part(
    live_server: LiveServer, s3: Any, bucket: str, kind: str
) -> None:
    key = customer_key() if kind == "SSE-C" else {}
    started = s3.create_multipart_upload(
        Bucket=bucket, Key="big", **(key or {"ServerSideEncryption": "AES256"})
    )
    upload = started["UploadId"]
    first, second = marker() * 21, marker()  # 5.25 MiB, then 256 KiB
    if key:
        assert started["SSECustomerKeyMD5"] == key["SSECustomerKeyMD5"]
        # Every part needs the upload's key.
        for extra in ({}, customer_key()):
            status, _ = refused(
                lambda e=extra: s3.upload_part(
                    Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"x", **e
                )
            )
            assert status == 400
    else:
        assert started["ServerSideEncryption"] == "AES256"
    parts = []
    for number, data in ((1, first), (2, second)):
        answer = s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload, PartNumber=number, Body=data, **key
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"].endswith('-2"')
    whole = first + second
    assert read(s3, bucket, "big", **key) == whole
    edge = len(first)
    got = read(s3, bucket, "big", Range=f"bytes={edge - 5}-{edge + 10}", **key)
    assert got == whole[edge - 5 : edge + 11]
    assert read(s3, bucket, "big", PartNumber=2, **key) == second
    assert stored_anywhere(live_server, second[:64]) == []
    if key:
        assert refused(lambda: s3.get_object(Bucket=bucket, Key="big"))[0] == 400


def test_upload_part_copy_reads_an_encrypted_source(s3: Any, bucket: str) -> None:
    data, key = marker() * 21, customer_key()
    s3.put_object(Bucket=bucket, Key="src", Body=data, **key)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst", ServerSideEncryption="AES256")
    source = {"Bucket": bucket, "Key": "src"}
    assert refused(
        lambda: s3.upload_part_copy(
            Bucket=bucket, Key="dst", UploadId=upload["UploadId"], PartNumber=1,
            CopySource=source,
        )
    )[0] == 400  # fmt: skip
    part = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=upload["UploadId"], PartNumber=1, CopySource=source,
        **as_copy_source(key),
    )  # fmt: skip
    s3.complete_multipart_upload(
        Bucket=bucket, Key="dst", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )  # fmt: skip
    assert s3.head_object(Bucket=bucket, Key="dst")["ServerSideEncryption"] == "AES256"
    assert read(s3, bucket, "dst") == data


def test_a_bucket_default_encrypts_new_objects_until_it_is_removed(
    live_server: LiveServer, s3: Any, alice: S3User, bucket: str
) -> None:
    assert refused(lambda: s3.get_bucket_encryption(Bucket=bucket)) == (
        404,
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    data = marker()
    put = s3.put_object(Bucket=bucket, Key="k", Body=data)
    assert put["ServerSideEncryption"] == "AES256"
    assert stored_anywhere(live_server, data[:64]) == [] and read(s3, bucket, "k") == data
    # A stranger may neither read nor change the setting; malformed rules are refused.
    stranger = s3_client(live_server, make_s3_user(live_server))
    assert refused(lambda: stranger.get_bucket_encryption(Bucket=bucket))[0] == 404
    assert refused(lambda: stranger.delete_bucket_encryption(Bucket=bucket))[0] == 404
    bad = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "DES"}}
    assert refused(
        lambda: s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [bad]}
        )
    ) == (400, "MalformedXML")
    s3.delete_bucket_encryption(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_encryption(Bucket=bucket))[0] == 404
    assert "ServerSideEncryption" not in s3.put_object(Bucket=bucket, Key="p", Body=b"x")
    # The object written under the default still reads.
    assert read(s3, bucket, "k") == data
    kms = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                  "KMSMasterKeyID": "key-9"}}  # fmt: skip
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [kms]})
    put = s3.put_object(Bucket=bucket, Key="m", Body=b"x")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", "key-9")


def test_a_form_upload_may_ask_for_encryption(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    data = marker()
    post = s3.generate_presigned_post(
        bucket, "form", Fields={SSE: "AES256"}, Conditions=[{SSE: "AES256"}]
    )
    answer = httpx.post(post["url"], data=post["fields"], files={"file": data})
    assert answer.status_code == 204 and answer.headers[SSE] == "AES256"
    assert read(s3, bucket, "form") == data and stored_anywhere(live_server, data[:64]) == []


def test_checksums_are_of_the_plaintext(s3: Any, bucket: str) -> None:
    data = marker()
    put = s3.put_object(
        Bucket=bucket, Key="k", Body=data, ServerSideEncryption="AES256", ChecksumAlgorithm="SHA256"
    )
    assert put["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    # botocore checks the body it gets against the checksum the answer carries.
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == put["ChecksumSHA256"] and got["Body"].read() == data


def test_older_versions_keep_their_encryption(s3: Any, bucket: str) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = customer_key()
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"first", **key)["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"second", ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="k", Body=b"third")
    assert read(s3, bucket, "k") == b"third"
    assert read(s3, bucket, "k", VersionId=second["VersionId"]) == b"second"
    assert read(s3, bucket, "k", VersionId=first, **key) == b"first"
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=first))[0] == 400
    head = s3.head_object(Bucket=bucket, Key="k", VersionId=second["VersionId"])
    assert head["ServerSideEncryption"] == "AES256"
