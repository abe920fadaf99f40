"""Bad input to the Hub API gets a clear 4xx with the Hub's error headers, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def dave(live_server: LiveServer) -> Account:
    return make_user(live_server)


def ndjson(*lines: object) -> bytes:
    return b"\n".join(json.dumps(line).encode() for line in lines)


HEADER = {"key": "header", "value": {"summary": "s"}}


def test_malformed_requests_are_4xx(live_server: LiveServer, dave: Account) -> None:
    with live_server.client(dave.token) as rest:
        repo = make_repo(rest, dave.name)
    auth = {"Authorization": f"Bearer {dave.token}"}
    commit = f"/api/models/{repo}/commit/main"
    cases: list[tuple[str, str, dict[str, object]]] = [
        ("POST", commit, {"content": b"not json"}),
        ("POST", commit, {"content": ndjson({"key": "file", "value": {"path": "a"}})}),
        ("POST", commit, {"content": ndjson(HEADER, {"key": "file", "value": {
            "path": "a.txt", "content": "%%%", "encoding": "base64"}})}),
        ("POST", commit, {"content": ndjson(HEADER, {"key": "lfsFile", "value": {
            "path": "a.bin", "algo": "sha256", "oid": "0" * 64, "size": 3}})}),
        ("POST", commit, {"content": ndjson(HEADER, {"key": "lfsFile", "value": {
            "path": "a.bin", "algo": "sha256", "oid": "0" * 64}})}),
        ("POST", commit, {"content": ndjson(HEADER, {"key": "file", "value": {
            "path": "../etc/passwd", "content": "eA==", "encoding": "base64"}})}),
        ("POST", commit, {"content": ndjson(HEADER, {"key": "mystery", "value": {}})}),
        ("POST", commit, {"content": ndjson(HEADER, {"key": "deletedFile", "value": {
            "path": 5}})}),
        ("POST", f"/api/models/{repo}/preupload/main", {"json": {"files": "x"}}),
        ("POST", f"/api/models/{repo}/preupload/main", {"json": {"files": [{"path": "/x"}]}}),
        ("POST", f"/api/models/{repo}/paths-info/main", {"json": {"paths": [1]},
                                                         "headers": {"content-type":
                                                                     "application/json"}}),
        ("POST", f"/{repo}.git/info/lfs/objects/batch", {"json": {"operation": "upload",
                                                                  "objects": [{"oid": "x"}]}}),
        ("POST", f"/{repo}.git/info/lfs/objects/batch", {"json": {"operation": "download"}}),
        ("POST", "/api/repos/create", {"json": {"name": 5}}),
        ("POST", "/api/repos/create", {"json": {"name": "x", "type": "space"}}),
        ("POST", "/api/repos/create", {"json": {"name": "x", "visibility": "secret"}}),
        ("POST", "/api/repos/create", {"json": {"name": "bad name!"}}),
        ("POST", f"/api/models/{repo}/branch/bad..name", {"json": {}}),
        ("PUT", f"/api/lfs/models/{repo}/{'0' * 64}/notanumber", {"content": b"x"}),
        ("DELETE", f"/api/models/{repo}/tag/bad..name", {}),
        ("GET", f"/api/models/{repo}/tree/main/..%2F..", {}),
        ("POST", f"/api/models/{repo}/duplicate", {"content": b"not json"}),
        ("POST", f"/api/models/{repo}/duplicate", {"json": {"repository": 5}}),
        ("POST", f"/api/models/{repo}/duplicate", {"json": {"repository": "a/b/c"}}),
        ("POST", f"/api/models/{repo}/duplicate", {"json": {"repository": "bad name!/x"}}),
        ("POST", f"/api/models/{repo}/duplicate", {"json": {"repository": f"{repo}-2",
                                                            "visibility": "secret"}}),
        ("POST", f"/api/spaces/{repo}/duplicate", {"json": {"repository": f"{repo}-3"}}),
        ("GET", f"/api/models/{repo}-missing/auth-check", {}),
        ("GET", "/api/models", {"params": {"pipeline_tag": "text-generation"}}),
        ("GET", "/api/models", {"params": {"gated": "maybe"}}),
        ("GET", "/api/models", {"params": {"search": [str(i) for i in range(20)]}}),
        ("GET", "/api/settings/repositories", {"params": {"cursor": "x" * 3000}}),
        ("HEAD", f"/spaces/{repo}/resolve/main/x", {}),
    ]  # fmt: skip
    with httpx.Client(base_url=f"{live_server.url}/hf", headers=auth, timeout=30) as c:
        for method, url, kwargs in cases:
            response = c.request(method, url, **kwargs)  # type: ignore[arg-type]
            assert 400 <= response.status_code < 500, (method, url, response.text)
            assert response.headers.get("x-error-message"), (method, url)
            assert method == "HEAD" or "error" in response.json()
        assert c.get("/api/nothing/here").status_code == 404
        assert c.patch(f"/api/models/{repo}").status_code == 405
