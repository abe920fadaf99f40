"""What a server process imports, and so carries in memory for as long as it runs: a worker
opening a catalog that is already at the newest schema does not import the migration tool, and
none imports the HTTP client used only for job callbacks until one is sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

_OPEN = """
import json, sys
from weighthouse.config_sources import load_settings
from weighthouse.opening import open_deployment
from weighthouse.asgi import create_app
from weighthouse.s3_listener import with_s3
settings = load_settings()
container = open_deployment(settings, adopt=sys.argv[1] == "adopt")
with_s3(create_app(settings, container), container, shared=False)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "mako", "httpx"))))
"""


def _open(data_dir: Path, mode: str) -> list[str]:
    env = {
        **os.environ,
        "WEIGHTHOUSE_DATA_DIR": str(data_dir),
        "WEIGHTHOUSE_ADMIN__TOKEN": "wh_0123456789abcdef_" + "x" * 43,
    }
    done = subprocess.run(
        [sys.executable, "-c", _OPEN, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_only_a_migration_imports_alembic_and_no_server_imports_httpx(tmp_path: Path) -> None:
    first = _open(tmp_path, "adopt")  # a new catalog: there is a migration to run
    assert "alembic" in first
    assert not [m for m in first if m.startswith("httpx")]
    assert _open(tmp_path, "adopt") == []  # serve again: the catalog is already current
    assert _open(tmp_path, "worker") == []  # a worker of `serve --workers N`
