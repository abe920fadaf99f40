"""Which thread a REST upload's use case runs in: a small body, read whole first, makes its one
trip through the app's executor of small writes; a larger one streams through anyio's threads
under the transfers limiter."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import Settings
from weighthouse.domain.buckets import Buckets
from weighthouse.frontends.rest.app import create_rest_app
from weighthouse.frontends.rest.uploads import SMALL_BODY

pytestmark = pytest.mark.unit

ADMIN = "wh_0123456789abcdef_" + "a" * 43
AUTH = {"Authorization": f"Bearer {ADMIN}"}
OBJECTS = "/api/buckets/admin/b/objects/"


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    # Off: a remembered caller's small PUT would run on the event loop (test_loop_writes.py).
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("uploads"),
        admin={"token": ADMIN},
        server={"loop_writes": False},
    )
    container = bootstrap(settings)
    start(container)
    yield container
    container.close()


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the threads :meth:`Buckets.put` ran in."""
    seen: list[str] = []
    original = Buckets.put

    def spy(self: Buckets, *args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Buckets, "put", spy)
    return seen


def test_a_small_body_takes_the_small_writes_executor(
    container: Container, threads: list[str]
) -> None:
    with TestClient(create_rest_app(container)) as client:
        created = client.post("/api/repos", json={"type": "bucket", "name": "b"}, headers=AUTH)
        assert created.status_code in (201, 409), created.text
        small = client.put(OBJECTS + "small", content=b"s" * 4096, headers=AUTH)
        big = client.put(OBJECTS + "big", content=b"b" * (SMALL_BODY + 1), headers=AUTH)
        assert (small.status_code, big.status_code) == (201, 201), (small.text, big.text)
        assert client.get(OBJECTS + "small", headers=AUTH).content == b"s" * 4096
        refused = client.put(OBJECTS + "small", content=b"t", headers={**AUTH, "If-Match": '"x"'})
        assert refused.status_code == 412, refused.text
    assert threads[0].startswith("weighthouse-write"), threads
    assert not threads[1].startswith("weighthouse-write"), threads
    assert threads[2].startswith("weighthouse-write"), threads
