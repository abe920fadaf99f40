"""The blob store's side of the deployment identity
(:class:`~weighthouse.domain.ports.DeploymentMarker`): a small JSON object at a reserved key.

The key is a constant outside the content-addressed prefix (``sha256/``), so no blob can ever
land on it and no user input ever names it. It is written through the driver like any blob:
to a temporary, flushed, then renamed into place.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, datetime

from weighthouse.blobs.checked import CheckedDriver
from weighthouse.blobs.content import PREFIX
from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError
from weighthouse.domain.errors import StorageError

MARKER_KEY = "meta/deployment"
FORMAT = 1
_MAX_BYTES = 4096

assert not MARKER_KEY.startswith(PREFIX), "the marker must not share the blobs' prefix"


class DriverDeploymentMarker:
    """The deployment marker of the store on ``driver``."""

    def __init__(self, driver: BlobDriver) -> None:
        self._driver = CheckedDriver.wrap(driver)

    def read(self) -> str | None:
        """Raises ``StorageError`` when the store fails or the marker is unreadable (a
        marker that cannot be read is not a missing one)."""
        try:
            with self._driver.reader(MARKER_KEY) as reader:
                raw = reader.read(0, _MAX_BYTES + 1)
        except BlobNotFoundError:
            return None
        except (BlobDriverError, OSError) as exc:
            raise StorageError(
                f"reading the deployment marker {MARKER_KEY} failed: {exc}",
                driver=self._driver.name,
            ) from exc
        content: object = None
        if len(raw) <= _MAX_BYTES:
            with suppress(ValueError):
                content = json.loads(raw.decode("utf-8"))
        if isinstance(content, dict) and content.get("format") == FORMAT:
            deployment_id = content.get("deployment_id")
            if isinstance(deployment_id, str) and deployment_id:
                return deployment_id
        raise StorageError(
            f"the deployment marker {MARKER_KEY} of the blob store is malformed",
            driver=self._driver.name,
        )

    def write(self, deployment_id: str) -> None:
        content = {
            "format": FORMAT,
            "deployment_id": deployment_id,
            "written_at": datetime.now(UTC).isoformat(),
        }
        try:
            with self._driver.writer(MARKER_KEY) as writer:
                writer.write(json.dumps(content).encode("utf-8"))
                writer.commit()
        except BlobDriverError as exc:
            raise StorageError(
                f"writing the deployment marker failed: {exc}", driver=self._driver.name
            ) from exc

    def holds_anything(self) -> bool:
        try:
            return next(iter(self._driver.walk("")), None) is not None
        except BlobDriverError as exc:
            raise StorageError(
                f"listing the blob store failed: {exc}", driver=self._driver.name
            ) from exc
