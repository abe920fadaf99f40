"""The domain's BlobStore contract, for ContentBlobStore on every driver."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from weighthouse.blobs.content import ContentBlobStore, blob_key
from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.hashing import PARALLEL_AFTER
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.domain.errors import (
    BlobMissingError,
    DigestMismatchError,
    InvalidInputError,
    StorageError,
)
from weighthouse.domain.ports import READ_PIECE

pytestmark = pytest.mark.contract

FUTURE = datetime.now(UTC) + timedelta(days=1)
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_GIT_SHA1 = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
# Big enough for the helper-thread path, odd-sized so no chunk boundary lines up.
LARGE = os.urandom(PARALLEL_AFTER * 2 + 12345)


@pytest.fixture
def store(driver: BlobDriver) -> ContentBlobStore:
    return ContentBlobStore(driver)


def chunked(data: bytes, size: int = 100_000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def assert_nothing_stored(store: ContentBlobStore) -> None:
    assert list(store.walk()) == []
    assert store.sweep_temporaries(FUTURE) == 0, "a temporary was left behind"


def read(store: ContentBlobStore, digest: str, offset: int = 0) -> bytes:
    with store.reader(digest) as reader:
        return b"".join(reader.iter_range(offset))


def test_put_then_read_stat_exists_and_verify(store: ContentBlobStore) -> None:
    digest = store.put(chunked(LARGE))
    assert (digest.sha256, digest.size) == (sha256(LARGE), len(LARGE))
    assert (digest.md5, digest.git_sha1) == (None, None)
    assert read(store, digest.sha256) == LARGE
    assert read(store, digest.sha256, 1000) == LARGE[1000:]
    info = store.stat(digest.sha256)
    assert (info.sha256, info.size) == (digest.sha256, len(LARGE))
    assert info.modified_at.tzinfo is not None
    assert store.exists(digest.sha256)
    assert store.verify(digest.sha256)


@pytest.mark.parametrize("data", [b"small", LARGE], ids=["small", "large"])
@pytest.mark.parametrize("size_known", [True, False], ids=["sized", "unsized"])
def test_md5_and_git_sha1_are_correct(
    store: ContentBlobStore, data: bytes, size_known: bool
) -> None:
    size = len(data) if size_known else None
    digest = store.put(chunked(data), size=size, md5=True, git_sha1=True)
    assert digest.sha256 == sha256(data)
    assert digest.md5 == hashlib.md5(data).hexdigest()
    assert digest.git_sha1 == git_sha1(data)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_sha1_matches_git_hash_object(store: ContentBlobStore, tmp_path: Path) -> None:
    data = b"weights\x00and\nnewlines\r\n" * 1000
    (tmp_path / "file").write_bytes(data)
    expected = subprocess.run(
        ["git", "hash-object", "--no-filters", str(tmp_path / "file")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert store.put([data], git_sha1=True).git_sha1 == expected
    assert store.put([data], size=len(data), git_sha1=True).git_sha1 == expected


def test_an_empty_blob(store: ContentBlobStore) -> None:
    digest = store.put([], size=0, md5=True, git_sha1=True)
    assert (digest.sha256, digest.size, digest.git_sha1) == (EMPTY_SHA256, 0, EMPTY_GIT_SHA1)
    assert digest.md5 == hashlib.md5(b"").hexdigest()
    assert read(store, EMPTY_SHA256) == b""
    assert store.put([b"", b""]).sha256 == EMPTY_SHA256
    assert store.verify(EMPTY_SHA256)


def test_identical_content_is_stored_once(store: ContentBlobStore) -> None:
    first = store.put([b"same bytes"])
    second = store.put(chunked(b"same bytes", 3), size=10, sha256=first.sha256)
    assert first == second
    assert [blob.sha256 for blob in store.walk()] == [first.sha256]


def test_storing_again_refreshes_the_modification_time(store: ContentBlobStore) -> None:
    digest = store.put([b"grace period"])
    first = store.stat(digest.sha256).modified_at
    time.sleep(0.05)
    store.put([b"grace period"])
    assert store.stat(digest.sha256).modified_at > first


@pytest.mark.parametrize("declared", [0, 4, 6, 100])
def test_a_wrong_declared_size_stores_nothing(store: ContentBlobStore, declared: int) -> None:
    with pytest.raises(DigestMismatchError) as caught:
        store.put([b"fi", b"ve", b"!"], size=declared)
    assert caught.value.fields["field"] == "size"
    assert_nothing_stored(store)


def test_a_wrong_declared_size_stops_reading_early(store: ContentBlobStore) -> None:
    pulled: list[int] = []

    def oversized() -> Iterator[bytes]:
        for _ in range(100):
            pulled.append(1)
            yield b"x" * 1000

    with pytest.raises(DigestMismatchError):
        store.put(oversized(), size=5000)
    assert len(pulled) == 6
    assert_nothing_stored(store)


@pytest.mark.parametrize("data", [b"small", LARGE], ids=["small", "large"])
def test_a_wrong_declared_sha256_stores_nothing(store: ContentBlobStore, data: bytes) -> None:
    with pytest.raises(DigestMismatchError) as caught:
        store.put(chunked(data), sha256="0" * 64, md5=True, git_sha1=True)
    assert caught.value.fields["field"] == "sha256"
    assert_nothing_stored(store)


def test_a_right_declared_sha256_and_size_pass(store: ContentBlobStore) -> None:
    digest = store.put(chunked(LARGE), size=len(LARGE), sha256=sha256(LARGE), md5=True)
    assert digest.md5 == hashlib.md5(LARGE).hexdigest()


@pytest.mark.parametrize("fail_after", [0, 3, 60], ids=["first", "early", "parallel"])
def test_a_stream_that_raises_stores_nothing(store: ContentBlobStore, fail_after: int) -> None:
    class UploadAbortedError(Exception):
        pass

    def broken() -> Iterator[bytes]:
        for _ in range(fail_after):
            yield os.urandom(100_000)
        raise UploadAbortedError

    with pytest.raises(UploadAbortedError):
        store.put(broken(), md5=True, git_sha1=True)
    assert_nothing_stored(store)


@pytest.mark.parametrize("bad", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "../" + "a" * 61, ""])
def test_malformed_digests_are_invalid_input(store: ContentBlobStore, bad: str) -> None:
    for call in (
        lambda: store.reader(bad),
        lambda: store.stat(bad),
        lambda: store.exists(bad),
        lambda: store.delete(bad),
        lambda: store.verify(bad),
        lambda: store.put([b"x"], sha256=bad),
    ):
        with pytest.raises(InvalidInputError):
            call()
    assert_nothing_stored(store)


def test_a_negative_size_is_invalid_input(store: ContentBlobStore) -> None:
    with pytest.raises(InvalidInputError):
        store.put([b"x"], size=-1)


def test_missing_blobs(store: ContentBlobStore) -> None:
    absent = sha256(b"never stored")
    for call in (
        lambda: store.reader(absent),
        lambda: store.stat(absent),
        lambda: store.verify(absent),
    ):
        with pytest.raises(BlobMissingError) as caught:
            call()
        assert caught.value.fields["sha256"] == absent
    assert not store.exists(absent)
    store.delete(absent)


def test_delete_removes_a_blob(store: ContentBlobStore) -> None:
    digest = store.put([b"garbage"])
    store.delete(digest.sha256)
    store.delete(digest.sha256)
    assert not store.exists(digest.sha256)
    assert_nothing_stored(store)


def test_walk_yields_every_blob_and_skips_foreign_keys(
    store: ContentBlobStore, driver: BlobDriver
) -> None:
    digests = {store.put([bytes([i]) * i]).sha256 for i in range(20)}
    for foreign in ("sha256/ab/cd/not-a-digest", "sha256/00/00/" + "f" * 64, "elsewhere/x"):
        with driver.writer(foreign) as writer:
            writer.write(b"foreign")
            writer.commit()
    blobs = list(store.walk())
    assert {blob.sha256 for blob in blobs} == digests
    assert all(blob.size == len(read(store, blob.sha256)) for blob in blobs)


def test_verify_detects_a_flipped_byte(store: ContentBlobStore, driver: BlobDriver) -> None:
    data = bytearray(LARGE)
    digest = store.put([bytes(data)])
    data[len(data) // 2] ^= 0x01
    with driver.writer(blob_key(digest.sha256)) as writer:
        writer.write(bytes(data))
        writer.commit()
    assert not store.verify(digest.sha256)


def test_verify_detects_corruption_on_disk(store: ContentBlobStore) -> None:
    digest = store.put([b"precious weights" * 1000])
    with store.reader(digest.sha256) as reader:
        local = reader.local_file()
    if local is None:
        pytest.skip("this driver keeps no files")
    with open(local.path, "r+b") as file:
        file.seek(5000)
        byte = file.read(1)
        file.seek(5000)
        file.write(bytes([byte[0] ^ 0x80]))
    assert not store.verify(digest.sha256)


def test_sweep_temporaries_removes_an_abandoned_upload(
    store: ContentBlobStore, driver: BlobDriver
) -> None:
    writer = driver.writer()
    writer.write(b"abandoned")
    assert store.sweep_temporaries(FUTURE) == 1
    writer.cancel()


def test_check_ready(store: ContentBlobStore) -> None:
    store.check_ready()


def test_ranged_reads(store: ContentBlobStore) -> None:
    digest = store.put([LARGE])
    with store.reader(digest.sha256) as reader:
        assert reader.size == len(LARGE)
        assert reader.read_range(0, 10) == LARGE[:10]
        assert reader.read_range(12345, 100_000) == LARGE[12345:112345]
        assert reader.read_range(len(LARGE) - 5, 100) == LARGE[-5:]  # cut at the end
        assert reader.read_range(len(LARGE), 100) == b""
        assert reader.read_range(7, 0) == b""


@pytest.mark.parametrize(("offset", "length"), [(-1, 1), (0, -1), (len(LARGE) + 1, 0)])
def test_ranges_outside_the_blob_are_invalid_input(
    store: ContentBlobStore, offset: int, length: int
) -> None:
    digest = store.put([LARGE])
    with store.reader(digest.sha256) as reader:
        with pytest.raises(InvalidInputError):
            reader.read_range(offset, length)
        with pytest.raises(InvalidInputError):
            list(reader.iter_range(offset, length))


def test_iterating_a_range_yields_pieces_of_at_most_the_piece_size(
    store: ContentBlobStore,
) -> None:
    digest = store.put([LARGE])
    with store.reader(digest.sha256) as reader:
        pieces = list(reader.iter_range(1000, 300_000, piece=65536))
        assert b"".join(pieces) == LARGE[1000:301000]
        assert [len(p) for p in pieces[:-1]] == [65536] * (len(pieces) - 1)
        assert b"".join(reader.iter_range(len(LARGE) - 3)) == LARGE[-3:]
        assert list(reader.iter_range(5, 0)) == []
        assert b"".join(reader.iter_range(0, 10 * len(LARGE))) == LARGE
        with pytest.raises(InvalidInputError):
            list(reader.iter_range(piece=0))
        assert max(len(p) for p in reader.iter_range()) <= READ_PIECE


def test_a_reader_offers_a_local_file_or_none(store: ContentBlobStore) -> None:
    digest = store.put([b"zero copy"])
    with store.reader(digest.sha256) as reader:
        local = reader.local_file()
        url = reader.presigned_url(60)
        with pytest.raises(InvalidInputError):
            reader.presigned_url(0)
    assert url is None or url.startswith(("http://", "https://"))
    if local is not None:
        assert local.size == 9
        assert Path(local.path).is_absolute()
        assert Path(local.path).read_bytes() == b"zero copy"


def test_a_closed_reader_raises_storage_error(store: ContentBlobStore) -> None:
    digest = store.put([b"closed"])
    reader = store.reader(digest.sha256)
    reader.close()
    reader.close()
    with pytest.raises(StorageError):
        reader.read_range(0, 1)


def test_a_blob_shorter_than_it_was_when_opened_is_a_storage_error(
    store: ContentBlobStore,
) -> None:
    digest = store.put([b"precious weights" * 1000])
    with store.reader(digest.sha256) as reader:
        local = reader.local_file()
        if local is None:
            pytest.skip("this driver keeps no files")
        os.truncate(local.path, 100)  # rot on disk while a download runs
        assert reader.read_range(0, 50) == b"precious weights" * 3 + b"pr"
        with pytest.raises(StorageError, match="ended before its size"):
            reader.read_range(0, 16000)


def test_memory_stays_flat_for_a_large_streamed_read(tmp_path: Path) -> None:
    store = ContentBlobStore(LocalBlobDriver(tmp_path))
    size = 64 * 1024 * 1024
    piece = 1 << 20
    digest = store.put(os.urandom(piece) for _ in range(size // piece))
    tracemalloc.start()
    try:
        read = 0
        with store.reader(digest.sha256) as reader:
            for chunk in reader.iter_range():
                read += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == size
    assert peak < 2 * READ_PIECE + 2**20, f"peak {peak / 2**20:.1f} MiB for a 64 MiB read"


def test_memory_stays_flat_for_a_large_streamed_put(tmp_path: Path) -> None:
    store = ContentBlobStore(LocalBlobDriver(tmp_path))
    size = 64 * 1024 * 1024
    chunk = 256 * 1024

    def stream() -> Iterator[bytes]:
        for i in range(size // chunk):
            yield i.to_bytes(8, "big") * (chunk // 8)

    tracemalloc.start()
    try:
        digest = store.put(stream(), md5=True, git_sha1=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.size == size
    assert peak < 6 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 64 MiB upload"


def test_a_provisional_blob_goes_at_once_when_the_catalog_change_fails(
    store: ContentBlobStore,
) -> None:
    with pytest.raises(StorageError), store.provisional(chunked(LARGE)) as digest:
        raise StorageError("catalog database is out of space")
    assert not store.exists(digest.sha256)
    assert_nothing_stored(store)


def test_a_provisional_blob_stays_when_the_change_succeeds_or_fails_otherwise(
    store: ContentBlobStore,
) -> None:
    with store.provisional([b"kept"]) as kept:
        pass
    with pytest.raises(DigestMismatchError), store.provisional([b"kept too"]) as other:
        raise DigestMismatchError("a refusal that may be retried by hash")
    assert store.exists(kept.sha256) and store.exists(other.sha256)


def test_a_provisional_blob_that_another_upload_stored_too_stays(store: ContentBlobStore) -> None:
    earlier = store.put([b"stored before"])
    with pytest.raises(StorageError), store.provisional([b"stored before"]):
        raise StorageError("catalog database is out of space")
    assert store.exists(earlier.sha256)
    with pytest.raises(StorageError), store.provisional([b"stored after"]) as digest:
        store.put([b"stored after"])  # a concurrent upload of the same bytes
        raise StorageError("catalog database is out of space")
    assert read(store, digest.sha256) == b"stored after"
