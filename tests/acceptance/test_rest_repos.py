"""The REST API end to end: repos, commits, refs, trees, downloads."""

from __future__ import annotations

import hashlib
import threading

import pytest

from tests.acceptance.api import Account, make_repo, make_user, unique, upload
from tests.acceptance.live import LiveServer

# The REST API's core flows, against one process and two.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> Account:
    return make_user(live_server)


def test_health_and_docs(live_server: LiveServer) -> None:
    with live_server.client() as c:
        assert c.get("/healthz").json()["status"] == "ok"
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "catalog": "ok",
            "blobs": "ok",
            "disk": "ok",
        }
        assert "/api/repos" in c.get("/openapi.json").json()["paths"]
        assert c.get("/docs").status_code == 200


def test_push_pull_tags_and_latest(live_server: LiveServer, alice: Account) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        first = upload(c, repo, "weights/model.bin", b"one")["commit"]["id"]
        c.post(f"/api/models/{repo}/tags", json={"name": "9", "revision": first}).raise_for_status()
        second = upload(c, repo, "weights/model.bin", b"two")["commit"]["id"]
        c.post(
            f"/api/models/{repo}/tags", json={"name": "10", "revision": second}
        ).raise_for_status()
        upload(c, repo, "weights/model.bin", b"three on main")
        assert c.get(f"/api/models/{repo}/resolve/9/weights/model.bin").content == b"one"
        latest = c.get(f"/api/models/{repo}/resolve/latest/weights/model.bin")
        assert latest.content == b"two" and latest.headers["x-repo-commit"] == second
        assert (
            c.get(f"/api/models/{repo}/resolve/main/weights/model.bin").content == b"three on main"
        )
        assert c.get(f"/api/models/{repo}/resolve/{first}/weights/model.bin").content == b"one"
        again = c.post(f"/api/models/{repo}/tags", json={"name": "10", "revision": "main"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "ref_exists"
        refs = c.get(f"/api/models/{repo}/refs").json()
        assert {t["name"] for t in refs["tags"]} == {"9", "10"} and refs["latest"] == second
        log = c.get(f"/api/models/{repo}/commits/main").json()["items"]
        assert [e["parent"] for e in log[:-1]] == [e["id"] for e in log[1:]]
        assert len(log) == 4  # three uploads and the initial commit


def test_multi_file_commit_is_atomic(live_server: LiveServer, alice: Account) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        blobs = {}
        for name, data in {"a.txt": b"a", "dir/b.txt": b"bb", "dir/sub/c.txt": b"ccc"}.items():
            r = c.post(f"/api/models/{repo}/blobs", content=data)
            assert r.status_code == 201
            blobs[name] = r.json()
            assert blobs[name]["sha256"] == hashlib.sha256(data).hexdigest()
        ops = [
            {"op": "add", "path": p, "sha256": b["sha256"], "size": b["size"]}
            for p, b in blobs.items()
        ]
        bad = [*ops, {"op": "delete", "path": "does/not/exist"}]
        failed = c.post(f"/api/models/{repo}/commit/main", json={"message": "m", "operations": bad})
        assert failed.status_code == 404
        assert (
            c.get(f"/api/models/{repo}/tree/main", params={"recursive": True}).json()["entries"]
            == []
        )
        done = c.post(f"/api/models/{repo}/commit/main", json={"message": "add", "operations": ops})
        assert done.status_code == 201, done.text
        tree = c.get(f"/api/models/{repo}/tree/main", params={"recursive": True}).json()
        assert [e["path"] for e in tree["entries"]] == [
            "a.txt",
            "dir",
            "dir/b.txt",
            "dir/sub",
            "dir/sub/c.txt",
        ]
        by_path = {e["path"]: e for e in tree["entries"]}
        # Git's blob id, as `git hash-object` gives it, also for blobs uploaded on their own.
        assert by_path["a.txt"]["git_sha1"] == hashlib.sha1(b"blob 1\0a").hexdigest()
        assert by_path["dir/sub/c.txt"]["git_sha1"] == hashlib.sha1(b"blob 3\0ccc").hexdigest()
        top = c.get(f"/api/models/{repo}/tree/main/dir").json()["entries"]
        assert [(e["path"], e["type"]) for e in top] == [
            ("dir/b.txt", "file"),
            ("dir/sub", "directory"),
        ]


def test_tree_pagination_visits_everything_once(live_server: LiveServer, alice: Account) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        blob = c.post(f"/api/models/{repo}/blobs", content=b"x").json()
        paths = [f"d{i % 3}/s{i % 2}/f{i}" for i in range(23)] + ["a-b", "a/z", "é"]
        ops = [{"op": "add", "path": p, "sha256": blob["sha256"], "size": 1} for p in paths]
        c.post(
            f"/api/models/{repo}/commit/main", json={"message": "m", "operations": ops}
        ).raise_for_status()
        seen: list[str] = []
        cursor = None
        while True:
            params = {"recursive": True, "limit": 4, **({"cursor": cursor} if cursor else {})}
            page = c.get(f"/api/models/{repo}/tree/main", params=params).json()
            seen += [e["path"] for e in page["entries"] if e["type"] == "file"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(paths) and len(seen) == len(set(seen))


def test_stale_parent_commit_conflicts(live_server: LiveServer, alice: Account) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        head = upload(c, repo, "f", b"1")["commit"]["id"]
        upload(c, repo, "g", b"2")
        stale = c.put(
            f"/api/models/{repo}/upload/main/h", content=b"3", params={"parent_commit": head}
        )
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "commit_conflict"


def test_concurrent_commits_lose_nothing(live_server: LiveServer, alice: Account) -> None:
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
    failures: list[str] = []

    def writer(i: int) -> None:
        with live_server.client(alice.token) as c:
            for j in range(3):
                r = c.put(f"/api/models/{repo}/upload/main/w{i}/f{j}", content=f"{i}-{j}".encode())
                if r.status_code != 201:
                    failures.append(r.text)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    with live_server.client(alice.token) as c:
        tree = c.get(f"/api/models/{repo}/tree/main", params={"recursive": True, "limit": 1000})
        files = [e["path"] for e in tree.json()["entries"] if e["type"] == "file"]
        assert len(files) == 24
        log = c.get(f"/api/models/{repo}/commits/main", params={"limit": 100}).json()["items"]
        assert len(log) == 25


def test_downloads_honour_http_semantics(live_server: LiveServer, alice: Account) -> None:
    data = bytes(range(256)) * 40
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "data/config.json", data)
        url = f"/api/models/{repo}/resolve/main/data/config.json"
        full = c.get(url)
        etag = full.headers["etag"]
        assert full.content == data and etag == f'"{hashlib.sha256(data).hexdigest()}"'
        assert full.headers["content-type"].startswith("application/json")
        assert "config.json" in full.headers["content-disposition"]
        head = c.head(url)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
        assert head.content == b""
        part = c.get(url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == data[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
        suffix = c.get(url, headers={"Range": "bytes=-5"})
        assert suffix.status_code == 206 and suffix.content == data[-5:]
        past = c.get(url, headers={"Range": f"bytes={len(data)}-"})
        assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(data)}"
        assert c.get(url, headers={"If-None-Match": etag}).status_code == 304
        stale = c.get(url, headers={"Range": "bytes=0-1", "If-Range": '"0000"'})
        assert stale.status_code == 200 and stale.content == data
        fresh = c.get(url, headers={"Range": "bytes=0-1", "If-Range": etag})
        assert fresh.status_code == 206 and fresh.content == data[:2]


def test_if_range_dates_without_a_zone_are_no_server_error(
    live_server: LiveServer, alice: Account
) -> None:
    """Anonymous, on a public file: an ``If-Range`` date with no zone or ``-0000`` is read as
    UTC (once a 500); a future date keeps the range, a past one sends the whole file."""
    data = b"0123456789" * 10
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        upload(c, repo, "w.bin", data)
    url = f"/api/models/{repo}/resolve/main/w.bin"
    with live_server.client() as anonymous:
        for date in ("Fri, 01 Jan 2100 00:00:00", "Fri, 01 Jan 2100 00:00:00 -0000"):
            kept = anonymous.get(url, headers={"Range": "bytes=0-1", "If-Range": date})
            assert (kept.status_code, kept.content) == (206, data[:2]), kept.text
        for date in ("Thu, 01 Jan 2015 00:00:00", "Thu, 01 Jan 2015 00:00:00 -0000", "bogus"):
            whole = anonymous.get(url, headers={"Range": "bytes=0-1", "If-Range": date})
            assert (whole.status_code, whole.content) == (200, data), whole.text


def test_repo_files_named_as_active_content_are_inert_attachments(
    live_server: LiveServer, alice: Account
) -> None:
    """A file whose name guesses to HTML, SVG, XML or script is served as an octet-stream
    attachment with ``nosniff``; one that guesses to an inert type keeps it."""
    page = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"
    names = ("index.html", "logo.svg", "page.xhtml", "feed.xml", "app.js", "notes.htm")
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name)
        for name in (*names, "readme.txt"):
            upload(c, repo, name, page)
    with live_server.client() as anonymous:
        for name in (*names, "readme.txt"):
            url = f"/api/models/{repo}/resolve/main/{name}"
            for response in (anonymous.get(url), anonymous.head(url)):
                assert response.status_code == 200, (name, response.text)
                expected = "text/plain" if name == "readme.txt" else "application/octet-stream"
                assert response.headers["content-type"].split(";")[0] == expected, name
                assert response.headers["x-content-type-options"] == "nosniff"
                assert response.headers["content-disposition"].startswith("attachment;")
                assert "sandbox" in response.headers["content-security-policy"]


def test_new_repos_and_buckets_are_private_unless_asked(
    live_server: LiveServer, alice: Account
) -> None:
    """An anonymous curl must not read a "scratch" bucket nobody chose to publish."""
    with live_server.client(alice.token) as c:
        for kind, plural in (("model", "models"), ("dataset", "datasets"), ("bucket", "buckets")):
            name = unique()
            made = c.post("/api/repos", json={"type": kind, "name": name})
            assert made.status_code == 201 and made.json()["private"] is True, made.text
            with live_server.client() as anonymous:
                hidden = anonymous.get(f"/api/{plural}/{alice.name}/{name}")
                assert hidden.status_code == 404, hidden.text
            public = c.post(
                "/api/repos", json={"type": kind, "name": name + "-o", "private": False}
            )
            assert public.status_code == 201 and public.json()["private"] is False
            with live_server.client() as anonymous:
                assert anonymous.get(f"/api/{plural}/{alice.name}/{name}-o").status_code == 200


def test_private_repos_do_not_leak(live_server: LiveServer, alice: Account) -> None:
    bob = make_user(live_server)
    with live_server.client(alice.token) as c:
        repo = make_repo(c, alice.name, private=True)
        upload(c, repo, "secret.txt", b"s")
    for token in (None, bob.token):
        with live_server.client(token) as c:
            for url in (
                f"/api/models/{repo}",
                f"/api/models/{repo}/resolve/main/secret.txt",
                f"/api/models/{repo}/tree/main",
                f"/api/models/{repo}/refs",
            ):
                r = c.get(url)
                assert r.status_code == 404 and r.json()["error"]["code"] == "repo_not_found", url
            listed = c.get("/api/repos", params={"namespace": alice.name}).json()["items"]
            assert repo not in [r["id"] for r in listed]
    with live_server.client(alice.read_token) as c:
        assert c.get(f"/api/models/{repo}/resolve/main/secret.txt").content == b"s"
    with live_server.client(alice.token) as c:
        c.patch(f"/api/models/{repo}", json={"private": False}).raise_for_status()
    with live_server.client() as c:
        assert c.get(f"/api/models/{repo}/resolve/main/secret.txt").content == b"s"


def test_repo_listing_search_and_pages(live_server: LiveServer, alice: Account) -> None:
    with live_server.client(alice.token) as c:
        marker = unique("findme")
        names = [f"{marker}-{i}" for i in range(5)]
        for n in names:
            c.post("/api/repos", json={"name": n}).raise_for_status()
        found: list[str] = []
        cursor = None
        while True:
            params = {"search": marker, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = c.get("/api/repos", params=params).json()
            found += [r["name"] for r in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert found == sorted(names)
        c.delete(f"/api/models/{alice.name}/{names[0]}").raise_for_status()
        assert c.get(f"/api/models/{alice.name}/{names[0]}").status_code == 404
