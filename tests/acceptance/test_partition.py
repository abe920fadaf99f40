"""A silent database partition against a live server on PostgreSQL and on MariaDB: a TCP proxy
started here sits between the server and the database, and SIGSTOP pauses it, so the server's
connections stay open while nothing comes back. Requests must fail fast with 503 and
``Retry-After``, ``/readyz`` must say within 2 s that the catalog is the problem, and service
must come back by itself when the proxy resumes. Once the server has seen the database not
answer, its circuit breaker makes the following requests fail at once instead of each waiting
out the timeouts. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.acceptance.api import make_repo, make_user
from tests.acceptance.live import LiveServer, free_port
from tests.services import fresh_database, mariadb_url, postgres_url

STATEMENT_TIMEOUT = 2.0
CONNECT_TIMEOUT = 2.0
POOL_TIMEOUT = 2.0
# A request may wait for a connection from the pool, ping a pooled one, and then try a new one.
REQUEST_BOUND = POOL_TIMEOUT + STATEMENT_TIMEOUT + CONNECT_TIMEOUT + 5.0
READY_BOUND = 2.0
BREAKER_FAILURES = 3
# Longer than the fast requests take, so no half-open probe (which waits) falls among them,
# and longer than a second worker takes to trip its own breaker after the first has tripped.
BREAKER_COOLDOWN = 30.0
FAST_BOUND = 1.0  # a request the breaker refuses; far below any of the timeouts above
WAIT = 60.0


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request: pytest.FixtureRequest) -> str:
    """The server URL of the database behind the proxy."""
    return postgres_url() if request.param == "postgresql" else mariadb_url()


@pytest.fixture
def proxy(database: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    target = make_url(database)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.acceptance.tcp_proxy",
            str(port),
            target.host or "127.0.0.1",
            str(target.port or (5432 if target.get_backend_name() == "postgresql" else 3306)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "ready"
        yield process, port
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture
def server(
    tmp_path: Path, database: str, proxy: tuple[subprocess.Popen[str], int], server_workers: int
) -> Iterator[LiveServer]:
    _, port = proxy
    with fresh_database(database) as url:
        through_proxy = make_url(url).set(host="127.0.0.1", port=port)
        live = LiveServer(
            data_dir=tmp_path / "data",
            workers=server_workers,
            extra_env={
                "WEIGHTHOUSE_DATABASE__URL": through_proxy.render_as_string(hide_password=False),
                "WEIGHTHOUSE_DATABASE__STATEMENT_TIMEOUT_SECONDS": str(STATEMENT_TIMEOUT),
                "WEIGHTHOUSE_DATABASE__CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT),
                "WEIGHTHOUSE_DATABASE__POOL_TIMEOUT_SECONDS": str(POOL_TIMEOUT),
                "WEIGHTHOUSE_DATABASE__BREAKER_FAILURES": str(BREAKER_FAILURES),
                "WEIGHTHOUSE_DATABASE__BREAKER_COOLDOWN_SECONDS": str(BREAKER_COOLDOWN),
            },
        ).start()
        try:
            yield live
        finally:
            live.stop()


def test_a_silent_partition_fails_fast_and_heals_by_itself(
    server: LiveServer, proxy: tuple[subprocess.Popen[str], int], server_workers: int
) -> None:
    alice = make_user(server)
    with server.client(alice.token) as client:
        repo = make_repo(client, alice.name)
    path = f"/api/models/{repo}"

    def get(url: str, timeout: float) -> httpx.Response:
        return httpx.get(
            f"{server.url}{url}",
            headers={"Authorization": f"Bearer {alice.token}"},
            timeout=timeout,
        )

    assert get(path, WAIT).status_code == 200
    process, _ = proxy
    os.kill(process.pid, signal.SIGSTOP)
    try:
        # As many requests at once as the server has threads for catalog calls.
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: get(path, REQUEST_BOUND), range(4)))
        for response in answers:
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            assert response.json()["error"]["code"] == "storage_unavailable"

        # Every worker's breaker opens after its own first timeouts (a few more requests with
        # several workers); from then on requests fail at once.
        fast = 0
        for _ in range(3 * BREAKER_FAILURES * server_workers + 5):
            started = time.monotonic()
            response = get(path, REQUEST_BOUND)
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "1"
            fast = fast + 1 if time.monotonic() - started < FAST_BOUND else 0
            if fast == 5:
                break
        assert fast == 5, "requests kept waiting out the timeouts during the partition"

        ready = httpx.get(f"{server.url}/readyz", timeout=READY_BOUND)
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["catalog"] != "ok"
        assert checks["blobs"] == "ok"
        # The event loop is not held by the stuck database: liveness answers at once.
        assert httpx.get(f"{server.url}/healthz", timeout=READY_BOUND).status_code == 200
    finally:
        os.kill(process.pid, signal.SIGCONT)

    deadline = time.monotonic() + WAIT
    while (response := get(path, REQUEST_BOUND)).status_code != 200:
        assert response.status_code == 503, response.text
        assert time.monotonic() < deadline, "the server did not recover after the partition"
        time.sleep(0.2)
    # Each server process has its own breaker: one that answered first proves nothing of the
    # others, so readiness is awaited too, within the same bound.
    while httpx.get(f"{server.url}/readyz", timeout=READY_BOUND).status_code != 200:
        assert time.monotonic() < deadline, "a server process did not recover after the partition"
        time.sleep(0.2)
