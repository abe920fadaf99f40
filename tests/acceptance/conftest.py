from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.live import LiveServer


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the session; tests create their own repos with unique names."""
    server = LiveServer(data_dir=tmp_path_factory.mktemp("live") / "data").start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of the test's own, for tests that kill or restart it."""
    server = LiveServer(data_dir=tmp_path / "data").start()
    yield server
    server.stop()
