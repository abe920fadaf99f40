"""Who may do what through the S3 port: each way a request can fail authentication or
authorisation gets its S3 code and status, never a 500."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from botocore.auth import HmacV1Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance


@dataclasses.dataclass
class World:
    server: LiveServer
    owner: S3User
    other: S3User
    revoked: S3User
    private: str
    public: str


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    owner, other, revoked = (make_s3_user(live_server) for _ in range(3))
    s3 = s3_client(live_server, owner)
    private = new_bucket(s3, owner)
    s3.put_object(Bucket=private, Key="k", Body=b"secret")
    public = f"{owner.name}--pub"
    s3.create_bucket(Bucket=public, ACL="public-read")
    s3.put_object(Bucket=public, Key="k", Body=b"open")
    with live_server.client(revoked.token) as rest:
        assert rest.delete(f"/api/access-keys/{revoked.key_id}").status_code == 204
    return World(live_server, owner, other, revoked, private, public)


def signed_get(
    world: World, url: str, *, secret: str | None = None, at: dt.datetime
) -> httpx.Response:
    """A GET signed by hand, so the signing time and the secret can be wrong on purpose."""
    credentials = Credentials(world.owner.key_id, secret or world.owner.secret)
    request = AWSRequest(method="GET", url=url)

    class At(S3SigV4Auth):
        def _modify_request_before_signing(self, request: AWSRequest) -> None:
            super()._modify_request_before_signing(request)
            request.context["timestamp"] = at.strftime("%Y%m%dT%H%M%SZ")
            request.headers.replace_header("X-Amz-Date", request.context["timestamp"])

    signer = At(credentials, "s3", "us-east-1")
    request.context["timestamp"] = at.strftime("%Y%m%dT%H%M%SZ")
    signer.add_auth(request)
    return httpx.get(url, headers=dict(request.headers.items()))


def v2_signed_get(
    world: World,
    url: str,
    *,
    secret: str | None = None,
    key_id: str | None = None,
    at: dt.datetime,
    authorization: str | None = None,
) -> httpx.Response:
    """A GET signed by hand with SigV2 (``Authorization: AWS <key id>:<signature>``), as
    botocore's ``HmacV1Auth`` signs it, at a chosen time and with a chosen secret."""
    credentials = Credentials(key_id or world.owner.key_id, secret or world.owner.secret)
    request = AWSRequest(method="GET", url=url)

    class At(HmacV1Auth):
        def _get_date(self) -> str:
            return format_datetime(at, usegmt=True)

    At(credentials).add_auth(request)
    headers = dict(request.headers.items())
    if authorization is not None:
        headers["Authorization"] = authorization
    return httpx.get(url, headers=headers)


def code(response: httpx.Response) -> tuple[int, str]:
    import xml.etree.ElementTree as ET

    text = ET.fromstring(response.content).findtext("Code") if response.content else ""
    return response.status_code, text or ""


def _boto_code(call: Callable[[], Any]) -> tuple[int, str]:
    try:
        call()
    except ClientError as error:
        return (
            int(error.response["ResponseMetadata"]["HTTPStatusCode"]),
            str(error.response["Error"]["Code"]),
        )
    return 200, ""


CASES: list[tuple[str, tuple[int, str]]] = [
    ("wrong signature", (403, "SignatureDoesNotMatch")),
    ("skewed clock", (403, "RequestTimeTooSkewed")),
    ("unknown key", (403, "InvalidAccessKeyId")),
    ("revoked key", (403, "InvalidAccessKeyId")),
    ("expired presign", (403, "AccessDenied")),
    ("presign of 8 days", (403, "AccessDenied")),
    ("another user's private bucket", (404, "NoSuchBucket")),
    ("anonymous write", (403, "AccessDenied")),
    ("anonymous read of a private bucket", (404, "NoSuchBucket")),
    ("anonymous list of buckets", (403, "AccessDenied")),
    ("v2 wrong signature", (403, "SignatureDoesNotMatch")),
    ("v2 skewed clock", (403, "RequestTimeTooSkewed")),
    ("v2 unknown key", (403, "InvalidAccessKeyId")),
    ("v2 revoked key", (403, "InvalidAccessKeyId")),
    ("v2 malformed header", (400, "InvalidArgument")),
    ("v2 another user's private bucket", (404, "NoSuchBucket")),
    ("unknown signature scheme", (400, "InvalidArgument")),
]


@pytest.mark.parametrize(("case", "expected"), CASES, ids=[c for c, _ in CASES])
def test_refusals(world: World, case: str, expected: tuple[int, str]) -> None:
    server = world.server
    url = f"{server.s3_url}/{world.private}/k"
    now = dt.datetime.now(dt.UTC)
    if case == "wrong signature":
        got = code(signed_get(world, url, secret="x" * 40, at=now))
    elif case == "skewed clock":
        got = code(signed_get(world, url, at=now - dt.timedelta(minutes=20)))
    elif case == "unknown key":
        ghost = dataclasses.replace(world.owner, key_id="WHNOSUCHKEY0000000000")
        got = _boto_code(lambda: s3_client(server, ghost).get_object(Bucket=world.private, Key="k"))
    elif case == "revoked key":
        client = s3_client(server, world.revoked)
        got = _boto_code(lambda: client.list_buckets())
    elif case == "expired presign":
        client = s3_client(server, world.owner, signature_version="s3v4")
        presigned = client.generate_presigned_url(
            "get_object", Params={"Bucket": world.private, "Key": "k"}, ExpiresIn=1
        )
        # Re-dated into the past: an URL made 10 minutes ago with 1 second to live.
        old = (now - dt.timedelta(minutes=10)).strftime("%Y%m%dT%H%M%SZ")
        stamp = presigned.split("X-Amz-Date=")[1].split("&")[0]
        got = code(httpx.get(presigned.replace(stamp, old)))
    elif case == "presign of 8 days":
        client = s3_client(server, world.owner, signature_version="s3v4")
        presigned = client.generate_presigned_url(
            "get_object", Params={"Bucket": world.private, "Key": "k"}, ExpiresIn=8 * 86400
        )
        got = code(httpx.get(presigned))
    elif case == "another user's private bucket":
        client = s3_client(server, world.other)
        got = _boto_code(lambda: client.get_object(Bucket=world.private, Key="k"))
    elif case == "anonymous write":
        got = _boto_code(
            lambda: s3_client(server).put_object(Bucket=world.public, Key="new", Body=b"x")
        )
    elif case == "v2 wrong signature":
        got = code(v2_signed_get(world, url, secret="x" * 40, at=now))
    elif case == "v2 skewed clock":
        got = code(v2_signed_get(world, url, at=now - dt.timedelta(minutes=20)))
    elif case == "v2 unknown key":
        got = code(v2_signed_get(world, url, key_id="WHNOSUCHKEY0000000000", at=now))
    elif case == "v2 revoked key":
        revoked = world.revoked
        got = code(v2_signed_get(world, url, key_id=revoked.key_id, secret=revoked.secret, at=now))
    elif case == "v2 malformed header":
        got = code(v2_signed_get(world, url, at=now, authorization="AWS HAHAHA"))
    elif case == "v2 another user's private bucket":
        other = world.other
        got = code(v2_signed_get(world, url, key_id=other.key_id, secret=other.secret, at=now))
    elif case == "unknown signature scheme":
        got = code(v2_signed_get(world, url, at=now, authorization="AWS5 key:signature"))
    elif case == "anonymous read of a private bucket":
        got = _boto_code(lambda: s3_client(server).get_object(Bucket=world.private, Key="k"))
    else:
        got = _boto_code(lambda: s3_client(server).list_buckets())
    assert got == expected


def test_anonymous_reads_of_a_public_bucket(world: World) -> None:
    anonymous = s3_client(world.server)
    assert anonymous.get_object(Bucket=world.public, Key="k")["Body"].read() == b"open"
    listed = anonymous.list_objects_v2(Bucket=world.public)
    assert [o["Key"] for o in listed["Contents"]] == ["k"]


def test_presigned_v4_get_and_put_with_plain_http(world: World) -> None:
    client = s3_client(world.server, world.owner, signature_version="s3v4")
    put_url = client.generate_presigned_url(
        "put_object", Params={"Bucket": world.private, "Key": "presigned"}, ExpiresIn=300
    )
    assert httpx.put(put_url, content=b"via url").status_code == 200
    get_url = client.generate_presigned_url(
        "get_object", Params={"Bucket": world.private, "Key": "presigned"}, ExpiresIn=300
    )
    assert httpx.get(get_url).content == b"via url"
    tampered = get_url.replace("presigned", "k")
    assert code(httpx.get(tampered)) == (403, "SignatureDoesNotMatch")


def test_request_ids_match(world: World) -> None:
    response = httpx.get(f"{world.server.s3_url}/{world.private}/k")
    assert response.headers["x-amz-request-id"]
    import xml.etree.ElementTree as ET

    assert (
        ET.fromstring(response.content).findtext("RequestId")
        == response.headers["x-amz-request-id"]
    )


def test_boto3_default_config_uses_crc32(world: World) -> None:
    client = s3_client(world.server, world.owner, request_checksum_calculation="when_supported")
    client.put_object(Bucket=world.private, Key="crc", Body=b"checked")
    assert client.get_object(Bucket=world.private, Key="crc")["Body"].read() == b"checked"


def test_presigned_v2_get_and_put_as_boto3_makes_them_by_default(world: World) -> None:
    client = s3_client(world.server, world.owner)  # no signature_version: boto3 presigns v2
    put_url = client.generate_presigned_url(
        "put_object", Params={"Bucket": world.private, "Key": "v2 key+"}, ExpiresIn=300
    )
    assert "AWSAccessKeyId=" in put_url and "Signature=" in put_url
    assert httpx.put(put_url, content=b"v2 bytes").status_code == 200
    get_url = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": world.private, "Key": "v2 key+", "ResponseContentType": "text/plain"},
        ExpiresIn=300,
    )
    got = httpx.get(get_url)
    assert got.content == b"v2 bytes"
    assert got.headers["content-type"] == "text/plain"
    assert code(httpx.get(get_url.replace("v2%20key", "k"))) == (403, "SignatureDoesNotMatch")
    expired = client.generate_presigned_url(
        "get_object", Params={"Bucket": world.private, "Key": "v2 key+"}, ExpiresIn=-10
    )
    assert code(httpx.get(expired)) == (403, "AccessDenied")


def test_sigv2_signed_requests_as_boto3_sends_them(world: World) -> None:
    """boto3 with ``signature_version="s3"`` signs every request with SigV2 in the
    ``Authorization`` header (as s3cmd and older SDKs do): objects with metadata, listing,
    copies and a multipart upload, whose ``uploads``, ``uploadId`` and ``partNumber``
    sub-resources are part of what is signed."""
    client = s3_client(world.server, world.owner, signature_version="s3")
    bucket = new_bucket(client, world.owner)
    client.put_object(
        Bucket=bucket,
        Key="dir/a b+c",
        Body=b"v2 signed",
        ContentType="text/plain",
        Metadata={"origin": "v2"},
    )
    got = client.get_object(Bucket=bucket, Key="dir/a b+c")
    assert got["Body"].read() == b"v2 signed"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"origin": "v2"}
    assert (
        client.get_object(Bucket=bucket, Key="dir/a b+c", Range="bytes=3-8")["Body"].read()
        == b"signed"
    )
    client.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "dir/a b+c"})
    listed = client.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["copy"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["dir/"]
    upload = client.create_multipart_upload(Bucket=bucket, Key="joined")["UploadId"]
    parts = []
    for number, body in ((1, b"a" * (5 * 2**20)), (2, b"tail")):
        etag = client.upload_part(
            Bucket=bucket, Key="joined", UploadId=upload, PartNumber=number, Body=body
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    assert len(client.list_parts(Bucket=bucket, Key="joined", UploadId=upload)["Parts"]) == 2
    client.complete_multipart_upload(
        Bucket=bucket, Key="joined", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    assert client.head_object(Bucket=bucket, Key="joined")["ContentLength"] == 5 * 2**20 + 4
    client.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ("copy", "joined", "dir/a b+c")]}
    )
    assert client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    # The same signature on another resource is refused.
    other = s3_client(world.server, world.other, signature_version="s3")
    assert _boto_code(lambda: other.get_object(Bucket=bucket, Key="copy")) == (404, "NoSuchBucket")
