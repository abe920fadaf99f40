"""50 clients race one conditional PUT through the REST API of a live server: exactly one wins.

Each racer connects first and then waits at a barrier, so the requests arrive together; the
bodies are large enough that many uploads overlap, so the early check lets several through and
the catalog's compare-and-swap has to refuse the rest. Runs on every catalog database, and is
parametrised by the number of server processes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer
from tests.services import catalog_database

# One process settles the race among its own threads, two settle it in the catalog alone:
# this file runs against both, on every catalog.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]

RACERS = 50
BODY_BYTES = 256 * 1024

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.integration),
]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(
    backend: str, server_workers: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server on its own database, with as many processes as the suite runs
    (``--server-workers``): ``make test`` races it on one process and on two."""
    folder = tmp_path_factory.mktemp(f"race-{backend}-{server_workers}")
    with catalog_database(backend, folder / "db") as url:
        live = LiveServer(
            data_dir=folder / "data",
            extra_env={
                "WEIGHTHOUSE_DATABASE__URL": url,
                # All racers are one account at one address: lift the per-account and
                # per-address upload shares so the race, not the share, decides.
                "WEIGHTHOUSE_SERVER__TRANSFERS_PER_ACCOUNT": "64",
                "WEIGHTHOUSE_SERVER__TRANSFERS_PER_CLIENT": "64",
            },
            workers=server_workers,
        ).start()
        try:
            yield live
        finally:
            live.stop()


@pytest.fixture(scope="module")
def owner(server: LiveServer) -> Account:
    return make_user(server)


def body(index: int) -> bytes:
    seed = hashlib.sha256(str(index).encode()).digest()
    return (seed * (BODY_BYTES // len(seed) + 1))[:BODY_BYTES]


def race(server: LiveServer, token: str, url: str, headers: dict[str, str]) -> list[httpx.Response]:
    barrier = threading.Barrier(RACERS)

    def put(index: int) -> httpx.Response:
        with server.client(token) as client:
            client.get("/healthz").raise_for_status()  # connected before the start
            barrier.wait(timeout=60)
            return client.put(url, content=body(index), headers=headers)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(put, range(RACERS)))


def check_one_winner(
    server: LiveServer, token: str, url: str, responses: list[httpx.Response]
) -> None:
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 412: RACERS - 1}, [r.text[:200] for r in responses]
    refused = [r.json()["error"] for r in responses if r.status_code == 412]
    assert {e["code"] for e in refused} == {"precondition_failed"}
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    with server.client(token) as client:
        stored = client.get(url)
    assert stored.status_code == 200
    assert stored.content == body(winner)
    assert stored.headers["etag"] == f'"{hashlib.sha256(body(winner)).hexdigest()}"'
    by_check = Counter(e["message"] for e in refused)
    print(f"refusals by message: {dict(by_check)}")


def test_racing_if_none_match_creators_have_exactly_one_winner(
    server: LiveServer, owner: Account
) -> None:
    with server.client(owner.token) as client:
        bucket = make_repo(client, owner.name, type="bucket")
    url = f"/api/buckets/{bucket}/objects/weights/hot.bin"
    responses = race(server, owner.token, url, {"If-None-Match": "*"})
    check_one_winner(server, owner.token, url, responses)


def test_racing_if_match_replacers_have_exactly_one_winner(
    server: LiveServer, owner: Account
) -> None:
    with server.client(owner.token) as client:
        bucket = make_repo(client, owner.name, type="bucket")
        url = f"/api/buckets/{bucket}/objects/weights/hot.bin"
        client.put(url, content=b"the version everyone read").raise_for_status()
        etag = client.head(url).headers["etag"]
    responses = race(server, owner.token, url, {"If-Match": etag})
    check_one_winner(server, owner.token, url, responses)


def test_unconditional_writers_all_succeed(server: LiveServer, owner: Account) -> None:
    """The control: without a precondition the last writer wins and nobody is refused."""
    with server.client(owner.token) as client:
        bucket = make_repo(client, owner.name, type="bucket")
    url = f"/api/buckets/{bucket}/objects/weights/hot.bin"
    responses = race(server, owner.token, url, {})
    assert Counter(r.status_code for r in responses) == {201: RACERS}
    with server.client(owner.token) as client:
        assert client.get(url).content in {body(i) for i in range(RACERS)}
