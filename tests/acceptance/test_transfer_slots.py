"""Transfer slots against a live server: one account's stalled uploads cannot take every slot
(issue 7, finding 2), one address cannot either, and the body idle timeout gives stalled
slots back without the client closing anything.

The server runs one process: slots are counted per process. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer

BODY_IDLE_TIMEOUT = 30.0
TRICKLE_EVERY = 1.0  # seconds between the bytes of a slow upload; far under the idle timeout
PER_ACCOUNT = 16  # the defaults
PER_CLIENT = 32
WAIT = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("slots") / "data",
        workers=1,
        extra_env={"WEIGHTHOUSE_SERVER__BODY_IDLE_TIMEOUT_SECONDS": str(BODY_IDLE_TIMEOUT)},
    ).start()
    yield live
    live.stop()


def stalled_upload(server: LiveServer, account: Account, repo: str, path: str) -> socket.socket:
    """An upload that announces 1 MiB and sends a few bytes (then what :class:`Trickle` sends)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    sock.sendall(
        f"PUT /api/models/{repo}/upload/main/{path} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {account.token}\r\nContent-Length: {2**20}\r\n\r\n".encode()
        + b"0123456789"
    )
    return sock


class Trickle:
    """Keeps slow uploads alive with a byte now and then until :meth:`stop`; then they stall."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TRICKLE_EVERY):
            for sock in list(self.sockets):
                with contextlib.suppress(OSError):  # refused uploads are closed by the server
                    sock.sendall(b"x")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)

    def close(self) -> None:
        self.stop()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def put(server: LiveServer, account: Account, repo: str, path: str, data: bytes) -> httpx.Response:
    return httpx.put(
        f"{server.url}/api/models/{repo}/upload/main/{path}",
        content=data,
        headers={
            "Authorization": f"Bearer {account.token}",
            "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
        },
        timeout=WAIT,
    )


def refused_once_full(server: LiveServer, account: Account, repo: str) -> httpx.Response:
    """Upload until the server says 429: the stalled uploads reach their slots in their own
    time, and an upload that still finds a slot simply succeeds."""
    deadline = time.monotonic() + WAIT
    attempt = 0
    while True:
        attempt += 1
        response = put(server, account, repo, f"probe-{attempt}.bin", b"small")
        if response.status_code == 429 or time.monotonic() > deadline:
            return response
        assert response.status_code == 201, response.text
        time.sleep(0.1)


# Slots are counted per serving process, and with two the kernel's spread of the stalled
# connections decides which share fills.
@pytest.mark.server_workers(1)
def test_stalled_uploads_of_one_account_leave_the_others_uploading(server: LiveServer) -> None:
    alice, bob, carol = make_user(server), make_user(server), make_user(server)
    repos = {}
    for account in (alice, bob, carol):
        with server.client(account.token) as client:
            repos[account.name] = make_repo(client, account.name)
    slow = Trickle()
    try:
        # The finding: 64 uploads that never end used to take every slot of the server. These
        # trickle a byte at a time, so no timeout ends them while the shares are checked.
        slow.sockets += [
            stalled_upload(server, alice, repos[alice.name], f"stalled-{i}.bin") for i in range(64)
        ]
        response = refused_once_full(server, alice, repos[alice.name])
        assert response.status_code == 429, response.text
        assert response.json()["error"]["code"] == "rate_limited"
        assert int(response.headers["Retry-After"]) > 0

        # Another account uploads 10 MiB meanwhile.
        data = os.urandom(10 * 2**20)
        response = put(server, bob, repos[bob.name], "weights.bin", data)
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()

        # Bob's own slow uploads bring this address to its share: now carol, from the same
        # address, waits too.
        slow.sockets += [
            stalled_upload(server, bob, repos[bob.name], f"stalled-{i}.bin")
            for i in range(PER_CLIENT - PER_ACCOUNT)
        ]
        response = refused_once_full(server, carol, repos[carol.name])
        assert response.status_code == 429, response.text
        assert "address" in response.json()["error"]["message"]

        # They stop sending, and nobody closes anything: the body idle timeout ends them and
        # frees their slots.
        slow.stop()
        deadline = time.monotonic() + WAIT
        while (response := put(server, alice, repos[alice.name], "after.bin", b"x")).status_code:
            if response.status_code != 429 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert response.status_code == 201, response.text
    finally:
        slow.close()
