"""CheckedDriver turns a sloppy driver into one that keeps the contract's error promises."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from weighthouse.blobs.checked import CheckedDriver
from weighthouse.blobs.driver import BlobInfo, BlobReader, BlobWriter
from weighthouse.blobs.errors import (
    BlobDriverError,
    BlobNotFoundError,
    BlobStorageFullError,
    InvalidBlobKeyError,
)
from weighthouse.blobs.memory import MemoryBlobDriver

pytestmark = pytest.mark.unit


class FakeWriter(BlobWriter):
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.cancelled = 0

    def write(self, data: bytes) -> None:
        raise self.error

    def commit(self, key: str | None = None) -> None:
        raise self.error

    def cancel(self) -> None:
        self.cancelled += 1
        raise RuntimeError("cancel failed too")


class FakeReader(BlobReader):
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.key = "readable"
        self.size = 1

    def read(self, offset: int, length: int) -> bytes:
        raise self.error

    def local_path(self) -> str | None:
        raise self.error

    def close(self) -> None:
        raise RuntimeError("close failed too")


class FakeDriver:
    """A third-party driver that leaks whatever its SDK raises."""

    name = "fake"

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.seen: list[str] = []

    def reader(self, key: str) -> BlobReader:
        self.seen.append(key)
        if key == "readable":
            return FakeReader(self.error)
        raise self.error

    def writer(self, key: str | None = None) -> BlobWriter:
        return FakeWriter(self.error)

    def stat(self, key: str) -> BlobInfo:
        self.seen.append(key)
        raise self.error

    def delete(self, key: str) -> None:
        raise self.error

    def walk(self, prefix: str = "") -> Iterator[BlobInfo]:
        yield BlobInfo("a", 1, datetime.now(UTC))
        raise self.error

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        raise self.error

    def sweep_temporaries(self, older_than: datetime) -> int:
        raise self.error

    def check_ready(self) -> None:
        raise self.error


def every_call(driver: CheckedDriver) -> list[object]:
    return [
        lambda: driver.reader("a"),
        lambda: driver.reader("readable").read(0, 1),
        lambda: driver.reader("readable").local_path(),
        lambda: driver.stat("a"),
        lambda: driver.delete("a"),
        lambda: list(driver.walk("")),
        lambda: driver.presigned_url("a", expires_in=1),
        lambda: driver.sweep_temporaries(datetime.now(UTC)),
        driver.check_ready,
        lambda: driver.writer("a").write(b"x"),
        lambda: driver.writer("a").commit(),
    ]


def test_unknown_errors_become_driver_errors_naming_the_driver() -> None:
    driver = CheckedDriver(FakeDriver(KeyError("sdk internals")))
    for call in every_call(driver):
        with pytest.raises(BlobDriverError) as caught:
            call()  # type: ignore[operator]
        assert type(caught.value) is BlobDriverError
        assert caught.value.driver == "fake"
        assert "KeyError" in caught.value.detail


def test_out_of_space_becomes_storage_full() -> None:
    driver = CheckedDriver(FakeDriver(OSError(errno.ENOSPC, "No space left on device")))
    for call in every_call(driver):
        with pytest.raises(BlobStorageFullError):
            call()  # type: ignore[operator]


def test_a_missing_file_is_not_found_only_where_a_blob_is_read() -> None:
    driver = CheckedDriver(FakeDriver(FileNotFoundError("gone")))
    with pytest.raises(BlobNotFoundError) as caught:
        driver.reader("a")
    assert caught.value.key == "a"
    with pytest.raises(BlobNotFoundError):
        driver.stat("a")
    with pytest.raises(BlobDriverError) as committed:
        driver.writer("a").commit()
    assert not isinstance(committed.value, BlobNotFoundError)


def test_driver_errors_pass_through_unchanged() -> None:
    error = BlobNotFoundError("a", "fake")
    with pytest.raises(BlobNotFoundError) as caught:
        CheckedDriver(FakeDriver(error)).reader("a")
    assert caught.value is error


def test_closing_a_reader_never_raises() -> None:
    reader = CheckedDriver(FakeDriver(KeyError("x"))).reader("readable")
    reader.close()
    reader.close()


def test_bad_keys_never_reach_the_driver() -> None:
    inner = FakeDriver(RuntimeError("must not be called"))
    driver = CheckedDriver(inner)
    for call in (lambda: driver.reader("../etc/passwd"), lambda: driver.stat("/abs")):
        with pytest.raises(InvalidBlobKeyError):
            call()
    assert inner.seen == []


def test_a_failing_cancel_does_not_hide_the_original_error() -> None:
    driver = CheckedDriver(FakeDriver(OSError(errno.EIO, "I/O error")))
    with pytest.raises(BlobDriverError, match="I/O error"), driver.writer("a") as writer:
        writer.write(b"x")


def test_wrap_applies_once() -> None:
    checked = CheckedDriver(MemoryBlobDriver())
    assert CheckedDriver.wrap(checked) is checked
    assert CheckedDriver.wrap(checked.inner) is not checked
    assert checked.name == "memory"


def test_presigned_urls_need_a_positive_lifetime() -> None:
    with pytest.raises(ValueError, match="positive"):
        CheckedDriver(MemoryBlobDriver()).presigned_url("a", expires_in=0)


def test_sweep_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        CheckedDriver(MemoryBlobDriver()).sweep_temporaries(datetime(2024, 1, 1))


def test_a_driver_that_does_not_say_where_its_bytes_are_counts_as_remote() -> None:
    # Written before drivers said it: its reads may wait on a network, so never on a loop.
    assert not hasattr(FakeDriver(OSError()), "local_reads")
    assert CheckedDriver(FakeDriver(OSError())).local_reads is False  # type: ignore[arg-type]
    assert CheckedDriver(MemoryBlobDriver()).local_reads is True
