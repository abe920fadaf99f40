"""The S3 port over https with a self-signed certificate: boto3 then sends aws-chunked bodies
with a trailing CRC32 (``STREAMING-UNSIGNED-PAYLOAD-TRAILER``) and no Content-Length, which
must be decoded while streaming and stored without the chunk framing."""

from __future__ import annotations

import hashlib
import os
import re

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance


def test_put_and_get_over_https(tls_server: LiveServer) -> None:
    user = make_s3_user(tls_server)
    s3 = s3_client(tls_server, user, verify=str(tls_server.cert))
    bucket = new_bucket(s3, user)
    data = os.urandom(3 * 2**20 + 17)  # several 1 MiB aws-chunks and a short one
    put = s3.put_object(Bucket=bucket, Key="model.bin", Body=data)
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="model.bin")
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    # Through TLS the kernel cannot send the file itself; the server streams it instead.
    ranged = s3.get_object(Bucket=bucket, Key="model.bin", Range="bytes=1000-2000000")
    assert ranged["Body"].read() == data[1000:2000001]
    # No framing stored: the core's own listing sees the decoded size and digest.
    namespace, name = bucket.split("--")
    with tls_server.client(user.token) as rest:
        listed = rest.get(f"/api/buckets/{namespace}/{name}/objects").json()["objects"]
    assert listed[0]["size"] == len(data)
    assert listed[0]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_wrong_trailer_checksum_stores_nothing(tls_server: LiveServer) -> None:
    user = make_s3_user(tls_server)
    s3 = s3_client(tls_server, user, verify=str(tls_server.cert))
    bucket = new_bucket(s3, user)

    def corrupt_trailer(request, **_: object) -> None:  # type: ignore[no-untyped-def]
        body = request.body
        read = body.read

        def tampered(*args: object) -> bytes:
            # Same length, another CRC32: only the trailer's value changes.
            return re.sub(rb"(x-amz-checksum-crc32:)[A-Za-z0-9+/=]{8}", rb"\1AAAAAA==", read(*args))

        body.read = tampered

    s3.meta.events.register("before-send.s3.PutObject", corrupt_trailer)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="bad", Body=b"some bytes")
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    s3.meta.events.unregister("before-send.s3.PutObject", corrupt_trailer)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
