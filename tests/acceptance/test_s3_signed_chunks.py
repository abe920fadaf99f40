"""``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` bodies (what minio-go and the AWS Java SDKs send over
plain http) and their signed-trailer variant: every chunk's signature is checked while the body
streams, then the trailer's, and a forged chunk or trailer stores nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from typing import Any

import httpx
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance

STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"


class StreamingAuth(S3SigV4Auth):
    """botocore's signer with the streaming payload hash as the canonical request's last line."""

    def payload(self, request: AWSRequest) -> str:
        return STREAMING


class TrailerAuth(S3SigV4Auth):
    """The same for a body with a signed trailer."""

    def payload(self, request: AWSRequest) -> str:
        return TRAILER


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def chunked_put(
    user: S3User,
    url: str,
    data: bytes,
    chunk: int,
    *,
    forge: int | None = None,
    trailer: dict[str, str] | None = None,
    forge_trailer: bool = False,
) -> httpx.Response:
    """PUT ``data`` in signed aws-chunks of ``chunk`` bytes; ``forge`` flips a byte of that
    chunk after signing. With ``trailer``, its lines follow the last chunk, signed (AWS's
    "sigv4-streaming-trailers" form) unless ``forge_trailer`` changes them after signing."""
    headers = {
        "X-Amz-Content-SHA256": TRAILER if trailer else STREAMING,
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    if trailer:
        headers["X-Amz-Trailer"] = ",".join(trailer)
    request = AWSRequest(method="PUT", url=url, headers=headers)
    signer = TrailerAuth if trailer else StreamingAuth
    signer(Credentials(user.key_id, user.secret), "s3", "us-east-1").add_auth(request)
    stamp = request.headers["X-Amz-Date"]
    seed = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    scope = f"{stamp[:8]}/us-east-1/s3/aws4_request"
    key = _hmac(
        _hmac(_hmac(_hmac(("AWS4" + user.secret).encode(), stamp[:8]), "us-east-1"), "s3"),
        "aws4_request",
    )
    previous, body = seed, b""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for index, piece in enumerate(pieces):
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                stamp,
                scope,
                previous,
                hashlib.sha256(b"").hexdigest(),
                hashlib.sha256(piece).hexdigest(),
            ]
        )
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if index == forge:
            piece = bytes([piece[0] ^ 1]) + piece[1:]
        body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece
        if piece or not trailer:
            body += b"\r\n"
    if trailer:
        lines = "".join(f"{name}:{value}\n" for name, value in trailer.items())
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-TRAILER",
                stamp,
                scope,
                previous,
                hashlib.sha256(lines.encode()).hexdigest(),
            ]
        )
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = {name: value[::-1] if forge_trailer else value for name, value in trailer.items()}
        body += "".join(f"{name}:{value}\r\n" for name, value in sent.items()).encode()
        body += f"x-amz-trailer-signature:{signature}\r\n\r\n".encode()
    sent_headers: dict[str, Any] = dict(request.headers.items())
    sent_headers["Content-Length"] = str(len(body))
    return httpx.put(url, content=body, headers=sent_headers, timeout=60)


def test_signed_chunks_are_decoded_and_checked(live_server: LiveServer) -> None:
    user = make_s3_user(live_server)
    s3 = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    data = bytes(range(256)) * 1000
    url = f"{live_server.s3_url}/{bucket}/signed"
    response = chunked_put(user, url, data, 64 * 1024)
    assert response.status_code == 200, response.text
    assert s3.get_object(Bucket=bucket, Key="signed")["Body"].read() == data

    forged = chunked_put(user, f"{live_server.s3_url}/{bucket}/forged", data, 64 * 1024, forge=1)
    assert forged.status_code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in forged.content
    assert s3.list_objects_v2(Bucket=bucket, Prefix="forged")["KeyCount"] == 0


def crc32_of(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_a_signed_trailer_is_checked_and_its_checksum_stored(live_server: LiveServer) -> None:
    user = make_s3_user(live_server)
    s3 = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    data = bytes(range(256)) * 700
    url = f"{live_server.s3_url}/{bucket}"
    good = {"x-amz-checksum-crc32": crc32_of(data)}
    response = chunked_put(user, f"{url}/trailed", data, 64 * 1024, trailer=good)
    assert response.status_code == 200, response.text
    got = s3.get_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == good["x-amz-checksum-crc32"]

    # A trailer changed after signing: the signature no longer holds.
    forged = chunked_put(user, f"{url}/forged", data, 64 * 1024, trailer=good, forge_trailer=True)
    assert forged.status_code == 403, forged.text
    assert b"<Code>SignatureDoesNotMatch</Code>" in forged.content
    # A correctly signed trailer whose checksum is not the body's.
    wrong = {"x-amz-checksum-crc32": crc32_of(b"other bytes")}
    refused = chunked_put(user, f"{url}/wrong", data, 64 * 1024, trailer=wrong)
    assert refused.status_code == 400, refused.text
    assert b"<Code>BadDigest</Code>" in refused.content
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


class UnknownPayloadAuth(S3SigV4Auth):
    """A signature whose payload hash is no value S3 knows, so it vouches for no body."""

    def payload(self, request: AWSRequest) -> str:
        return "None"


def test_an_unknown_payload_hash_is_not_taken_for_an_unsigned_chunked_body(
    live_server: LiveServer,
) -> None:
    user = make_s3_user(live_server)
    s3 = s3_client(live_server, user)
    bucket = new_bucket(s3, user)
    url = f"{live_server.s3_url}/{bucket}/unvouched"
    request = AWSRequest(
        method="PUT",
        url=url,
        headers={"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5"},
    )
    UnknownPayloadAuth(Credentials(user.key_id, user.secret), "s3", "us-east-1").add_auth(request)
    body = b"5\r\nforgd\r\n0\r\n\r\n"
    response = httpx.put(url, content=body, headers=dict(request.headers.items()), timeout=60)
    assert response.status_code == 400, response.text
    assert b"<Code>InvalidArgument</Code>" in response.content
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
