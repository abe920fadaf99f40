"""Transfer slots against a live server: one account's stalled uploads cannot take every slot
(issue 7, finding 2), one address cannot either, and the body idle timeout gives stalled
slots back without the client closing anything.

Slots are counted per serving process, like the connections they ride on, and with several
processes the kernel decides which one accepts a connection. So the test learns which process
holds each connection it opens, fills every process's share, and checks that every process
refuses (and, once the stalled uploads end, accepts again). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer

BODY_IDLE_TIMEOUT = 30.0
TRICKLE_EVERY = 1.0  # seconds between the bytes of a slow upload; far under the idle timeout
PER_ACCOUNT = 16  # the defaults
PER_CLIENT = 32
WAIT = 60.0
MOST_STALLED = 400  # connections opened, at most, to give every process its share


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("slots") / "data",
        workers=server_workers,
        extra_env={"WEIGHTHOUSE_SERVER__BODY_IDLE_TIMEOUT_SECONDS": str(BODY_IDLE_TIMEOUT)},
    ).start()
    yield live
    live.stop()


def accepted_by(server: LiveServer, socks: list[socket.socket]) -> list[int]:
    """The serving process that accepted each connection of ``socks``."""
    ports = [sock.getsockname()[1] for sock in socks]
    deadline = time.monotonic() + WAIT
    while len(found := server.workers_of(ports)) < len(ports):
        assert time.monotonic() < deadline, "no serving process accepted some connections"
        time.sleep(0.01)
    return [found[port] for port in ports]


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)


def start_stalled_upload(sock: socket.socket, account: Account, repo: str, path: str) -> None:
    """An upload that announces 1 MiB and sends a few bytes (then what :class:`Trickle` sends)."""
    sock.sendall(
        f"PUT /api/models/{repo}/upload/main/{path} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {account.token}\r\nContent-Length: {2**20}\r\n\r\n".encode()
        + b"0123456789"
    )


@dataclass
class Stalled:
    sock: socket.socket
    account: Account
    worker: int


def answered(sock: socket.socket) -> bool:
    """Whether the server has answered (refused) the stalled upload on ``sock``: a stalled
    upload that holds its slot is never answered while it trickles."""
    return bool(select.select([sock], [], [], 0)[0])


class Trickle:
    """Keeps slow uploads alive with a byte now and then until :meth:`stop`; then they stall.

    A stalled upload takes its slots when its process gets to it, and a probe that gets there
    first takes one of them and has the stalled upload refused (the server answers it 429 at
    once). :meth:`top_up` replaces the refused ones, so the shares are held for certain in the
    end instead of one short for ever."""

    def __init__(self) -> None:
        self.uploads: list[Stalled] = []
        self._shares: list[tuple[Account, str, int]] = []
        self.opened = 0  # connections opened for stalled uploads, refused ones included
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(TRICKLE_EVERY):
            with self._lock:
                socks = [upload.sock for upload in self.uploads]
            for sock in socks:
                with contextlib.suppress(OSError):  # refused uploads are closed by the server
                    sock.sendall(b"x")

    def stall(self, server: LiveServer, account: Account, repo: str, share: int) -> None:
        """Keep ``share`` stalled uploads of ``account`` in every serving process from now on,
        and start them (see :meth:`top_up`)."""
        self._shares.append((account, repo, share))
        self.top_up(server)

    def top_up(self, server: LiveServer) -> bool:
        """Start stalled uploads until every serving process has accepted each account's share
        of them, not counting those the server refused; whether any was started. Each
        connection's process is learnt before its request is sent (one that is refused is
        closed at once); a process that accepted more than its share refuses the rest."""
        started = False
        workers = server.worker_pids()
        with self._lock:
            refused = [upload for upload in self.uploads if answered(upload.sock)]
            self.uploads = [upload for upload in self.uploads if upload not in refused]
        for upload in refused:
            upload.sock.close()
        for account, repo, share in self._shares:
            held = Counter(u.worker for u in self.uploads if u.account == account)
            while missing := sum(max(0, share - held[pid]) for pid in workers):
                assert self.opened + missing <= MOST_STALLED, f"the processes accepted {dict(held)}"
                socks = [connect(server) for _ in range(missing)]
                for sock, worker in zip(socks, accepted_by(server, socks), strict=True):
                    start_stalled_upload(sock, account, repo, f"stalled-{self.opened}.bin")
                    self.opened += 1
                    with self._lock:
                        self.uploads.append(Stalled(sock, account, worker))
                    held[worker] += 1
                started = True
        return started

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)

    def close(self) -> None:
        self.stop()
        for upload in self.uploads:
            with contextlib.suppress(OSError):
                upload.sock.close()


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


@dataclass
class Answer:
    worker: int
    status: int
    retry_after: str | None
    body: dict


def probe(server: LiveServer, account: Account, repo: str, path: str) -> Answer:
    """A small upload on a connection whose serving process is known."""
    data = b"small"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
    try:
        connection.connect()
        assert connection.sock is not None
        [worker] = accepted_by(server, [connection.sock])
        headers = {
            "Authorization": f"Bearer {account.token}",
            "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
        }
        connection.request("PUT", f"/api/models/{repo}/upload/main/{path}", data, headers)
        response = connection.getresponse()
        body = json.loads(response.read() or b"{}")
        return Answer(worker, response.status, response.getheader("Retry-After"), body)
    finally:
        connection.close()


def answers_of_every_process(
    server: LiveServer, account: Account, repo: str, status: int, slow: Trickle | None = None
) -> list[Answer]:
    """Upload until every serving process has answered ``status`` once. The stalled uploads
    reach their slots in their own time, so a process may still take an upload before it
    first refuses one (and may still refuse one before it first takes one again); never after.
    Before each upload, ``slow`` replaces the stalled uploads an earlier one had refused, and
    those it starts get a moment to reach their slots first.
    """
    workers = set(server.worker_pids())
    answers: list[Answer] = []
    settled: set[int] = set()
    deadline = time.monotonic() + WAIT
    while settled != workers:
        assert time.monotonic() < deadline, [(a.worker, a.status, a.body) for a in answers]
        if slow is not None and slow.top_up(server):
            time.sleep(0.2)
        answer = probe(server, account, repo, f"probe-{len(answers)}.bin")
        answers.append(answer)
        if answer.status == status:
            settled.add(answer.worker)
        else:
            assert answer.worker not in settled, (answer.status, answer.body)
            assert answer.status in (201, 429), (answer.status, answer.body)
            time.sleep(0.2)
    return [answer for answer in answers if answer.status == status]


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
        slow.stall(server, alice, repos[alice.name], PER_ACCOUNT)
        for refused in answers_of_every_process(server, alice, repos[alice.name], 429, slow):
            assert refused.body["error"]["code"] == "rate_limited"
            assert "account" in refused.body["error"]["message"]
            assert refused.retry_after is not None and int(refused.retry_after) > 0

        # Another account uploads 10 MiB meanwhile.
        data = os.urandom(10 * 2**20)
        response = put(server, bob, repos[bob.name], "weights.bin", data)
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()

        # Bob's own slow uploads bring this address to its share in every process: now carol,
        # from the same address, waits too.
        slow.stall(server, bob, repos[bob.name], PER_CLIENT - PER_ACCOUNT)
        for refused in answers_of_every_process(server, carol, repos[carol.name], 429, slow):
            assert "address" in refused.body["error"]["message"]

        # They stop sending, and nobody closes anything: the body idle timeout ends them and
        # frees their slots in every process.
        slow.stop()
        answers_of_every_process(server, alice, repos[alice.name], 201)
    finally:
        slow.close()
