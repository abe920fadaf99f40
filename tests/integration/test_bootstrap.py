"""What the first start of a server leaves behind."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tests.services import catalog_database

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import DatabaseSettings, Settings
from weighthouse.domain.accounts import IssuedToken

pytestmark = pytest.mark.integration


def test_first_start_makes_an_admin_and_a_private_session_key_ring(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    container = bootstrap(settings)
    try:
        issued = start(container)
        assert issued is not None and issued.token.scope.value == "admin"
        assert start(container) is None  # only the first start creates the admin
    finally:
        container.close()
    ring = settings.session_key_file
    assert ring.is_file() and ring.parent == (tmp_path / "data" / "secrets").resolve()
    assert stat.S_IMODE(ring.stat().st_mode) == 0o600
    assert stat.S_IMODE(ring.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_servers_starting_together_on_one_catalog_make_one_admin(
    tmp_path: Path, backend: str
) -> None:
    """Several server processes share a catalog; each runs ``start`` on its first start."""
    with catalog_database(backend, tmp_path / "db") as url:
        settings = Settings(data_dir=tmp_path / "data", database=DatabaseSettings(url=url))
        containers = [bootstrap(settings, migrate=index == 0) for index in range(4)]
        try:
            barrier = threading.Barrier(len(containers))

            def first_start(container: Container) -> IssuedToken | None:
                barrier.wait(timeout=30)
                return start(container)

            with ThreadPoolExecutor(len(containers)) as pool:
                issued = list(pool.map(first_start, containers))
            catalog = containers[0].catalog
            assert len([i for i in issued if i is not None]) == 1
            assert [u.name for u in catalog.list_users()] == ["admin"]
            assert len(catalog.list_events(action="user.create")) == 1
            assert len(catalog.list_tokens(catalog.get_user("admin").id)) == 1
        finally:
            for container in containers:
                container.close()


def test_a_memory_catalog_leaves_no_database_and_forgets_on_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database={"url": "memory:"})
    first = bootstrap(settings)
    try:
        assert start(first) is not None
        assert first.catalog.count_users() == 1
    finally:
        first.close()
    assert not (tmp_path / "data" / "weighthouse.db").exists()
    second = bootstrap(settings)
    try:
        assert second.catalog.count_users() == 0  # nothing survived: a new admin is made
        assert start(second) is not None
    finally:
        second.close()
