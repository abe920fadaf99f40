"""``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` bodies (what minio-go and the AWS Java SDKs send over
plain http): every chunk's signature is checked while the body streams, and a forged chunk
stores nothing."""

from __future__ import annotations

import hashlib
import hmac
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


class StreamingAuth(S3SigV4Auth):
    """botocore's signer with the streaming payload hash as the canonical request's last line."""

    def payload(self, request: AWSRequest) -> str:
        return STREAMING


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def chunked_put(
    user: S3User, url: str, data: bytes, chunk: int, *, forge: int | None = None
) -> httpx.Response:
    """PUT ``data`` in signed aws-chunks of ``chunk`` bytes; ``forge`` flips a byte of that
    chunk after signing."""
    request = AWSRequest(
        method="PUT",
        url=url,
        headers={
            "X-Amz-Content-SHA256": STREAMING,
            "Content-Encoding": "aws-chunked",
            "X-Amz-Decoded-Content-Length": str(len(data)),
        },
    )
    StreamingAuth(Credentials(user.key_id, user.secret), "s3", "us-east-1").add_auth(request)
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
        body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece + b"\r\n"
    headers: dict[str, Any] = dict(request.headers.items())
    headers["Content-Length"] = str(len(body))
    return httpx.put(url, content=body, headers=headers, timeout=60)


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
