"""The hot bucket-object requests routed without FastAPI answer exactly as the router's routes
do: the same statuses, headers and bodies, refusals and errors included, for the same catalog
and blob store."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import Settings
from weighthouse.frontends.rest.app import create_rest_app
from weighthouse.frontends.rest.object_route import ObjectRoute

pytestmark = pytest.mark.unit

ADMIN = "wh_0123456789abcdef_" + "a" * 43
OBJECTS = "/api/buckets/admin/b/objects/"
# Headers that depend on when a response was made, not on what it says.
TIMELY = {"date"}


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("object-route"), admin={"token": ADMIN})
    container = bootstrap(settings)
    start(container)
    yield container
    container.close()


def _app(container: Container, *, fast: bool) -> FastAPI:
    app = create_rest_app(container)
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not ObjectRoute]
    return app


@pytest.fixture
def clients(container: Container, served: list[str]) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        TestClient(_app(container, fast=True)) as fast,
        TestClient(_app(container, fast=False)) as routed,
    ):
        auth = {"Authorization": f"Bearer {ADMIN}"}
        created = fast.post("/api/repos", json={"type": "bucket", "name": "b"}, headers=auth)
        assert created.status_code in (201, 409), created.text
        yield fast, routed


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The methods of the requests :class:`ObjectRoute` itself answered."""
    seen: list[str] = []
    original = ObjectRoute._handle

    async def spy(self: ObjectRoute, scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["method"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(ObjectRoute, "_handle", spy)
    return seen


def _auth(token: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _same(fast: Any, routed: Any) -> None:
    assert fast.status_code == routed.status_code, (fast.text, routed.text)
    assert fast.content == routed.content
    fast_headers = {k: v for k, v in fast.headers.items() if k not in TIMELY}
    routed_headers = {k: v for k, v in routed.headers.items() if k not in TIMELY}
    assert fast_headers == routed_headers


def test_reads_answer_as_the_routes_do(
    clients: tuple[TestClient, TestClient], served: list[str]
) -> None:
    fast, routed = clients
    body = b"small object " * 100
    put = fast.put(OBJECTS + "dir/a%20b.bin", content=body, headers=_auth())
    assert put.status_code == 201
    etag = put.json()["sha256"]
    cases: list[tuple[str, str, dict[str, str]]] = [
        ("GET", "dir/a%20b.bin", _auth()),
        ("HEAD", "dir/a%20b.bin", _auth()),
        ("GET", "dir/a%20b.bin", {**_auth(), "Range": "bytes=5-20"}),
        ("GET", "dir/a%20b.bin", {**_auth(), "Range": "bytes=9999-"}),
        ("GET", "dir/a%20b.bin", {**_auth(), "If-None-Match": f'"{etag}"'}),
        ("GET", "missing", _auth()),
        ("GET", "", _auth()),
        ("GET", "dir/a%20b.bin", {}),
        ("GET", "dir/a%20b.bin", _auth("wh_0123456789abcdef_" + "b" * 43)),
        ("GET", "dir/a%20b.bin", {"Authorization": "Bearer not-a-token"}),
    ]
    for method, key, headers in cases:
        _same(
            fast.request(method, OBJECTS + key, headers=headers),
            routed.request(method, OBJECTS + key, headers=headers),
        )
    _same(
        fast.get("/api/buckets/admin/none/objects/x", headers=_auth()),
        routed.get("/api/buckets/admin/none/objects/x", headers=_auth()),
    )
    assert served.count("GET") + served.count("HEAD") == len(cases) + 1


def test_writes_answer_as_the_routes_do(
    clients: tuple[TestClient, TestClient], served: list[str]
) -> None:
    fast, routed = clients
    body = b"x" * 5000
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    cases: list[tuple[bytes, dict[str, str]]] = [
        (body, {**_auth(), "Content-MD5": md5, "X-Meta-Color": "blue"}),
        (body, {**_auth(), "If-None-Match": "*"}),  # the key exists by now: 412
        (body, {**_auth(), "Content-MD5": base64.b64encode(b"0" * 16).decode()}),
        (body, {**_auth(), "Content-MD5": "not base64"}),
        (body, {**_auth(), "X-Content-SHA256": "0" * 64}),
        (body, {**_auth(), "If-Match": '"' + "0" * 64 + '"'}),
        (body, {}),
        (b"", _auth()),
    ]
    for number, (content, headers) in enumerate(cases):
        answers = [
            client.put(f"{OBJECTS}w-{name}", content=content, headers=headers)
            for name, client in (("fast", fast), ("routed", routed))
        ]
        statuses = [a.status_code for a in answers]
        assert statuses[0] == statuses[1], (number, [a.text for a in answers])
        # Each client writes its own key, named in errors too.
        documents = [
            json.loads(a.text.replace(f"w-{name}", "w-?"))
            for a, name in zip(answers, ("fast", "routed"), strict=True)
        ]
        if statuses[0] == 201:
            for document in documents:
                document.pop("key")
                document.pop("modified_at")
        assert documents[0] == documents[1], number
    assert served.count("PUT") == len(cases)
    # Other methods on the same path, and listings, still go to the router.
    assert fast.delete(OBJECTS + "w-fast", headers=_auth()).status_code == 204
    assert fast.get(OBJECTS.rstrip("/"), headers=_auth()).status_code == 200
    assert "DELETE" not in served


def test_a_large_body_still_streams(container: Container, tmp_path: Path) -> None:
    app = _app(container, fast=True)
    body = bytes(range(256)) * 1024  # 256 KiB: more than is read before the worker thread
    with TestClient(app) as client:
        answer = client.put(OBJECTS + "large", content=body, headers=_auth())
        assert answer.status_code == 201, answer.text
        assert answer.json()["sha256"] == hashlib.sha256(body).hexdigest()
        assert client.get(OBJECTS + "large", headers=_auth()).content == body
