"""Small object writes from the event loop (``server.loop_writes``): a PUT whose caller the
principal cache already knows, with a body the blob store commits in groups, arriving while
other small writes are in flight, runs its use case on the loop and awaits its commits there,
and answers exactly what the trip to a worker thread would have answered; anything else still
takes the trip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.unit.frontends.loop_apps import ADMIN, AUTH, count_trips, serve

from weighthouse.bootstrap import Container
from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.object_versions import Versioning
from weighthouse.frontends.rest import uploads
from weighthouse.frontends.rest.buckets import bucket_id

pytestmark = pytest.mark.unit

BUCKETS = "/api/buckets/admin/"
OBJECTS = BUCKETS + "b/objects/"
SMALL_MAX = 1024  # the small-blob file's limit in these tests


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The small uploads that went to a worker thread."""
    return count_trips(monkeypatch, uploads, "write")


def client(data_dir: Path, *, loop_writes: bool) -> Iterator[TestClient]:
    yield from serve(
        data_dir,
        ("b", "v"),
        server={"loop_writes": loop_writes},
        blobs={"local": {"small_max": SMALL_MAX}},
    )


@pytest.fixture
def alone(tmp_path: Path) -> Iterator[TestClient]:
    yield from client(tmp_path / "alone" / "data", loop_writes=True)


@pytest.fixture
def on_loop(alone: TestClient) -> TestClient:
    # As if another small write were in flight, always: a PUT with none takes a thread, which
    # leads its own commits sooner than a hand-off to the committer (see the last test).
    alone.app.state.small_writes_in_flight = 1  # type: ignore[attr-defined]
    return alone


@pytest.fixture
def off_loop(tmp_path: Path) -> Iterator[TestClient]:
    yield from client(tmp_path / "off" / "data", loop_writes=False)


def test_a_remembered_callers_small_put_takes_no_trip_and_is_stored(
    on_loop: TestClient, trips: list[str]
) -> None:
    assert on_loop.app.state.container.loop_writes == SMALL_MAX  # type: ignore[attr-defined]
    # Buckets were made with this token: the cache knows it.
    stored = on_loop.put(OBJECTS + "k", content=b"small", headers=AUTH)
    assert stored.status_code == 201, stored.text
    assert trips == []
    assert stored.json()["size"] == 5
    assert on_loop.get(OBJECTS + "k", headers=AUTH).content == b"small"
    # Replaced in place, last writer wins.
    assert on_loop.put(OBJECTS + "k", content=b"other", headers=AUTH).status_code == 201
    assert on_loop.get(OBJECTS + "k", headers=AUTH).content == b"other"
    assert trips == []


def test_on_the_loop_a_put_answers_what_the_trip_answers(
    on_loop: TestClient, off_loop: TestClient, trips: list[str]
) -> None:
    headers = {**AUTH, "Content-Type": "text/plain", "X-Weighthouse-Meta-Owner": "ops"}
    answers = []
    for test_client in (on_loop, off_loop):
        stored = test_client.put(OBJECTS + "a/b.txt", content=b"hello", headers=headers)
        got = test_client.get(OBJECTS + "a/b.txt", headers=AUTH)
        answers.append(
            (
                stored.status_code,
                {k: v for k, v in stored.json().items() if k != "modified_at"},
                got.headers["content-type"],
                got.headers.get("x-weighthouse-meta-owner"),
                got.content,
            )
        )
    assert trips == ["write"]  # the server with the setting off
    assert answers[0] == answers[1]
    assert answers[0][0] == 201 and answers[0][4] == b"hello"


def test_conditional_puts_on_the_loop_are_decided_by_the_catalog(
    on_loop: TestClient, trips: list[str]
) -> None:
    create = {**AUTH, "If-None-Match": "*"}
    assert on_loop.put(OBJECTS + "once", content=b"1", headers=create).status_code == 201
    assert on_loop.put(OBJECTS + "once", content=b"2", headers=create).status_code == 412
    etag = on_loop.head(OBJECTS + "once", headers=AUTH).headers["etag"]
    replace = {**AUTH, "If-Match": etag}
    assert on_loop.put(OBJECTS + "once", content=b"3", headers=replace).status_code == 201
    assert on_loop.put(OBJECTS + "once", content=b"4", headers=replace).status_code == 412
    assert on_loop.get(OBJECTS + "once", headers=AUTH).content == b"3"
    assert trips == []


def test_a_versioned_bucket_keeps_every_version_written_on_the_loop(
    on_loop: TestClient, trips: list[str]
) -> None:
    hub: Container = on_loop.app.state.container  # type: ignore[attr-defined]
    admin = hub.authenticator.authenticate(BearerToken(ADMIN))
    bucket = bucket_id("admin", "v")
    hub.buckets.set_versioning(admin, bucket, Versioning.ENABLED)
    for body in (b"one", b"two"):
        assert on_loop.put(BUCKETS + "v/objects/k", content=body, headers=AUTH).status_code == 201
    assert trips == []
    versions = hub.buckets.list_versions(admin, bucket, prefix="k").versions
    assert len({v.version_id for v in versions}) == 2
    assert on_loop.get(BUCKETS + "v/objects/k", headers=AUTH).content == b"two"


def test_what_the_loop_may_not_wait_on_takes_the_trip(
    on_loop: TestClient, trips: list[str]
) -> None:
    # Over the small-blob limit the blob is a file, whose commit fsyncs: never on the loop.
    big = bytes(range(256)) * (SMALL_MAX // 256 + 1)
    assert on_loop.put(OBJECTS + "big", content=big, headers=AUTH).status_code == 201
    assert on_loop.get(OBJECTS + "big", headers=AUTH).content == big
    # A password is checked by the deliberately slow hash; an unknown token by the catalog's
    # token rows through the authenticator.
    assert on_loop.put(OBJECTS + "p", content=b"x", auth=("admin", "wrong")).status_code == 401
    unknown = {"Authorization": "Bearer wh_x"}
    assert on_loop.put(OBJECTS + "p", content=b"x", headers=unknown).status_code == 401
    assert trips == ["write", "write", "write"]


def test_turned_off_every_small_put_takes_the_trip(off_loop: TestClient, trips: list[str]) -> None:
    assert off_loop.app.state.container.loop_writes == 0  # type: ignore[attr-defined]
    assert off_loop.put(OBJECTS + "k", content=b"small", headers=AUTH).status_code == 201
    assert off_loop.get(OBJECTS + "k", headers=AUTH).content == b"small"
    assert trips == ["write"]


def test_a_put_with_no_other_small_write_in_flight_takes_the_trip(
    alone: TestClient, trips: list[str]
) -> None:
    assert alone.put(OBJECTS + "k", content=b"small", headers=AUTH).status_code == 201
    assert alone.app.state.small_writes_in_flight == 0  # type: ignore[attr-defined]
    assert trips == ["write"]
    alone.app.state.small_writes_in_flight = 1  # type: ignore[attr-defined]
    assert alone.put(OBJECTS + "k", content=b"again", headers=AUTH).status_code == 201
    assert alone.app.state.small_writes_in_flight == 1  # type: ignore[attr-defined]
    assert trips == ["write"]  # the second, with another in flight, on the loop
    assert alone.get(OBJECTS + "k", headers=AUTH).content == b"again"
