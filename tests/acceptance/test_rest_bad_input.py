"""Bad input gets a clear 4xx JSON error: never a 500, never a traceback."""

from __future__ import annotations

import hashlib
import http.client
from urllib.parse import urlsplit

import pytest

from tests.acceptance.api import Account, make_repo, make_user, upload
from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def setup(live_server: LiveServer) -> tuple[Account, str]:
    owner = make_user(live_server)
    with live_server.client(owner.token) as c:
        repo = make_repo(c, owner.name)
        upload(c, repo, "file.txt", b"0123456789")
    return owner, repo


def raw(server: LiveServer, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """Send the path exactly as written: no client-side normalisation of '..' or '%2e'."""
    netloc = urlsplit(server.url).netloc
    conn = http.client.HTTPConnection(netloc, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        conn.close()


# (name, method, path template, body, headers, token kind, expected status, expected code)
CASES = [
    (
        "repo name with ..",
        "POST",
        "/api/repos",
        b'{"name": "a..b"}',
        "json",
        "write",
        400,
        "invalid_name",
    ),
    (
        "repo name with /",
        "POST",
        "/api/repos",
        b'{"name": "a/b"}',
        "json",
        "write",
        400,
        "invalid_name",
    ),
    (
        "repo name with control char",
        "POST",
        "/api/repos",
        b'{"name": "a\\u0001b"}',
        "json",
        "write",
        400,
        "invalid_name",
    ),
    (
        "over-long repo name",
        "POST",
        "/api/repos",
        b'{"name": "' + b"x" * 97 + b'"}',
        "json",
        "write",
        400,
        "invalid_name",
    ),
    (
        "repo name wrong type",
        "POST",
        "/api/repos",
        b'{"name": 5}',
        "json",
        "write",
        400,
        "invalid_input",
    ),
    (
        "unknown field",
        "POST",
        "/api/repos",
        b'{"name": "ok", "is_admin": true}',
        "json",
        "write",
        400,
        "invalid_input",
    ),
    ("not json", "POST", "/api/repos", b"{nope", "json", "write", 400, "invalid_input"),
    (
        "absolute path",
        "PUT",
        "/api/models/{repo}/upload/main//etc/passwd",
        b"x",
        None,
        "write",
        400,
        "invalid_path",
    ),
    (
        "dot-dot path",
        "PUT",
        "/api/models/{repo}/upload/main/a/../b",
        b"x",
        None,
        "write",
        400,
        "invalid_path",
    ),
    (
        "encoded dot-dot path",
        "PUT",
        "/api/models/{repo}/upload/main/a/%2e%2e/b",
        b"x",
        None,
        "write",
        400,
        "invalid_path",
    ),
    (
        "backslash path",
        "PUT",
        "/api/models/{repo}/upload/main/a%5Cb",
        b"x",
        None,
        "write",
        400,
        "invalid_path",
    ),
    (
        "NUL in path",
        "PUT",
        "/api/models/{repo}/upload/main/a%00b",
        b"x",
        None,
        "write",
        400,
        "invalid_path",
    ),
    (
        "unknown repo",
        "GET",
        "/api/models/{owner}/nope-nope",
        b"",
        None,
        "write",
        404,
        "repo_not_found",
    ),
    (
        "unknown revision",
        "GET",
        "/api/models/{repo}/resolve/nobranch/file.txt",
        b"",
        None,
        "write",
        404,
        "revision_not_found",
    ),
    (
        "unknown commit",
        "GET",
        "/api/models/{repo}/resolve/" + "a" * 40 + "/file.txt",
        b"",
        None,
        "write",
        404,
        "revision_not_found",
    ),
    (
        "bad revision",
        "GET",
        "/api/models/{repo}/resolve/..x/file.txt",
        b"",
        None,
        "write",
        400,
        "invalid_revision",
    ),
    (
        "unknown path",
        "GET",
        "/api/models/{repo}/resolve/main/nope.txt",
        b"",
        None,
        "write",
        404,
        "entry_not_found",
    ),
    (
        "missing token",
        "PUT",
        "/api/models/{repo}/upload/main/new.txt",
        b"x",
        None,
        None,
        401,
        "unauthenticated",
    ),
    (
        "malformed token",
        "PUT",
        "/api/models/{repo}/upload/main/new.txt",
        b"x",
        None,
        "garbage",
        401,
        "unauthenticated",
    ),
    ("unknown token", "GET", "/api/whoami", b"", None, "unknown", 401, "unauthenticated"),
    (
        "read-only token writing",
        "PUT",
        "/api/models/{repo}/upload/main/new.txt",
        b"x",
        None,
        "read",
        403,
        "forbidden",
    ),
    (
        "range past the end",
        "GET",
        "/api/models/{repo}/resolve/main/file.txt",
        b"",
        "range",
        "write",
        416,
        "range_not_satisfiable",
    ),
    (
        "digest mismatch",
        "PUT",
        "/api/models/{repo}/upload/main/new.txt",
        b"x",
        "badsha",
        "write",
        400,
        "digest_mismatch",
    ),
    (
        "malformed digest",
        "PUT",
        "/api/models/{repo}/upload/main/new.txt",
        b"x",
        "notsha",
        "write",
        400,
        "invalid_input",
    ),
    ("bad limit", "GET", "/api/repos?limit=0", b"", None, "write", 400, "invalid_input"),
    ("bad cursor", "GET", "/api/repos?cursor=%%%", b"", None, "write", 400, "invalid_input"),
    # No route has such a path: models, datasets and buckets are matched by the router.
    ("unknown repo kind", "GET", "/api/widgets/{repo}", b"", None, "write", 404, "not_found"),
    (
        "tag named latest",
        "POST",
        "/api/models/{repo}/tags",
        b'{"name": "latest"}',
        "json",
        "write",
        400,
        "invalid_name",
    ),
    (
        "empty commit",
        "POST",
        "/api/models/{repo}/commit/main",
        b'{"message": "m", "operations": []}',
        "json",
        "write",
        400,
        "invalid_input",
    ),
    (
        "commit of missing blob",
        "POST",
        "/api/models/{repo}/commit/main",
        b'{"message": "m", "operations": [{"op": "add", "path": "x", "sha256": "'
        + b"0" * 64
        + b'", "size": 1}]}',
        "json",
        "write",
        400,
        "blob_unknown",
    ),
    (
        "commit naming a size no database stores",
        "POST",
        "/api/models/{repo}/commit/main",
        b'{"message": "m", "operations": [{"op": "add", "path": "x", "sha256": "'
        + b"0" * 64
        + b'", "size": 1180591620717411303424}]}',
        "json",
        "write",
        400,
        "invalid_input",
    ),
    (
        "blob check naming a size no database stores",
        "POST",
        "/api/models/{repo}/blobs/check",
        b'{"blobs": [{"sha256": "' + b"0" * 64 + b'", "size": 9223372036854775808}]}',
        "json",
        "write",
        400,
        "invalid_input",
    ),
    (
        "bad content-length",
        "PUT",
        "/api/models/{repo}/upload/main/x",
        b"",
        "badlength",
        "write",
        400,
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_4xx(
    live_server: LiveServer, setup: tuple[Account, str], case: tuple
) -> None:
    owner, repo = setup
    _, method, template, body, extra, token_kind, status, code = case
    path = template.replace("{repo}", repo).replace("{owner}", owner.name)
    headers: dict[str, str] = {}
    token = {
        "write": owner.token,
        "read": owner.read_token,
        None: None,
        "garbage": "Bearer a b c",
        "unknown": "wh_0000_nope",
    }[token_kind]
    if token_kind == "garbage":
        headers["Authorization"] = token  # type: ignore[assignment]
    elif token:
        headers["Authorization"] = f"Bearer {token}"
    if extra == "json":
        headers["Content-Type"] = "application/json"
    elif extra == "range":
        headers["Range"] = "bytes=1000-"
    elif extra == "badsha":
        headers["X-Content-SHA256"] = hashlib.sha256(b"something else").hexdigest()
    elif extra == "notsha":
        headers["X-Content-SHA256"] = "zz"
    elif extra == "badlength":
        headers["Content-Length"] = "-1"
    got, ctype, raw_body = raw(live_server, method, path, body, headers)
    assert got == status, raw_body[:500]
    assert got < 500
    if code is not None:
        assert ctype.startswith("application/json")
        import json

        assert json.loads(raw_body)["error"]["code"] == code
    assert b"Traceback" not in raw_body


def test_rejected_uploads_leave_nothing_visible(
    live_server: LiveServer, setup: tuple[Account, str]
) -> None:
    owner, repo = setup
    with live_server.client(owner.token) as c:
        before = c.get(f"/api/models/{repo}/commits/main").json()["items"][0]["id"]
        r = c.put(
            f"/api/models/{repo}/upload/main/bad.bin",
            content=b"payload",
            headers={"X-Content-SHA256": "0" * 64},
        )
        assert r.status_code == 400
        assert c.get(f"/api/models/{repo}/commits/main").json()["items"][0]["id"] == before
        assert c.get(f"/api/models/{repo}/resolve/main/bad.bin").status_code == 404
