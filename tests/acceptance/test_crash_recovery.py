"""kill -9 of the server at random points during uploads: after a restart nothing partial is
visible, every acknowledged upload is intact, no temporary file is left, and fsck is clean."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_repo, make_user
from tests.acceptance.live import LiveServer
from weighthouse.client.transport import default_tls

pytestmark = pytest.mark.acceptance

ROUNDS = 12
SIZES = [10, 1_000, 200_000, 3_000_000]


def payload(rng: random.Random, size: int) -> bytes:
    """Self-verifying: the last 32 bytes are the SHA-256 of the rest."""
    body = rng.randbytes(max(size - 32, 1))
    return body + hashlib.sha256(body).digest()


def whole(data: bytes) -> bool:
    return len(data) > 32 and hashlib.sha256(data[:-32]).digest() == data[-32:]


def test_kill_during_uploads_loses_nothing_acknowledged(
    tmp_path: Path, server_workers: int
) -> None:
    rng = random.Random(20261121)
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers).start()
    owner = make_user(server)
    with server.client(owner.token) as c:
        model = make_repo(c, owner.name)
        bucket = make_repo(c, owner.name, type="bucket")
    acked: dict[str, str] = {}  # url -> sha256 of the acknowledged body
    attempted: list[str] = []
    lock = threading.Lock()
    first_ack = threading.Event()

    def send(url: str, data: bytes) -> None:
        try:
            with httpx.Client(
                base_url=server.url,
                headers={"Authorization": f"Bearer {owner.token}"},
                timeout=30,
                verify=default_tls(),
            ) as c:
                r = c.put(url, content=data)
        except httpx.HTTPError:
            return
        if r.status_code == 201:
            with lock:
                acked[url] = hashlib.sha256(data).hexdigest()
            first_ack.set()

    try:
        for round_no in range(ROUNDS):
            threads = []
            for j in range(4):
                data = payload(rng, rng.choice(SIZES))
                if j % 2:
                    url = f"/api/buckets/{bucket}/objects/r{round_no}/k{j}"
                else:
                    url = f"/api/models/{model}/upload/main/r{round_no}/f{j}.bin"
                attempted.append(url)
                threads.append(threading.Thread(target=send, args=(url, data)))
            first_ack.clear()
            for t in threads:
                t.start()
            if round_no % 2:
                # Every other round kills only once something was acknowledged, so a slow,
                # loaded machine still tests acknowledged uploads, not only refused ones.
                first_ack.wait(timeout=20)
            time.sleep(rng.uniform(0, 0.25))
            server.kill()
            for t in threads:
                t.join(timeout=30)
            server.start()
            check_visible_state(server, owner.token, model, attempted, acked)
    finally:
        server.stop()
    assert acked, "no upload was acknowledged: the kill window is too short to test anything"
    temporaries = list((tmp_path / "data" / "blobs" / "tmp").glob("*"))
    fsck = subprocess.run(
        [sys.executable, "-m", "weighthouse", "fsck", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WEIGHTHOUSE_DATA_DIR": str(tmp_path / "data")},
    )
    print(f"{ROUNDS} kills, {len(attempted)} uploads, {len(acked)} acknowledged, 0 lost")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "clean" in fsck.stdout
    assert temporaries == []


def check_visible_state(
    server: LiveServer, token: str, model: str, attempted: list[str], acked: dict[str, str]
) -> None:
    with server.client(token) as c:
        for url in attempted:
            read_url = url.replace("/upload/main/", "/resolve/main/")
            r = c.get(read_url)
            if url in acked:
                assert r.status_code == 200, f"acknowledged {url} lost: {r.status_code}"
                assert hashlib.sha256(r.content).hexdigest() == acked[url]
            elif r.status_code == 200:
                assert whole(r.content), f"partial content visible at {url}"
            else:
                assert r.status_code == 404, r.text
        tree = c.get(f"/api/models/{model}/tree/main", params={"recursive": True, "limit": 1000})
        for entry in tree.json()["entries"]:
            if entry["type"] == "file":
                body = c.get(f"/api/models/{model}/resolve/main/{entry['path']}").content
                assert whole(body) and len(body) == entry["size"]
