"""Invalid UTF-8 in a URL is a 400, never a silent U+FFFD that makes two keys one."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.acceptance.api import make_repo, make_user
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


def send(server: LiveServer, method: str, path: str, token: str, body: bytes = b"") -> tuple:
    """The path goes out byte for byte, as a client that does no escaping of its own sends it."""
    conn = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        conn.close()


def test_keys_that_are_not_utf8_are_refused_and_never_alias(live_server: LiveServer) -> None:
    owner = make_user(live_server)
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        repo = make_repo(c, owner.name)
    objects = f"/api/buckets/{bucket}/objects"
    for path in (
        f"{objects}/coll%ff",
        f"{objects}/coll%fe",
        f"{objects}/coll%ed%a0%80",
        f"/api/models/{repo}/upload/main/w%ff.bin",
    ):
        status, ctype, body = send(live_server, "PUT", path, owner.token, b"x")
        assert status == 400, body
        assert ctype.startswith("application/json")
        assert json.loads(body)["error"]["code"] == "invalid_input"
    for method, path in (
        ("GET", f"{objects}/coll%ff"),
        ("DELETE", f"{objects}/coll%ff"),
        ("GET", f"{objects}?prefix=coll%ff"),
        ("GET", f"/api/models/{repo}/resolve/main/w%ff.bin"),
    ):
        status, _, body = send(live_server, method, path, owner.token)
        assert status == 400, (method, path, body)
        assert json.loads(body)["error"]["code"] == "invalid_input"
    # Nothing was stored under the replacement character, and real UTF-8 keys still work.
    status, _, body = send(live_server, "GET", objects, owner.token)
    assert status == 200 and json.loads(body)["objects"] == [], body
    status, _, _ = send(live_server, "PUT", f"{objects}/caf%C3%A9", owner.token, b"ok")
    assert status in (200, 201)
    status, _, body = send(live_server, "GET", f"{objects}?prefix=caf%C3%A9", owner.token)
    assert [item["key"] for item in json.loads(body)["objects"]] == ["café"]
