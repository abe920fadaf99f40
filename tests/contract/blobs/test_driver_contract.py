"""The BlobDriver contract, run against every driver."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError, InvalidBlobKeyError

pytestmark = pytest.mark.contract

KEY = "sha256/ab/cd/blob"
FUTURE = datetime.now(UTC) + timedelta(days=1)
PAST = datetime.now(UTC) - timedelta(days=1)


def put(driver: BlobDriver, key: str, data: bytes) -> None:
    with driver.writer(key) as writer:
        writer.write(data)
        writer.commit()


def read(driver: BlobDriver, key: str, offset: int = 0) -> bytes:
    with driver.reader(key) as reader:
        return reader.read(offset, reader.size)


def keys(driver: BlobDriver, prefix: str = "") -> list[str]:
    return sorted(info.key for info in driver.walk(prefix))


def test_commit_makes_the_bytes_readable(driver: BlobDriver) -> None:
    put(driver, KEY, b"hello world")
    assert read(driver, KEY) == b"hello world"


def test_the_key_may_be_given_at_commit(driver: BlobDriver) -> None:
    with driver.writer() as writer:
        writer.write(b"named late")
        writer.commit(KEY)
    assert read(driver, KEY) == b"named late"


def test_a_commit_key_overrides_the_writer_key(driver: BlobDriver) -> None:
    with driver.writer("first/key") as writer:
        writer.write(b"x")
        writer.commit("second/key")
    assert keys(driver) == ["second/key"]


def test_a_commit_without_any_key_fails_and_stores_nothing(driver: BlobDriver) -> None:
    writer = driver.writer()
    writer.write(b"x")
    with pytest.raises(InvalidBlobKeyError):
        writer.commit()
    assert keys(driver) == []
    assert driver.sweep_temporaries(FUTURE) == 0


def test_large_writes_read_back_whole(driver: BlobDriver) -> None:
    data = bytes(range(256)) * 4100 + b"tail"  # crosses several 256 KiB pieces, unaligned
    with driver.writer(KEY) as writer:
        writer.write(data[:100])
        writer.write(data[100:])
        writer.commit()
    assert read(driver, KEY) == data
    assert driver.stat(KEY).size == len(data)


def test_empty_blob(driver: BlobDriver) -> None:
    put(driver, KEY, b"")
    assert read(driver, KEY) == b""
    assert driver.stat(KEY).size == 0


def test_reads_at_an_offset(driver: BlobDriver) -> None:
    put(driver, KEY, b"0123456789")
    assert read(driver, KEY, 3) == b"3456789"
    assert read(driver, KEY, 10) == b""
    assert read(driver, KEY, 50) == b""
    with driver.reader(KEY) as reader:
        assert (reader.key, reader.size) == (KEY, 10)
        assert reader.read(2, 3) == b"234"
        assert reader.read(8, 100) == b"89"
        assert reader.read(0, 0) == b""
        assert reader.read(4, 1) + reader.read(0, 4) == b"40123"  # no shared position


def test_a_negative_offset_or_length_is_rejected(driver: BlobDriver) -> None:
    put(driver, KEY, b"0123456789")
    with driver.reader(KEY) as reader:
        for offset, length in ((-1, 1), (0, -1)):
            with pytest.raises(ValueError, match="negative"):
                reader.read(offset, length)


def test_a_closed_reader_refuses_reads_and_closing_is_idempotent(driver: BlobDriver) -> None:
    put(driver, KEY, b"0123456789")
    reader = driver.reader(KEY)
    reader.close()
    reader.close()
    with pytest.raises(BlobDriverError):
        reader.read(0, 1)


def test_readers_read_from_many_threads_at_once(driver: BlobDriver) -> None:
    data = bytes(range(256)) * 4096
    put(driver, KEY, data)
    errors: list[str] = []
    with driver.reader(KEY) as reader:

        def check(start: int) -> None:
            for offset in range(start, len(data), 70_001):
                if reader.read(offset, 5000) != data[offset : offset + 5000]:
                    errors.append(f"wrong bytes at {offset}")

        threads = [threading.Thread(target=check, args=(i * 1000,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


def test_a_reader_keeps_its_bytes_when_the_key_is_deleted(driver: BlobDriver) -> None:
    put(driver, KEY, b"still here")
    with driver.reader(KEY) as reader:
        driver.delete(KEY)
        assert reader.read(0, 100) == b"still here"


def test_missing_keys_raise_not_found_with_key_and_driver(driver: BlobDriver) -> None:
    with pytest.raises(BlobNotFoundError) as opened:
        driver.reader(KEY)
    with pytest.raises(BlobNotFoundError) as statted:
        driver.stat(KEY)
    for error in (opened.value, statted.value):
        assert error.key == KEY
        assert error.driver == driver.name


def test_a_directory_of_keys_is_not_a_blob(driver: BlobDriver) -> None:
    put(driver, "dir/child", b"x")
    with pytest.raises(BlobNotFoundError):
        driver.stat("dir")
    with pytest.raises(BlobNotFoundError):
        driver.reader("dir")


def test_nothing_is_visible_before_commit(driver: BlobDriver) -> None:
    with driver.writer(KEY) as writer:
        writer.write(b"pending")
        with pytest.raises(BlobNotFoundError):
            driver.stat(KEY)
        assert keys(driver) == []
        writer.commit()
    assert keys(driver) == [KEY]


def test_cancel_leaves_nothing(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.write(b"abandoned")
    writer.cancel()
    writer.cancel()  # idempotent
    with pytest.raises(BlobNotFoundError):
        driver.stat(KEY)
    assert keys(driver) == []
    assert driver.sweep_temporaries(FUTURE) == 0


def test_cancel_after_commit_is_a_no_op(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.write(b"kept")
    writer.commit()
    writer.cancel()
    assert read(driver, KEY) == b"kept"


def test_a_cancelled_writer_refuses_more_work(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.cancel()
    with pytest.raises(BlobDriverError):
        writer.write(b"late")
    with pytest.raises(BlobDriverError):
        writer.commit()
    assert keys(driver) == []


def test_committing_twice_fails_and_keeps_the_first(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.write(b"once")
    writer.commit()
    with pytest.raises(BlobDriverError):
        writer.write(b"more")
    with pytest.raises(BlobDriverError):
        writer.commit()
    assert read(driver, KEY) == b"once"


def test_the_context_manager_cancels_on_exception(driver: BlobDriver) -> None:
    with pytest.raises(RuntimeError, match="boom"), driver.writer(KEY) as writer:
        writer.write(b"partial")
        raise RuntimeError("boom")
    assert keys(driver) == []
    assert driver.sweep_temporaries(FUTURE) == 0


def test_the_context_manager_cancels_a_forgotten_commit(driver: BlobDriver) -> None:
    with driver.writer(KEY) as writer:
        writer.write(b"forgotten")
    assert keys(driver) == []
    assert driver.sweep_temporaries(FUTURE) == 0


def test_replace_is_atomic_and_open_readers_keep_the_old_bytes(driver: BlobDriver) -> None:
    put(driver, KEY, b"old" * 1000)
    with driver.reader(KEY) as before:
        with driver.writer(KEY) as writer:
            writer.write(b"new" * 2000)
            assert read(driver, KEY) == b"old" * 1000
            writer.commit()
        assert read(driver, KEY) == b"new" * 2000
        assert before.read(0, 10_000) == b"old" * 1000
        assert before.size == 3000
    assert driver.stat(KEY).size == 6000
    assert keys(driver) == [KEY]


def test_concurrent_writers_to_one_key_leave_one_whole_value(driver: BlobDriver) -> None:
    values = [bytes([i]) * 300_000 for i in range(6)]
    threads = [threading.Thread(target=put, args=(driver, KEY, v)) for v in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert read(driver, KEY) in values
    assert driver.sweep_temporaries(FUTURE) == 0


def test_stat_reports_size_and_an_aware_utc_time(driver: BlobDriver) -> None:
    before = datetime.now(UTC) - timedelta(seconds=2)
    put(driver, KEY, b"12345")
    info = driver.stat(KEY)
    assert (info.key, info.size) == (KEY, 5)
    assert info.modified_at.utcoffset() == timedelta(0)
    assert before <= info.modified_at <= datetime.now(UTC) + timedelta(seconds=2)


def test_committing_again_refreshes_the_modification_time(driver: BlobDriver) -> None:
    put(driver, KEY, b"same")
    first = driver.stat(KEY).modified_at
    time.sleep(0.05)
    put(driver, KEY, b"same")
    assert driver.stat(KEY).modified_at > first


def test_delete_is_idempotent(driver: BlobDriver) -> None:
    put(driver, KEY, b"x")
    driver.delete(KEY)
    driver.delete(KEY)
    driver.delete("never/written")
    put(driver, "dir/child", b"y")
    driver.delete("dir")
    assert read(driver, "dir/child") == b"y"
    with pytest.raises(BlobNotFoundError):
        driver.stat(KEY)
    assert keys(driver) == ["dir/child"]


def test_walk_lists_committed_keys_by_string_prefix(driver: BlobDriver) -> None:
    for key in ("sha256/aa/bb/one", "sha256/ab/cd/two", "sha256/ab/ce/three", "other/four"):
        put(driver, key, key.encode())
    assert keys(driver) == [
        "other/four",
        "sha256/aa/bb/one",
        "sha256/ab/cd/two",
        "sha256/ab/ce/three",
    ]
    assert keys(driver, "sha256/") == ["sha256/aa/bb/one", "sha256/ab/cd/two", "sha256/ab/ce/three"]
    assert keys(driver, "sha256/ab/c") == ["sha256/ab/cd/two", "sha256/ab/ce/three"]
    assert keys(driver, "sha256/ab/cd/two") == ["sha256/ab/cd/two"]
    assert keys(driver, "o") == ["other/four"]
    assert keys(driver, "missing/") == []
    sizes = {info.key: info.size for info in driver.walk()}
    assert sizes["other/four"] == len(b"other/four")


def test_walk_never_yields_temporaries(driver: BlobDriver) -> None:
    put(driver, KEY, b"done")
    with driver.writer("sha256/ab/cd/pending") as writer, driver.writer() as anonymous:
        writer.write(b"pending")
        anonymous.write(b"pending")
        assert keys(driver) == [KEY]
        assert keys(driver, "t") == []


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "a/../b",
        "a/..",
        "a..b",
        "/abs",
        "a//b",
        "a/",
        "",
        "Upper",
        "a/B",
        "a\0b",
        "a\\b",
        "./a",
        ".hidden",
        "a/./b",
        "tmp/x",
        "tmp",
        "sp ace",
        "é",
        "x" * 1025,
    ],
)
def test_bad_keys_are_rejected_everywhere(driver: BlobDriver, bad: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: driver.reader(bad),
        lambda: driver.writer(bad),
        lambda: driver.stat(bad),
        lambda: driver.delete(bad),
        lambda: driver.presigned_url(bad, expires_in=60),
    ]
    for call in calls:
        with pytest.raises(InvalidBlobKeyError) as caught:
            call()
        assert caught.value.driver == driver.name
    writer = driver.writer()
    writer.write(b"x")
    with pytest.raises(InvalidBlobKeyError):
        writer.commit(bad)
    assert keys(driver) == []
    assert driver.sweep_temporaries(FUTURE) == 0


@pytest.mark.parametrize("bad", ["../", "/", "//", "a//", "A", "a/../"])
def test_bad_walk_prefixes_are_rejected(driver: BlobDriver, bad: str) -> None:
    with pytest.raises(InvalidBlobKeyError):
        list(driver.walk(bad))


def test_sweep_removes_stale_temporaries_and_their_commit_fails(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.write(b"stalled upload")
    assert driver.sweep_temporaries(PAST) == 0  # still fresh
    assert driver.sweep_temporaries(FUTURE) == 1
    with pytest.raises(BlobDriverError):
        writer.commit()
    writer.cancel()
    with pytest.raises(BlobNotFoundError):
        driver.stat(KEY)
    assert driver.sweep_temporaries(FUTURE) == 0


def test_sweep_leaves_committed_blobs_alone(driver: BlobDriver) -> None:
    put(driver, KEY, b"durable")
    assert driver.sweep_temporaries(FUTURE) == 0
    assert read(driver, KEY) == b"durable"


def test_local_path_is_none_or_the_file_itself(driver: BlobDriver) -> None:
    put(driver, KEY, b"on disk?")
    with driver.reader(KEY) as reader:
        path = reader.local_path()
    if path is not None:
        assert os.path.isabs(path)
        with open(path, "rb") as file:
            assert file.read() == b"on disk?"


def test_presigned_url_is_none_or_a_url(driver: BlobDriver) -> None:
    put(driver, KEY, b"x")
    url = driver.presigned_url(KEY, expires_in=60)
    assert url is None or url.startswith(("http://", "https://"))


def test_check_ready_passes_on_a_working_driver(driver: BlobDriver) -> None:
    driver.check_ready()
    put(driver, KEY, b"x")
    driver.check_ready()


def test_retract_removes_a_blob_only_its_own_commit_created(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.write(b"unwanted")
    assert writer.retract() is False  # nothing committed yet
    writer.commit()
    assert writer.retract() is True
    with pytest.raises(BlobNotFoundError):
        driver.stat(KEY)
    assert writer.retract() is False
    assert keys(driver) == []
    assert driver.sweep_temporaries(FUTURE) == 0


def test_retract_keeps_bytes_that_were_stored_before_the_commit(driver: BlobDriver) -> None:
    put(driver, KEY, b"same bytes")
    writer = driver.writer(KEY)
    writer.write(b"same bytes")
    writer.commit()
    assert writer.retract() is False
    assert read(driver, KEY) == b"same bytes"


def test_retract_keeps_bytes_stored_again_after_the_commit(driver: BlobDriver) -> None:
    writer = driver.writer(KEY)
    writer.write(b"same bytes")
    writer.commit()
    put(driver, KEY, b"same bytes")  # another upload of the same content, whose commit counts
    assert writer.retract() is False
    assert read(driver, KEY) == b"same bytes"
    assert driver.sweep_temporaries(FUTURE) == 0
