"""S3 POST uploads (HTML forms) with the forms boto3's ``generate_presigned_post`` makes,
sent as a browser sends them (multipart/form-data, the file last), over the live S3 port."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance


@dataclasses.dataclass
class World:
    server: LiveServer
    owner: S3User
    other: S3User
    bucket: str


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    owner, other = make_s3_user(live_server), make_s3_user(live_server)
    bucket = new_bucket(s3_client(live_server, owner), owner)
    return World(live_server, owner, other, bucket)


def presigned(world: World, key: str, *, version: str = "s3v4", **options: Any) -> dict[str, Any]:
    client = s3_client(world.server, world.owner, signature_version=version)
    return client.generate_presigned_post(world.bucket, key, **options)  # type: ignore[no-any-return]


def post(
    post: dict[str, Any], body: bytes, *, filename: str = "upload.bin", **extra: str
) -> httpx.Response:
    fields = {**post["fields"], **extra}
    files = {"file": (filename, body, "application/octet-stream")}
    return httpx.post(post["url"], data=fields, files=files, timeout=60)


def code(response: httpx.Response) -> tuple[int, str]:
    text = ET.fromstring(response.content).findtext("Code") if response.content else ""
    return response.status_code, text or ""


def read(world: World, key: str) -> Any:
    return s3_client(world.server, world.owner).get_object(Bucket=world.bucket, Key=key)


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_a_presigned_post_uploads_a_file(world: World, version: str) -> None:
    body = os.urandom(3 * 2**20 + 17)
    form = presigned(
        world,
        f"forms/{version}.bin",
        version=version,
        Fields={"Content-Type": "application/x-weights", "x-amz-meta-origin": "form"},
        Conditions=[
            {"Content-Type": "application/x-weights"},
            {"x-amz-meta-origin": "form"},
            ["content-length-range", 1, 8 * 2**20],
        ],
    )
    answered = post(form, body)
    assert answered.status_code == 204, answered.text
    assert answered.headers["etag"] == f'"{hashlib.md5(body).hexdigest()}"'
    stored = read(world, f"forms/{version}.bin")
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "application/x-weights"
    assert stored["Metadata"] == {"origin": "form"}


def test_the_answer_follows_success_action_status_and_redirect(world: World) -> None:
    created = presigned(
        world,
        "answers/created.txt",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}],
    )
    answered = post(created, b"created")
    assert answered.status_code == 201
    document = ET.fromstring(answered.content)
    assert document.tag == "PostResponse"
    assert document.findtext("Key") == "answers/created.txt"
    assert document.findtext("Bucket") == world.bucket
    target = "https://app.example/done?x=1"
    redirected = presigned(
        world,
        "answers/redirected.txt",
        Fields={"success_action_redirect": target},
        Conditions=[{"success_action_redirect": target}],
    )
    answered = post(redirected, b"redirected")
    assert answered.status_code == 303
    location = answered.headers["location"]
    assert location.startswith(target + "&") and f"bucket={world.bucket}" in location
    assert read(world, "answers/redirected.txt")["Body"].read() == b"redirected"


def test_the_key_may_take_the_files_name(world: World) -> None:
    form = presigned(world, "named/${filename}")
    assert post(form, b"by name", filename="weights v1.bin").status_code == 204
    assert read(world, "named/weights v1.bin")["Body"].read() == b"by name"


def _signed_v2(world: World, policy: dict[str, Any], key: str) -> dict[str, Any]:
    encoded = base64.b64encode(json.dumps(policy).encode()).decode()
    mac = hmac.new(world.owner.secret.encode(), encoded.encode(), hashlib.sha1)
    fields = {
        "key": key,
        "AWSAccessKeyId": world.owner.key_id,
        "policy": encoded,
        "signature": base64.b64encode(mac.digest()).decode(),
    }
    return {"url": f"{world.server.s3_url}/{world.bucket}", "fields": fields}


def _policy(world: World, *conditions: Any, expires: timedelta = timedelta(hours=1)) -> dict:
    stamp = (datetime.now(UTC) + expires).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"expiration": stamp, "conditions": [{"bucket": world.bucket}, *conditions]}


CASES = [
    "expired policy",
    "tampered policy",
    "field the policy does not cover",
    "key outside the signed prefix",
    "file over the signed size",
    "file under the signed size",
    "unknown access key",
    "no policy (anonymous)",
    "another user's bucket",
    "not a form",
    "form without a file",
    "policy without an expiration",
    "unknown condition",
]
EXPECTED = {
    "expired policy": (403, "AccessDenied"),
    "tampered policy": (403, "SignatureDoesNotMatch"),
    "field the policy does not cover": (403, "AccessDenied"),
    "key outside the signed prefix": (403, "AccessDenied"),
    "file over the signed size": (400, "EntityTooLarge"),
    "file under the signed size": (400, "EntityTooSmall"),
    "unknown access key": (403, "InvalidAccessKeyId"),
    "no policy (anonymous)": (403, "AccessDenied"),
    "another user's bucket": (404, "NoSuchBucket"),
    "not a form": (400, "MalformedPOSTRequest"),
    "form without a file": (400, "InvalidArgument"),
    "policy without an expiration": (400, "InvalidPolicyDocument"),
    "unknown condition": (400, "InvalidPolicyDocument"),
}


@pytest.mark.parametrize("case", CASES)
def test_refusals_store_nothing(world: World, case: str) -> None:
    key = f"refused/{case.replace(' ', '-')}"
    url = f"{world.server.s3_url}/{world.bucket}"
    if case == "expired policy":
        form = _signed_v2(world, _policy(world, {"key": key}, expires=timedelta(minutes=-1)), key)
        got = code(post(form, b"x"))
    elif case == "tampered policy":
        form = _signed_v2(world, _policy(world, {"key": key}), key)
        form["fields"]["policy"] = base64.b64encode(
            json.dumps(_policy(world, ["starts-with", "$key", ""])).encode()
        ).decode()
        got = code(post(form, b"x"))
    elif case == "field the policy does not cover":
        got = code(post(presigned(world, key), b"x", **{"x-amz-meta-sneaked": "in"}))
    elif case == "key outside the signed prefix":
        form = presigned(world, "allowed/${filename}")
        form["fields"]["key"] = key
        got = code(post(form, b"x"))
    elif case == "file over the signed size":
        form = presigned(world, key, Conditions=[["content-length-range", 0, 1024]])
        got = code(post(form, os.urandom(4 * 2**20)))
    elif case == "file under the signed size":
        form = presigned(world, key, Conditions=[["content-length-range", 10, 1024]])
        got = code(post(form, b"tiny"))
    elif case == "unknown access key":
        form = _signed_v2(world, _policy(world, {"key": key}), key)
        form["fields"]["AWSAccessKeyId"] = "WHNOSUCHKEY0000000000"
        got = code(post(form, b"x"))
    elif case == "no policy (anonymous)":
        got = code(post({"url": url, "fields": {"key": key}}, b"x"))
    elif case == "another user's bucket":
        client = s3_client(world.server, world.other, signature_version="s3v4")
        form = client.generate_presigned_post(world.bucket, key)
        got = code(post(form, b"x"))
    elif case == "not a form":
        got = code(httpx.post(url, content=b"key=x", headers={"content-type": "text/plain"}))
    elif case == "form without a file":
        form = presigned(world, key)
        got = code(httpx.post(form["url"], files={k: (None, v) for k, v in form["fields"].items()}))
    elif case == "policy without an expiration":
        form = _signed_v2(world, {"conditions": [{"key": key}]}, key)
        got = code(post(form, b"x"))
    else:
        form = _signed_v2(world, _policy(world, {"key": key}, ["matches", "$key", ".*"]), key)
        got = code(post(form, b"x"))
    assert got == EXPECTED[case]
    listed = s3_client(world.server, world.owner).list_objects_v2(
        Bucket=world.bucket, Prefix="refused/"
    )
    assert listed["KeyCount"] == 0
