"""The small-blob driver's own rules, beyond the driver contract it also passes: which place a
blob lands in, moving between them, the group commit, and never creating its file on a read."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError, BlobStorageFullError
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.small import FILE_NAME, SmallBlobDriver

KEY = "sha256/ab/cd/blob"
LIMIT = 64


@pytest.fixture
def driver(tmp_path: Path) -> SmallBlobDriver:
    local = LocalBlobDriver(tmp_path / "blobs")
    return SmallBlobDriver(local, local.root / FILE_NAME, LIMIT)


def put(driver: SmallBlobDriver, key: str, *pieces: bytes) -> None:
    with driver.writer(key) as writer:
        for piece in pieces:
            writer.write(piece)
        writer.commit()


def read(driver: SmallBlobDriver, key: str) -> bytes:
    with driver.reader(key) as reader:
        return reader.read(0, reader.size)


def rows(driver: SmallBlobDriver) -> dict[str, bytes]:
    with sqlite3.connect(driver.db.path) as connection:
        return dict(connection.execute("SELECT key, data FROM blobs").fetchall())


def file_of(driver: SmallBlobDriver, key: str) -> Path:
    assert isinstance(driver.inner, LocalBlobDriver)
    return driver.inner.path(key)


def test_a_blob_up_to_the_limit_is_a_row_and_one_byte_more_is_a_file(
    driver: SmallBlobDriver,
) -> None:
    put(driver, "a/small", b"x" * LIMIT)
    put(driver, "a/large", b"y" * (LIMIT - 1), b"yy")  # outgrows the buffer on its last write
    assert rows(driver) == {"a/small": b"x" * LIMIT}
    assert not file_of(driver, "a/small").exists()
    assert file_of(driver, "a/large").read_bytes() == b"y" * (LIMIT + 1)
    assert read(driver, "a/small") == b"x" * LIMIT
    assert read(driver, "a/large") == b"y" * (LIMIT + 1)
    with driver.reader("a/small") as reader:
        assert reader.local_path() is None  # no file to send
    with driver.reader("a/large") as reader:
        assert reader.local_path() == str(file_of(driver, "a/large"))


def test_a_key_that_changes_size_reads_its_latest_bytes_and_walks_once(
    driver: SmallBlobDriver,
) -> None:
    put(driver, KEY, b"small")
    put(driver, KEY, b"L" * 100)
    assert rows(driver) == {}  # the large commit removed the row first
    assert read(driver, KEY) == b"L" * 100
    put(driver, KEY, b"small again")
    # The file stays behind the row until the key is deleted; the row is what reads see.
    assert read(driver, KEY) == b"small again"
    assert driver.stat(KEY).size == len(b"small again")
    assert [info.key for info in driver.walk()] == [KEY]
    driver.delete(KEY)
    assert not file_of(driver, KEY).exists() and rows(driver) == {}
    with pytest.raises(BlobNotFoundError):
        driver.stat(KEY)


def test_walk_pages_through_many_rows_in_key_order_within_the_prefix(
    driver: SmallBlobDriver,
) -> None:
    keys = [f"p/{i:04d}" for i in range(1100)]  # more than two pages of the walk
    for key in keys:
        put(driver, key, key.encode())
    put(driver, "q/other", b"other")
    put(driver, "p/zlarge", b"z" * 200)
    walked = [info.key for info in driver.walk("p/")]
    assert walked[:-1] == keys and walked[-1] == "p/zlarge"
    assert [info.key for info in driver.walk("p/00")] == keys[:100]


def test_each_commit_returns_only_once_its_row_is_committed(
    driver: SmallBlobDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Groups of at most four, so most changes wait past a group that does not hold them.
    monkeypatch.setattr(driver.db._leader, "max_group", 4)
    put(driver, "c/first", b"makes the database")
    observer = SmallBlobDriver(LocalBlobDriver(tmp_path / "blobs"), driver.db.path, LIMIT)
    errors: list[BaseException] = []
    start = threading.Barrier(24)

    def client(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                key = f"c/{n}-{i}"
                put(driver, key, key.encode())
                # Read through another connection at once: committed means visible there.
                assert read(observer, key) == key.encode()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(rows(driver)) == 24 * 10 + 1


def test_reads_walks_and_checks_never_create_the_database(driver: SmallBlobDriver) -> None:
    with pytest.raises(BlobNotFoundError):
        driver.reader(KEY)
    with pytest.raises(BlobNotFoundError):
        driver.stat(KEY)
    assert list(driver.walk()) == []
    driver.check_ready()
    driver.delete(KEY)
    assert driver.presigned_url(KEY, expires_in=60) is None
    assert not driver.db.path.exists()
    put(driver, KEY, b"first")
    assert driver.db.path.exists()


def test_a_second_driver_on_the_same_root_sees_the_first_ones_commits(
    driver: SmallBlobDriver, tmp_path: Path
) -> None:
    other = SmallBlobDriver(LocalBlobDriver(tmp_path / "blobs"), driver.db.path, LIMIT)
    assert list(other.walk()) == []  # before the database exists
    put(driver, KEY, b"from the first")
    assert read(other, KEY) == b"from the first"  # a process that started earlier finds it
    put(other, KEY, b"from the second")
    assert read(driver, KEY) == b"from the second"


def test_a_full_disk_is_storage_full_and_the_writer_is_cancelled(
    driver: SmallBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(driver, "a/first", b"first")  # the database exists

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = 13  # type: ignore[attr-defined]

    def refuse(connection: sqlite3.Connection) -> None:
        raise full

    monkeypatch.setattr(driver, "_put_row", lambda *args: driver.db.write(refuse))
    writer = driver.writer(KEY)
    writer.write(b"no room")
    with pytest.raises(BlobStorageFullError):
        writer.commit()
    with pytest.raises(BlobDriverError, match="cancelled"):
        writer.write(b"more")
    monkeypatch.undo()
    assert rows(driver) == {"a/first": b"first"}
    put(driver, KEY, b"room again")  # the group commit recovered from the failed batch
    assert read(driver, KEY) == b"room again"


def test_a_swept_small_writer_fails_its_commit_and_a_spilled_one_is_the_inner_drivers(
    driver: SmallBlobDriver,
) -> None:
    from datetime import UTC, datetime, timedelta

    later = datetime.now(UTC) + timedelta(days=1)
    small = driver.writer("s/small")
    small.write(b"tiny")
    large = driver.writer("s/large")
    large.write(b"L" * 100)
    # One in-memory temporary and one file temporary, each counted once.
    assert driver.sweep_temporaries(later) == 2
    with pytest.raises(BlobDriverError):
        small.commit()
    with pytest.raises(BlobDriverError):
        large.commit()
    assert list(driver.walk()) == []
    assert os.listdir(driver.db.path.parent / "tmp") == []


def test_keys_outside_its_prefix_are_always_files(tmp_path: Path) -> None:
    local = LocalBlobDriver(tmp_path / "blobs")
    driver = SmallBlobDriver(local, local.root / FILE_NAME, LIMIT, under="sha256/")
    put(driver, "meta/marker", b"small but named")
    put(driver, KEY, b"small and content-addressed")
    with driver.writer() as writer:  # the key is learnt at commit
        writer.write(b"tiny")
        writer.commit("meta/later")
    assert (local.root / "meta" / "marker").read_bytes() == b"small but named"
    assert (local.root / "meta" / "later").read_bytes() == b"tiny"
    assert rows(driver) == {KEY: b"small and content-addressed"}
    assert sorted(info.key for info in driver.walk()) == ["meta/later", "meta/marker", KEY]


class PresigningLocalDriver(LocalBlobDriver):
    """The local disk, signing URLs for its files as an object store would."""

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        return f"https://objects.example/{key}?expires={expires_in}"


def test_a_row_is_never_presigned_and_a_file_is_when_the_inner_driver_signs(
    tmp_path: Path,
) -> None:
    local = PresigningLocalDriver(tmp_path / "blobs")
    driver = SmallBlobDriver(local, local.root / FILE_NAME, LIMIT)
    put(driver, "a/small", b"x" * LIMIT)
    put(driver, "a/large", b"y" * (LIMIT + 1))
    # Only the server holds a row's bytes: a URL to the inner driver would find nothing there.
    assert driver.presigned_url("a/small", expires_in=60) is None
    assert driver.presigned_url("a/large", expires_in=60) == (
        "https://objects.example/a/large?expires=60"
    )
