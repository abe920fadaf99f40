"""The SigV2 string to sign built from a request as received is the one botocore signed: a
signature made by ``HmacV1Auth`` (``signature_version="s3"``) verifies against it, whatever
headers, sub-resources and addressing the request has."""

from __future__ import annotations

import base64
import hashlib
import hmac
from email.utils import formatdate
from urllib.parse import urlsplit

import pytest
from botocore.auth import HmacV1Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from weighthouse.domain.credentials import SigV2HeaderSignature
from weighthouse.frontends.s3.credentials import RequestParts, parse_query, signed_request
from weighthouse.frontends.s3.errors import S3Error

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example key


def _received(request: AWSRequest, *, host_bucket: str | None = None) -> RequestParts:
    """``request`` as a server receives it: raw path, decoded query, lower-case headers."""
    split = urlsplit(request.url)
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        headers.setdefault(name.lower(), []).append(text)
    return RequestParts(
        method=request.method,
        raw_path=split.path,
        query=parse_query(split.query),
        headers=headers,
        host_bucket=host_bucket,
    )


def _verifies(credential: object) -> bool:
    assert isinstance(credential, SigV2HeaderSignature)
    mac = hmac.new(SECRET.encode(), credential.string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode() == credential.signature


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "http://h/bucket--x/key", {}),
        ("PUT", "http://h/bucket--x/a%20b%2Bc/d.txt", {
            "Content-Type": "text/plain", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
            "x-amz-meta-Origin": " v2 ", "X-Amz-Acl": "private"}),
        ("POST", "http://h/bucket--x/big?uploads", {}),
        ("PUT", "http://h/bucket--x/big?partNumber=2&uploadId=abc%2Fdef", {}),
        ("GET", "http://h/bucket--x?list-type=2&prefix=a%2F&delimiter=%2F", {}),
        ("GET", "http://h/bucket--x/k?response-content-type=text%2Fplain&x-id=GetObject", {}),
        ("POST", "http://h/bucket--x?delete", {"Content-MD5": "abc=="}),
        ("GET", "http://h/bucket--x?acl", {}),
        ("PUT", "http://h/bucket--x", {}),
        ("GET", "http://h/", {}),
    ],
)  # fmt: skip
def test_botocores_hmac_v1_signature_verifies(
    method: str, url: str, headers: dict[str, str]
) -> None:
    request = AWSRequest(method=method, url=url, headers=headers)
    path = urlsplit(url).path
    if path.count("/") == 1 and path != "/":
        request.auth_path = path + "/"  # as botocore's client sets it for a bucket's requests
    HmacV1Auth(Credentials("WHKEY", SECRET)).add_auth(request)
    signed = signed_request(_received(request))
    assert signed is not None and not signed.presigned
    assert signed.credential.access_key_id == "WHKEY"
    assert _verifies(signed.credential)
    assert signed.payload_hash == "UNSIGNED-PAYLOAD"


def test_a_virtual_host_request_signs_its_bucket() -> None:
    request = AWSRequest(method="GET", url="http://bucket--x.s3.example/k%20y")
    request.auth_path = "/bucket--x/k%20y"
    HmacV1Auth(Credentials("WHKEY", SECRET)).add_auth(request)
    signed = signed_request(_received(request, host_bucket="bucket--x"))
    assert signed is not None and _verifies(signed.credential)
    unaware = signed_request(_received(request))
    assert unaware is not None and not _verifies(unaware.credential)


def test_with_x_amz_date_the_date_line_is_empty() -> None:
    stamp = formatdate(usegmt=True)
    parts = RequestParts(
        "GET", "/b--x/k", [], {"x-amz-date": [stamp], "date": ["ignored"], "authorization": [
            "AWS WHKEY:sig"]},
    )  # fmt: skip
    signed = signed_request(parts)
    assert signed is not None
    assert isinstance(signed.credential, SigV2HeaderSignature)
    assert signed.credential.string_to_sign == f"GET\n\n\n\nx-amz-date:{stamp}\n/b--x/k"


@pytest.mark.parametrize(
    ("authorization", "date", "expected"),
    [
        ("AWS HAHAHA", "Tue, 01 Dec 2026 00:00:00 GMT", (400, "InvalidArgument")),
        ("AWS :sig", "Tue, 01 Dec 2026 00:00:00 GMT", (400, "InvalidArgument")),
        ("AWS key:", "Tue, 01 Dec 2026 00:00:00 GMT", (400, "InvalidArgument")),
        ("AWS key:sig", None, (403, "AccessDenied")),
        ("AWS key:sig", "not a date", (403, "AccessDenied")),
        ("AWS5 key:sig", "Tue, 01 Dec 2026 00:00:00 GMT", (400, "InvalidArgument")),
    ],
)
def test_malformed_sigv2_headers_get_s3_errors(
    authorization: str, date: str | None, expected: tuple[int, str]
) -> None:
    headers = {"authorization": [authorization]} | ({"date": [date]} if date else {})
    with pytest.raises(S3Error) as refused:
        signed_request(RequestParts("GET", "/b--x/k", [], headers))
    assert (refused.value.status, refused.value.code) == expected


def test_a_sigv2_request_cannot_claim_chunk_signatures() -> None:
    headers = {
        "authorization": ["AWS key:sig"],
        "date": [formatdate(usegmt=True)],
        "x-amz-content-sha256": ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD"],
    }
    with pytest.raises(S3Error) as refused:
        signed_request(RequestParts("PUT", "/b--x/k", [], headers))
    assert refused.value.code == "InvalidRequest"
