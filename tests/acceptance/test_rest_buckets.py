"""Buckets over REST: mutable keys, metadata, byte-order listing with delimiters."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer

# With one process every small GET and PUT shares one loop and one group commit: this file
# runs against one process and two.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]


@pytest.fixture(scope="module")
def owner(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_put_get_head_delete(live_server: LiveServer, owner: Account) -> None:
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        url = f"/api/buckets/{bucket}/objects/%2E%2E/escape/é key%3F.txt"
        body = b"hello bucket"
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        put = c.put(
            url,
            content=body,
            headers={"Content-Type": "text/plain", "Content-MD5": md5, "X-Meta-Owner": "team-a"},
        )
        assert put.status_code == 201, put.text
        assert put.json()["key"] == "../escape/é key?.txt"
        assert put.json()["etag"] == hashlib.md5(body).hexdigest()
        got = c.get(url)
        assert got.content == body and got.headers["content-type"].startswith("text/plain")
        assert got.headers["x-meta-owner"] == "team-a"
        assert c.head(url).headers["content-length"] == str(len(body))
        bad = c.put(url, content=b"other", headers={"Content-MD5": md5})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "digest_mismatch"
        assert c.get(url).content == body
        c.put(url, content=b"replaced").raise_for_status()
        assert c.get(url).content == b"replaced"
        assert c.delete(url).status_code == 204
        assert c.get(url).status_code == 404
        assert c.delete(url).status_code == 404


def test_conditional_put(live_server: LiveServer, owner: Account) -> None:
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        url = f"/api/buckets/{bucket}/objects/k"
        assert c.put(url, content=b"1", headers={"If-None-Match": "*"}).status_code == 201
        assert c.put(url, content=b"2", headers={"If-None-Match": "*"}).status_code == 412
        sha = hashlib.sha256(b"1").hexdigest()
        assert (
            c.put(url, content=b"3", headers={"If-Match": '"' + "0" * 64 + '"'}).status_code == 412
        )
        assert c.put(url, content=b"3", headers={"If-Match": f'"{sha}"'}).status_code == 201


def test_listing_in_byte_order_with_delimiter(live_server: LiveServer, owner: Account) -> None:
    keys = ["a", "a-b", "a/b", "a/c/d", "b", "é", "\u00ff", "z", "😀", "a/c/e", "Z"]
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        for key in keys:
            c.put(f"/api/buckets/{bucket}/objects/{key}", content=key.encode()).raise_for_status()

        def collect(**params: object) -> tuple[list[str], list[str]]:
            objects: list[str] = []
            prefixes: list[str] = []
            cursor = None
            while True:
                query = {**params, **({"cursor": cursor} if cursor else {})}
                page = c.get(f"/api/buckets/{bucket}/objects", params=query).json()
                objects += [o["key"] for o in page["objects"]]
                prefixes += page["common_prefixes"]
                cursor = page["next_cursor"]
                if not cursor:
                    return objects, prefixes

        assert collect(limit=3)[0] == sorted(keys, key=lambda k: k.encode())
        objects, prefixes = collect(delimiter="/", limit=2)
        assert prefixes == ["a/"]
        assert objects == sorted([k for k in keys if "/" not in k], key=lambda k: k.encode())
        objects, prefixes = collect(prefix="a/", delimiter="/", limit=1)
        assert objects == ["a/b"] and prefixes == ["a/c/"]
        assert collect(prefix="é")[0] == ["é"]


def test_concurrent_puts_never_tear(live_server: LiveServer, owner: Account) -> None:
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
    url = f"/api/buckets/{bucket}/objects/hot"
    bodies = [bytes([i]) * (64 * 1024 + i) for i in range(8)]
    torn: list[int] = []

    def writer(body: bytes) -> None:
        with live_server.client(owner.token) as c:
            for _ in range(3):
                assert c.put(url, content=body).status_code == 201

    def reader() -> None:
        with live_server.client(owner.token) as c:
            for _ in range(30):
                r = c.get(url)
                if r.status_code == 200 and r.content not in bodies:
                    torn.append(len(r.content))

    threads = [threading.Thread(target=writer, args=(b,)) for b in bodies]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert torn == []
    with live_server.client(owner.token) as c:
        assert c.get(url).content in bodies


ACTIVE_TYPES = (
    "text/html",
    "text/html; charset=utf-8",
    "TEXT/HTML",
    "image/svg+xml",
    "application/xhtml+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/pdf",
    "multipart/x-mixed-replace; boundary=x",
    "nonsense",
)


def _assert_user_content(response: httpx.Response, content_type: str) -> None:
    headers = response.headers
    assert headers["content-type"] == content_type, headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in headers["content-security-policy"]


def test_active_content_types_are_served_as_octet_stream(
    live_server: LiveServer, owner: Account
) -> None:
    """A public object stored as HTML (or SVG, XML, script...) is served to anyone as an inert
    attachment, with ``nosniff``; the stored type is kept as given. Inert types pass."""
    page = b"<html><script>alert(document.cookie)</script></html>"
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        for i, ctype in enumerate(ACTIVE_TYPES):
            put = c.put(
                f"/api/buckets/{bucket}/objects/a{i}", content=page, headers={"Content-Type": ctype}
            )
            assert put.status_code == 201, put.text
        for key, ctype in (("plain", "text/plain; charset=utf-8"), ("png", "image/png")):
            put = c.put(
                f"/api/buckets/{bucket}/objects/{key}",
                content=page,
                headers={"Content-Type": ctype},
            )
            assert put.status_code == 201, put.text
        listed = c.get(f"/api/buckets/{bucket}/objects").json()
    stored = {o["key"]: o["content_type"] for o in listed["objects"]}
    assert [stored[f"a{i}"] for i in range(len(ACTIVE_TYPES))] == list(ACTIVE_TYPES)
    with live_server.client() as anonymous:
        for i in range(len(ACTIVE_TYPES)):
            url = f"/api/buckets/{bucket}/objects/a{i}"
            got = anonymous.get(url)
            assert got.status_code == 200 and got.content == page
            _assert_user_content(got, "application/octet-stream")
            head = anonymous.head(url)
            _assert_user_content(head, "application/octet-stream")
            again = anonymous.get(url, headers={"If-None-Match": got.headers["etag"]})
            assert again.status_code == 304
            assert again.headers["x-content-type-options"] == "nosniff"
        plain = anonymous.get(f"/api/buckets/{bucket}/objects/plain")
        _assert_user_content(plain, "text/plain; charset=utf-8")
        _assert_user_content(anonymous.get(f"/api/buckets/{bucket}/objects/png"), "image/png")


def test_reads_are_answered_while_another_program_holds_the_catalogs_write_lock(
    live_server: LiveServer, owner: Account
) -> None:
    # Small GETs are answered on the event loop (server.loop_reads). SQLite's readers never
    # wait for its writer, so a write transaction held elsewhere (an operator's sqlite3 shell,
    # a stuck process) must stall neither them nor the loop, while a PUT waits its turn in a
    # worker thread and lands once the lock is let go.
    with live_server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        url = f"/api/buckets/{bucket}/objects/read-during-lock"
        assert c.put(url, content=b"before" * 700).status_code == 201
        assert c.get(url).status_code == 200  # every process may now know the token
        lock = sqlite3.connect(live_server.data_dir / "weighthouse.db", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(c.put, url + "-new", content=b"after")
                for _ in range(20):
                    got = c.get(url)
                    assert got.status_code == 200 and got.content == b"before" * 700
                    assert c.head(url).headers["content-length"] == str(len(got.content))
                assert not waiting.done()  # the PUT is still waiting for the write lock
                lock.execute("ROLLBACK")
                assert waiting.result(timeout=30).status_code == 201
        finally:
            if lock.in_transaction:
                lock.execute("ROLLBACK")
            lock.close()
        assert c.get(url + "-new").content == b"after"
