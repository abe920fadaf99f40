"""ContentBlobStore's mapping of driver errors onto the domain's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from weighthouse.blobs.content import ContentBlobStore, blob_key
from weighthouse.blobs.errors import BlobDriverError, BlobStorageFullError
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.domain.errors import StorageError, StorageFullError

pytestmark = pytest.mark.unit

DIGEST = "ab" * 32


def test_blob_keys_fan_out_by_the_first_four_hex_digits() -> None:
    assert blob_key(DIGEST) == f"sha256/ab/ab/{DIGEST}"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (BlobStorageFullError("memory", "full"), StorageFullError),
        (BlobDriverError("memory", "broken"), StorageError),
        (OSError("sdk"), StorageError),
    ],
)
def test_driver_failures_become_domain_errors(
    monkeypatch: pytest.MonkeyPatch, raised: Exception, expected: type[StorageError]
) -> None:
    driver = MemoryBlobDriver()
    store = ContentBlobStore(driver)

    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    for method in ("stat", "delete", "check_ready", "sweep_temporaries", "writer"):
        monkeypatch.setattr(driver, method, fail)
    calls: list[Callable[[], object]] = [
        lambda: store.put([b"x"]),
        lambda: store.stat(DIGEST),
        lambda: store.exists(DIGEST),
        lambda: store.delete(DIGEST),
        store.check_ready,
        lambda: store.sweep_temporaries(datetime.now(UTC)),
    ]
    for call in calls:
        with pytest.raises(expected) as caught:
            call()
        assert caught.value.fields["driver"] == "memory"
        if expected is StorageError:
            assert not isinstance(caught.value, StorageFullError)


def test_the_store_wraps_a_bare_driver_once() -> None:
    from weighthouse.blobs.checked import CheckedDriver

    bare = MemoryBlobDriver()
    assert ContentBlobStore(bare).driver.inner is bare
    checked = CheckedDriver(bare)
    assert ContentBlobStore(checked).driver is checked
