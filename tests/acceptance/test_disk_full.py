"""A full disk needs no operator: writes get 507, deletes still work, readiness says so.

The server runs on two RAM disks of its own (``tmpfs_serve``): one for the data folder (the
SQLite catalog) and one for the blobs, so each can be filled on its own. Needs root for the
private mount namespace; skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_repo, make_user, upload
from tests.acceptance.live import LiveServer
from weighthouse.blobs.small import FILE_NAME as SMALL_FILE

pytestmark = pytest.mark.acceptance

MIB = 2**20
FLOOR = 2 * MIB


def _can_mount() -> str | None:
    if os.geteuid() != 0:
        return "needs root for a private mount namespace with RAM disks"
    probe = subprocess.run(
        ["unshare", "-m", "true"], capture_output=True, text=True, check=False, timeout=30
    )
    if probe.returncode != 0:
        return f"cannot make a mount namespace: {probe.stderr.strip()}"
    return None


@pytest.fixture
def small_disks(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    server = start_on_small_disks(tmp_path, server_workers)
    yield server
    server.stop()


def start_on_small_disks(tmp_path: Path, workers: int) -> LiveServer:
    reason = _can_mount()
    if reason:
        pytest.skip(reason)
    data, blobs = tmp_path / "data", tmp_path / "blobs"
    return LiveServer(
        data_dir=data,
        workers=workers,
        module="tests.acceptance.tmpfs_serve",
        extra_env={
            "WEIGHTHOUSE_TEST_TMPFS": f"{data}=8m,{blobs}=24m",
            "WEIGHTHOUSE_BLOBS__LOCAL__ROOT": str(blobs),
            "WEIGHTHOUSE_MIN_FREE_BYTES": str(FLOOR),
            "WEIGHTHOUSE_DATABASE__RESERVE_BYTES": str(MIB),
        },
    ).start()


def inside(server: LiveServer, path: Path) -> Path:
    """``path`` as the server sees it, inside its mount namespace."""
    assert server.process is not None
    return Path(f"/proc/{server.process.pid}/root") / path.relative_to("/")


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until its file system has no room left."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(os.urandom(256 * 1024))
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def put(c: httpx.Client, bucket: str, key: str, body: bytes) -> httpx.Response:
    return c.put(f"/api/buckets/{bucket}/objects/{key}", content=body)


def use_up_the_catalog(c: httpx.Client, bucket: str) -> httpx.Response:
    """Add objects with long keys until the catalog refuses one (its files may still have room
    inside them when the disk is full); the refusal."""
    for i in range(2000):
        response = put(c, bucket, f"{i:04d}" + "k" * 1000, b"%d" % i)
        if response.status_code not in (200, 201):
            return response
    pytest.fail("a full data disk took 2000 more objects")


def stored_blobs(server: LiveServer) -> set[str]:
    """The SHA-256 of every blob stored: the files, and the small ones' database rows."""
    root = inside(server, server.data_dir.parent / "blobs")
    found = {p.name for p in (root / "sha256").rglob("*") if p.is_file()}
    if (root / SMALL_FILE).exists():
        # SQLite resolves the /proc/<pid>/root link to this process's own root, outside the
        # server's mounts, so it reads a copy of the database and its log (the server is idle).
        with tempfile.TemporaryDirectory() as folder:
            for suffix in ("", "-wal"):
                if (root / f"{SMALL_FILE}{suffix}").exists():
                    shutil.copy(root / f"{SMALL_FILE}{suffix}", Path(folder) / f"copy{suffix}")
            with contextlib.closing(sqlite3.connect(Path(folder) / "copy")) as rows:
                keys = rows.execute("SELECT key FROM blobs").fetchall()
        found |= {key.rsplit("/", 1)[1] for (key,) in keys}
    return found


def test_a_full_blob_disk_refuses_uploads_with_507_and_readiness_reports_it(
    small_disks: LiveServer,
) -> None:
    server = small_disks
    owner = make_user(server)
    with server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        assert c.get("/readyz").status_code == 200
        stored: dict[str, str] = {}
        for i in range(40):
            body = os.urandom(MIB)
            response = put(c, bucket, f"k{i}", body)
            if response.status_code == 507:
                break
            assert response.status_code in (200, 201), response.text
            stored[f"k{i}"] = hashlib.sha256(body).hexdigest()
        else:
            pytest.fail("24 MiB held 40 uploads of 1 MiB")
        assert response.json()["error"]["code"] == "storage_full"
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert "blob root" in ready.json()["checks"]["disk"]
        # Deleting frees room for users; nothing failed half-way.
        assert c.delete(f"/api/buckets/{bucket}/objects/k0").status_code == 204
        assert c.get(f"/api/buckets/{bucket}/objects/k1").content is not None
        assert stored_blobs(server) == set(stored.values())


def test_a_full_catalog_disk_refuses_writes_with_507_but_deletes_go_through(
    small_disks: LiveServer,
) -> None:
    server = small_disks
    owner = make_user(server)
    data = inside(server, server.data_dir)
    assert (data / "weighthouse.reserve").stat().st_size == MIB
    with server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
        stored: set[str] = set()
        for i in range(3):
            assert put(c, bucket, f"keep{i}", b"x%d" % i).status_code in (200, 201)
            stored.add(hashlib.sha256(b"x%d" % i).hexdigest())
        filler = fill(data)
        # The catalog may still have room inside its files; long keys use it up.
        for i in range(2000):
            response = put(c, bucket, f"{i:04d}" + "k" * 1000, b"%d" % i)
            if response.status_code != 201 and response.status_code != 200:
                break
            stored.add(hashlib.sha256(b"%d" % i).hexdigest())
        else:
            pytest.fail("a full data disk took 2000 more objects")
        assert response.status_code == 507, response.text
        assert response.json()["error"]["code"] == "storage_full"
        # The blob of the refused object was written (its disk has room) and removed at once.
        assert stored_blobs(server) == stored
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert "data dir" in ready.json()["checks"]["disk"]
        # Reads and deletes still work: the reserve makes room for the delete.
        assert c.get(f"/api/buckets/{bucket}/objects/keep1").content == b"x1"
        assert c.delete(f"/api/buckets/{bucket}/objects/keep0").status_code == 204
        assert c.get(f"/api/buckets/{bucket}/objects/keep0").status_code == 404
        assert c.delete(f"/api/buckets/{bucket}/objects/keep1").status_code == 204
        # Once the operator (here, the test) frees space, readiness and the reserve come back.
        filler.unlink()
        assert c.get("/readyz").status_code == 200
        assert (data / "weighthouse.reserve").stat().st_size == MIB
        assert put(c, bucket, "after", b"room again").status_code in (200, 201)


def test_on_a_full_catalog_disk_files_and_branches_can_still_be_deleted(
    small_disks: LiveServer,
) -> None:
    server = small_disks
    owner = make_user(server)
    with server.client(owner.token) as c:
        repo = make_repo(c, owner.name)
        for i in range(3):
            upload(c, repo, f"w{i}.bin", b"weights %d" % i)
        for branch in ("b0", "b1"):
            created = c.post(
                f"/api/models/{repo}/branches", json={"name": branch, "revision": "main"}
            )
            assert created.status_code == 201, created.text
        bucket = make_repo(c, owner.name, type="bucket")
        filler = fill(inside(server, server.data_dir))
        assert use_up_the_catalog(c, bucket).status_code == 507

        # A commit that adds is refused; one that only deletes is how users free space.
        blob = c.post(f"/api/models/{repo}/blobs", content=b"more")
        assert blob.status_code in (201, 507), blob.text
        deleting = {"message": "free", "operations": [{"op": "delete", "path": "w0.bin"}]}
        response = c.post(f"/api/models/{repo}/commit/main", json=deleting)
        assert response.status_code == 201, response.text
        assert c.delete(f"/api/models/{repo}/branches/b0").status_code == 204
        assert c.delete(f"/api/models/{repo}/branches/b1").status_code == 204
        tree = c.get(f"/api/models/{repo}/tree/main").json()["entries"]
        assert [e["path"] for e in tree] == ["w1.bin", "w2.bin"]
        branches = c.get(f"/api/models/{repo}/refs").json()["branches"]
        assert [branch["name"] for branch in branches] == ["main"]
        filler.unlink()


def test_a_full_disk_under_the_sign_in_counts_answers_507(tmp_path: Path) -> None:
    # Two processes count sign-in attempts in a file of the data directory.
    server = start_on_small_disks(tmp_path, workers=2)
    try:
        owner = make_user(server)
        with server.client(server.admin_token) as admin:
            made = admin.post("/api/users", json={"name": "pw" + owner.name, "password": "p" * 16})
            assert made.status_code == 201, made.text
        with server.client(owner.token) as c:
            bucket = make_repo(c, owner.name, type="bucket")
            filler = fill(inside(server, server.data_dir))
            assert use_up_the_catalog(c, bucket).status_code == 507
        with server.client() as anonymous:
            response = anonymous.post(
                "/api/signin", json={"name": "pw" + owner.name, "password": "wrong" * 4}
            )
        assert response.status_code == 507, response.text
        assert response.json()["error"]["code"] == "storage_full"
        filler.unlink()
    finally:
        server.stop()
