"""``weighthouse serve --workers 2``: one start-up, two processes that serve the same catalog and
blob store and agree on sessions and sign-in limits, a killed worker replaced without harm to
the other's uploads, and no orphan left when the supervisor dies.

The rest of the acceptance suite runs on two workers too (``pytest --server-workers 2,1``); the
tests here pin requests to a chosen worker, which plain HTTP clients cannot do.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from tests.acceptance.api import make_repo, make_user, unique
from tests.acceptance.live import LiveServer
from weighthouse.config import AuthSettings

pytestmark = pytest.mark.acceptance

WORKERS = 2
PASSWORD = "a long enough password"
MiB = 1 << 20


class Pinned:
    """A keep-alive connection, and the worker process that accepted it."""

    def __init__(self, server: LiveServer) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.request("GET", "/healthz")  # answered, so a worker has accepted the connection
        sock = self.connection.sock
        assert sock is not None
        self.worker = server.worker_of(sock.getsockname()[1])

    def request(
        self, method: str, path: str, body: bytes | None = None, token: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def one_per_worker(server: LiveServer) -> list[Pinned]:
    """A connection to each worker: connections are opened until every worker has accepted one
    (the kernel hands each to whichever worker accepts first)."""
    kept: dict[int, Pinned] = {}
    for _ in range(200):
        pinned = Pinned(server)
        if pinned.worker in kept:
            pinned.close()
            continue
        kept[pinned.worker] = pinned
        if len(kept) == WORKERS:
            return list(kept.values())
    for pinned in kept.values():
        pinned.close()
    raise AssertionError(f"only workers {sorted(kept)} accepted connections")


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


def _keys(server: LiveServer, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "weighthouse", "keys", *args, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _sign_in(pinned: Pinned, name: str) -> str:
    body = f'{{"name": "{name}", "password": "{PASSWORD}"}}'.encode()
    status, reply = pinned.request("POST", "/api/signin", body)
    assert status == 200, reply
    found = re.search(rb'"token":"([^"]+)"', reply)
    assert found is not None
    return found.group(1).decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("workers") / "data",
        workers=WORKERS,
        preset_admin=False,
        # Every sign-in here comes from 127.0.0.1: the per-account limit is the one under test.
        extra_env={"WEIGHTHOUSE_AUTH__SIGNIN_PER_CLIENT": "1000"},
    ).start()
    try:
        yield live
    finally:
        live.stop()


def test_one_start_up_prints_the_admin_token_once(server: LiveServer) -> None:
    announcements = re.findall(r"Created the admin user 'admin'", server.log())
    tokens = re.findall(r"wh_[0-9a-f]+_[A-Za-z0-9_-]+", server.log())
    assert len(announcements) == 1 and len(tokens) == 1, server.log()
    server.admin_token = tokens[0]
    with server.client(server.admin_token) as admin:
        users = admin.get("/api/users")
    assert users.status_code == 200, users.text
    assert [(u["name"], u["is_admin"]) for u in users.json()] == [("admin", True)]
    assert len(server.worker_pids()) == WORKERS
    ring = (server.data_dir / "secrets" / "session-keys.json").read_text()
    assert ring.count('"id"') == 1  # one key ring with one key, not one per worker


def test_a_session_from_one_worker_works_on_the_other_until_signed_out(
    server: LiveServer,
) -> None:
    name = unique("s")
    with server.client(server.admin_token) as admin:
        created = admin.post("/api/users", json={"name": name, "password": PASSWORD})
        assert created.status_code == 201, created.text
    first, second = one_per_worker(server)
    try:
        token = _sign_in(first, name)
        status, reply = second.request("GET", "/api/whoami", token=token)
        assert status == 200 and name.encode() in reply, reply
        status, _ = second.request("POST", "/api/signout", token=token)
        assert status == 204
        status, _ = first.request("GET", "/api/whoami", token=token)
        assert status == 401  # signed out on the other worker, refused here at once
    finally:
        first.close()
        second.close()


def test_both_workers_follow_a_key_rotation_on_the_running_server(server: LiveServer) -> None:
    name = unique("k")
    with server.client(server.admin_token) as admin:
        created = admin.post("/api/users", json={"name": name, "password": PASSWORD})
        assert created.status_code == 201, created.text
    first, second = one_per_worker(server)
    try:
        before = _sign_in(first, name)
        assert second.request("GET", "/api/whoami", token=before)[0] == 200
        old_kid = before.split(".")[1]
        new_kid = _keys(server, "rotate")
        after = _sign_in(first, name)
        assert after.split(".")[1] == new_kid  # the first worker signs with the new key
        assert second.request("GET", "/api/whoami", token=after)[0] == 200  # and so verifies
        assert first.request("GET", "/api/whoami", token=before)[0] == 200
        _keys(server, "retire", old_kid)
        for pinned in (first, second):
            assert pinned.request("GET", "/api/whoami", token=before)[0] == 401
            assert pinned.request("GET", "/api/whoami", token=after)[0] == 200
    finally:
        first.close()
        second.close()


def test_sign_in_attempts_on_both_workers_count_together(server: LiveServer) -> None:
    # Per process, each worker would allow the limit on its own: 2 x limit guesses in all.
    limit = AuthSettings().signin_per_account  # the per-client limit is lifted for this server
    name = unique("v")
    with server.client(server.admin_token) as admin:
        created = admin.post("/api/users", json={"name": name, "password": PASSWORD})
        assert created.status_code == 201, created.text
    pinned = one_per_worker(server)
    try:
        statuses = []
        for attempt in range(2 * limit + 2):
            body = f'{{"name": "{name}", "password": "guess {attempt}"}}'.encode()
            statuses.append(pinned[attempt % WORKERS].request("POST", "/api/signin", body)[0])
    finally:
        for each in pinned:
            each.close()
    assert statuses == [401] * limit + [429] * (limit + 2), statuses


def _temporaries(server: LiveServer, pid: int) -> list[Path]:
    tmp = server.data_dir / "blobs" / "tmp"
    return [p for p in tmp.iterdir() if p.name.split(".")[-2] == str(pid)]


def _start_upload(server: LiveServer, token: str, path: str, data: bytes) -> Pinned:
    """Half of ``data`` sent as a bucket PUT on a connection pinned to some worker."""
    pinned = Pinned(server)
    connection = pinned.connection
    connection.putrequest("PUT", path)
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Length", str(len(data)))
    connection.endheaders()
    connection.send(data[: len(data) // 2])
    return pinned


def test_a_killed_worker_is_replaced_and_only_its_temporaries_are_swept(
    server: LiveServer,
) -> None:
    owner = make_user(server)
    with server.client(owner.token) as c:
        bucket = make_repo(c, owner.name, type="bucket")
    data = os.urandom(8 * MiB)
    uploads: dict[int, tuple[Pinned, str]] = {}
    try:
        for n in range(200):  # one upload in flight on each worker
            path = f"/api/buckets/{bucket}/objects/in-flight-{n}"
            pinned = _start_upload(server, owner.token, path, data)
            if pinned.worker in uploads:
                pinned.close()
                continue
            uploads[pinned.worker] = (pinned, path)
            if len(uploads) == WORKERS:
                break
        assert len(uploads) == WORKERS
        for pid in uploads:
            wait_for(lambda pid=pid: _temporaries(server, pid), f"worker {pid} writes a temporary")
        victim, survivor = sorted(uploads)
        orphaned = _temporaries(server, victim)

        os.kill(victim, signal.SIGKILL)  # one worker only, as the OOM killer would
        wait_for(
            lambda: victim not in server.worker_pids() and len(server.worker_pids()) == WORKERS,
            "the supervisor replaces the killed worker",
        )
        # The replacement sweeps what the dead worker left, and nothing of the live one.
        wait_for(lambda: not any(p.exists() for p in orphaned), "the dead worker's temporary goes")
        assert _temporaries(server, survivor)

        pinned, path = uploads[survivor]
        pinned.connection.send(data[len(data) // 2 :])
        response = pinned.connection.getresponse()
        assert response.status == 201, response.read()
        response.read()
        with server.client(owner.token) as c:
            stored = c.get(path)
            assert stored.status_code == 200
            assert hashlib.sha256(stored.content).digest() == hashlib.sha256(data).digest()
            lost = c.get(uploads[victim][1])
            assert lost.status_code == 404  # never acknowledged, so never visible
    finally:
        for pinned, _ in uploads.values():
            pinned.close()


def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    live = LiveServer(data_dir=tmp_path / "data", workers=WORKERS).start()
    try:
        workers = live.worker_pids()
        assert len(workers) == WORKERS
        assert live.process is not None
        os.kill(live.process.pid, signal.SIGKILL)  # the supervisor alone
        live.process.wait(timeout=10)
        wait_for(lambda: not any(psutil.pid_exists(pid) for pid in workers), "the workers exit")
        # Nothing holds the port any more: a new server can bind it.
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", live.port))
    finally:
        live.stop()
