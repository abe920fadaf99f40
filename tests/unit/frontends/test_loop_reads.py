"""Object reads on the event loop (``server.loop_reads``): a GET or HEAD whose caller the
principal cache already knows skips the trip to a worker thread when every read is local, and
answers exactly what the trip would have answered; anything the loop may not wait on still
takes the trip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.unit.frontends.loop_apps import AUTH, count_trips, serve

from weighthouse.frontends.rest import buckets

pytestmark = pytest.mark.unit

OBJECTS = "/api/buckets/admin/b/objects/"


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The object reads that went to a worker thread."""
    return count_trips(monkeypatch, buckets, "read")


@pytest.fixture
def on_loop(tmp_path: Path) -> Iterator[TestClient]:
    yield from serve(tmp_path / "on" / "data", server={"loop_reads": True})


@pytest.fixture
def off_loop(tmp_path: Path) -> Iterator[TestClient]:
    yield from serve(tmp_path / "off" / "data", server={"loop_reads": False})


def test_a_remembered_caller_reads_without_the_trip(on_loop: TestClient, trips: list[str]) -> None:
    assert on_loop.app.state.container.loop_reads  # type: ignore[attr-defined]
    assert on_loop.put(OBJECTS + "k", content=b"small", headers=AUTH).status_code == 201
    trips.clear()
    first = on_loop.get(OBJECTS + "k", headers=AUTH)  # the cache knew the token from the PUT
    assert first.status_code == 200 and first.content == b"small"
    head = on_loop.head(OBJECTS + "k", headers=AUTH)
    assert head.status_code == 200 and head.headers["content-length"] == "5"
    assert on_loop.get(OBJECTS + "missing", headers=AUTH).status_code == 404
    assert trips == []


def test_callers_the_cache_does_not_know_take_the_trip(
    on_loop: TestClient, trips: list[str]
) -> None:
    assert on_loop.put(OBJECTS + "k", content=b"small", headers=AUTH).status_code == 201
    trips.clear()
    # A password is checked by the rate-limited, deliberately slow hash: never on the loop.
    assert on_loop.get(OBJECTS + "k", auth=("admin", "wrong")).status_code == 401
    # An unknown token needs the catalog's token rows, read by the authenticator.
    assert on_loop.get(OBJECTS + "k", headers={"Authorization": "Bearer wh_x"}).status_code == 401
    assert trips == ["read", "read"]


def test_a_body_over_the_loop_limit_answers_the_same_on_and_off_the_loop(
    on_loop: TestClient, off_loop: TestClient, trips: list[str]
) -> None:
    body = bytes(range(256)) * (buckets.LOOP_READ_MAX // 256 + 1)
    for test_client in (on_loop, off_loop):
        assert test_client.put(OBJECTS + "big", content=body, headers=AUTH).status_code == 201
    trips.clear()
    loop = on_loop.get(OBJECTS + "big", headers=AUTH)
    assert trips == []
    thread = off_loop.get(OBJECTS + "big", headers=AUTH)
    assert trips == ["read"]
    assert loop.content == thread.content == body
    ranged = on_loop.get(OBJECTS + "big", headers={**AUTH, "Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == body[10:20]


def test_turned_off_every_read_takes_the_trip(off_loop: TestClient, trips: list[str]) -> None:
    assert not off_loop.app.state.container.loop_reads  # type: ignore[attr-defined]
    assert off_loop.put(OBJECTS + "k", content=b"small", headers=AUTH).status_code == 201
    trips.clear()
    assert off_loop.get(OBJECTS + "k", headers=AUTH).content == b"small"
    assert off_loop.head(OBJECTS + "k", headers=AUTH).status_code == 200
    assert trips == ["read", "read"]
