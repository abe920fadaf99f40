"""kill -9 during a burst of concurrent small bucket PUTs, whose catalog writes share commits:
after a restart every acknowledged object reads back with its exact bytes, an object that was
not acknowledged is either absent or whole, no temporary is left and fsck is clean."""

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

# With one process every PUT of the burst joins the same group commit: this file runs
# against one process and two.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]

ROUNDS = 2
CLIENTS = 16
PER_CLIENT = 12


def test_kill_during_a_burst_of_small_puts_loses_nothing_acknowledged(
    tmp_path: Path, server_workers: int
) -> None:
    rng = random.Random(20261204)
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers).start()
    owner = make_user(server)
    with server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
    bodies: dict[str, bytes] = {}  # url -> the body sent (keys are never reused)
    acked: set[str] = set()
    lock = threading.Lock()
    enough = threading.Event()

    def client(round_no: int, n: int) -> None:
        headers = {"Authorization": f"Bearer {owner.token}"}
        try:
            with httpx.Client(
                base_url=server.url, headers=headers, timeout=30, verify=default_tls()
            ) as c:
                for i in range(PER_CLIENT):
                    url = f"/api/buckets/{bucket}/objects/r{round_no}/c{n}/{i}"
                    with lock:
                        body = bodies[url] = rng.randbytes(4096)
                    if c.put(url, content=body).status_code == 201:
                        with lock:
                            acked.add(url)
                            if len(acked) >= (round_no + 1) * CLIENTS:
                                enough.set()
        except httpx.HTTPError:
            return  # the server was killed under this client

    try:
        for round_no in range(ROUNDS):
            enough.clear()
            threads = [threading.Thread(target=client, args=(round_no, n)) for n in range(CLIENTS)]
            for thread in threads:
                thread.start()
            # Kill in the middle of the burst: once some of this round's PUTs were answered.
            enough.wait(timeout=30)
            time.sleep(rng.uniform(0, 0.05))
            server.kill()
            for thread in threads:
                thread.join(timeout=30)
            server.start()
            check(server, owner.token, bodies, acked)
    finally:
        server.stop()
    assert len(acked) < len(bodies), "every PUT finished before the kill: nothing was cut"
    fsck = subprocess.run(
        [sys.executable, "-m", "weighthouse", "fsck", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WEIGHTHOUSE_DATA_DIR": str(tmp_path / "data")},
    )
    print(f"{ROUNDS} kills, {len(bodies)} PUTs, {len(acked)} acknowledged, 0 lost")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert "clean" in fsck.stdout
    assert list((tmp_path / "data" / "blobs" / "tmp").glob("*")) == []


def check(server: LiveServer, token: str, bodies: dict[str, bytes], acked: set[str]) -> None:
    with server.client(token) as c:
        for url, body in bodies.items():
            r = c.get(url)
            if url in acked:
                assert r.status_code == 200, f"acknowledged {url} lost: {r.status_code}"
                assert hashlib.sha256(r.content).digest() == hashlib.sha256(body).digest()
            elif r.status_code == 200:
                assert r.content == body, f"{url} holds bytes that were never sent"
            else:
                assert r.status_code == 404, r.text
