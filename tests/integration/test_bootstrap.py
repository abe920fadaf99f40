"""What the first start of a server leaves behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from weighthouse.bootstrap import bootstrap, start
from weighthouse.config import Settings

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
