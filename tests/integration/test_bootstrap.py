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
