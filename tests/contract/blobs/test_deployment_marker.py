"""The blob store's side of the deployment identity, on every driver."""

from __future__ import annotations

import pytest

from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.marker import MARKER_KEY, DriverDeploymentMarker
from weighthouse.domain.errors import StorageError

pytestmark = pytest.mark.contract


def test_a_written_marker_reads_back_and_is_not_a_blob(driver: BlobDriver) -> None:
    marker = DriverDeploymentMarker(driver)
    assert marker.read() is None and not marker.holds_anything()
    marker.write("a" * 32)
    assert marker.read() == "a" * 32 and marker.holds_anything()
    marker.write("b" * 32)  # replaced atomically, never appended
    assert marker.read() == "b" * 32
    assert list(ContentBlobStore(driver).walk()) == []  # gc and fsck never see it


def test_any_blob_makes_the_store_hold_something(driver: BlobDriver) -> None:
    marker = DriverDeploymentMarker(driver)
    ContentBlobStore(driver).put([b"weights"])
    assert marker.holds_anything() and marker.read() is None


def test_an_unfinished_upload_is_not_content(driver: BlobDriver) -> None:
    writer = driver.writer()
    writer.write(b"half")
    try:
        assert not DriverDeploymentMarker(driver).holds_anything()
    finally:
        writer.cancel()


@pytest.mark.parametrize(
    "content", [b"", b"{", b"[]", b'{"format": 2, "deployment_id": "x"}', b"x" * 10_000]
)
def test_a_malformed_marker_is_an_error_not_a_missing_one(
    driver: BlobDriver, content: bytes
) -> None:
    with driver.writer(MARKER_KEY) as writer:
        writer.write(content)
        writer.commit()
    with pytest.raises(StorageError, match="malformed"):
        DriverDeploymentMarker(driver).read()
