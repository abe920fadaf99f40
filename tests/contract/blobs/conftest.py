"""Every driver the contract suites run against: each built-in one, bare and wrapped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from weighthouse.blobs.checked import CheckedDriver
from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.blobs.small import SmallBlobDriver


def small(root: Path, max_size: int = 16) -> SmallBlobDriver:
    """The local driver with blobs of up to ``max_size`` bytes in its SQLite file: small enough
    that the suite's larger blobs spill to files, so both places and the move between them
    are exercised."""
    local = LocalBlobDriver(root)
    return SmallBlobDriver(local, local.root / ".small.sqlite3", max_size)


DRIVERS: dict[str, Callable[[Path], BlobDriver]] = {
    "memory": lambda _: MemoryBlobDriver(),
    "local": lambda root: LocalBlobDriver(root),
    "checked-memory": lambda _: CheckedDriver(MemoryBlobDriver()),
    "checked-local": lambda root: CheckedDriver(LocalBlobDriver(root)),
    "small": small,
    "checked-small": lambda root: CheckedDriver(small(root)),
}


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> BlobDriver:
    return DRIVERS[request.param](tmp_path / "blobs")
