from __future__ import annotations

import hashlib
import os
import threading

import pytest

from weighthouse.blobs import hashing
from weighthouse.blobs.hashing import PARALLEL_AFTER, StreamHasher

pytestmark = pytest.mark.unit

DATA = os.urandom(PARALLEL_AFTER * 3 + 777)


def hash_in(chunk_size: int, **options: object) -> hashing.StreamDigests:
    with StreamHasher(**options) as hasher:  # type: ignore[arg-type]
        for start in range(0, len(DATA), chunk_size):
            hasher.update(DATA[start : start + chunk_size])
        return hasher.digests()


@pytest.mark.parametrize("chunk_size", [1, 4096, 65_536, 3_000_001, len(DATA)])
def test_digests_match_hashlib_however_the_stream_is_cut(chunk_size: int) -> None:
    data = DATA if chunk_size > 1 else DATA[:5000]
    with StreamHasher(md5=True, git_sha1_size=len(data)) as hasher:
        for start in range(0, len(data), chunk_size):
            hasher.update(data[start : start + chunk_size])
        digests = hasher.digests()
    assert digests.size == len(data)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.git_sha1 == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_only_what_was_asked_is_computed() -> None:
    digests = hash_in(65_536)
    assert (digests.md5, digests.git_sha1) == (None, None)


def test_large_streams_use_helper_threads_and_stop_them() -> None:
    seen: set[str] = set()
    real = hashing._Lane._run

    def spy(lane: hashing._Lane) -> None:
        seen.add(threading.current_thread().name)
        real(lane)

    before = threading.active_count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hashing._Lane, "_run", spy)
        hash_in(65_536, md5=True)
    assert seen == {"weighthouse-hash"}
    assert threading.active_count() == before


def test_without_helpers_a_large_stream_is_hashed_on_the_calling_thread() -> None:
    started: list[object] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hashing._Lane, "__init__", lambda lane, hashes: started.append(lane))
        digests = hash_in(65_536, md5=True, helpers=False)
    assert started == []
    assert digests.sha256 == hashlib.sha256(DATA).hexdigest()
    assert digests.md5 == hashlib.md5(DATA).hexdigest()


def test_closing_early_stops_the_helpers() -> None:
    before = threading.active_count()
    hasher = StreamHasher(md5=True, git_sha1_size=10**9)
    for _ in range(50):
        hasher.update(DATA[: 1024 * 1024])
    hasher.close()
    hasher.close()
    assert threading.active_count() == before


def test_a_helper_failure_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenHash:
        def update(self, data: bytes) -> None:
            raise MemoryError("no room to hash")

        def hexdigest(self) -> str:
            return ""

    hasher = StreamHasher()
    monkeypatch.setattr(hasher, "_groups", [[BrokenHash()]])
    hasher.update(b"x" * (PARALLEL_AFTER + 1))
    for _ in range(10):
        hasher.update(b"x" * 1024 * 1024)  # must not block on a dead helper
    with pytest.raises(MemoryError):
        hasher.digests()
    hasher.close()


def test_git_header() -> None:
    assert hashing.git_blob_header(12) == b"blob 12\0"
