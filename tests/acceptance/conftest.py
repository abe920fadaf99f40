from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.live import LiveServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--server-workers",
        type=int,
        default=1,
        help="server processes of every live server in the acceptance tests (default 1)",
    )


@pytest.fixture(scope="session")
def server_workers(pytestconfig: pytest.Config) -> int:
    """How many processes each live server runs: the whole suite passes with one and with two."""
    workers = int(pytestconfig.getoption("--server-workers"))
    if workers < 1:
        raise pytest.UsageError("--server-workers must be at least 1")
    return workers


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, server_workers: int
) -> Iterator[LiveServer]:
    """One server for the session; tests create their own repos with unique names."""
    data_dir = tmp_path_factory.mktemp("live") / "data"
    server = LiveServer(data_dir=data_dir, workers=server_workers).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_server(tmp_path: Path, server_workers: int) -> Iterator[LiveServer]:
    """A server of the test's own, for tests that kill or restart it."""
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers).start()
    yield server
    server.stop()
