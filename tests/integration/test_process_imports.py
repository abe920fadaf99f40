"""What a server process imports, and so carries in memory for as long as it runs: none imports
the migration tool, not even the one that migrates a new catalog (a forked child does that);
none imports the HTTP client used only for job callbacks until one is sent, nor the CRCs of
awscrt until an S3 upload asks for one, nor the certificate and cipher library until a secret
is sealed or opened or an object encrypted (a forked child checks the gRPC port's
certificate). The jobs' app processes, started beside a server by its first jobs, carry
neither OpenSSL's hashes nor the installed packages' metadata."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from weighthouse.jobs.isolation import app_path
from weighthouse.jobs.registry import load_apps

pytestmark = pytest.mark.integration

# The packages no server process should carry; what each script prints is those it loaded.
_LOADED = """
def loaded():
    unwanted = ("alembic", "mako", "httpx", "awscrt", "cryptography")
    names = [m for m in sys.modules if m.split(".")[0] in unwanted]
    return sorted(m for m in names if sys.modules[m] is not None)
"""

_OPEN = """
import json, sys
from weighthouse.config_sources import load_settings
from weighthouse.opening import open_deployment
from weighthouse.asgi import create_app
from weighthouse.s3_listener import with_s3
settings = load_settings()
container = open_deployment(settings, adopt=sys.argv[1] == "adopt")
with_s3(create_app(settings, container), container, shared=False)
print(json.dumps(loaded()))
"""

# `weighthouse serve --workers 1` up to the moment it would serve, in the process that serves.
_SERVE = """
import json, sys
import uvicorn

def serving(app, **options):
    print("LOADED " + json.dumps(loaded()))

uvicorn.run = serving
from weighthouse.cli.main import main
sys.argv = ["weighthouse", "serve", "--workers", "1", "--port", sys.argv[1]]
main()
"""


def _environment(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "WEIGHTHOUSE_DATA_DIR": str(data_dir),
        "WEIGHTHOUSE_ADMIN__TOKEN": "wh_0123456789abcdef_" + "x" * 43,
        "WEIGHTHOUSE_S3__PORT": str(_free_port()),
        "WEIGHTHOUSE_GRPC__PORT": str(_free_port()),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _open(data_dir: Path, mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED + _OPEN, mode],
        env=_environment(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_no_server_process_imports_alembic_httpx_awscrt_or_cryptography(tmp_path: Path) -> None:
    assert _open(tmp_path, "adopt") == []  # a new catalog: there is a migration to run
    assert _open(tmp_path, "adopt") == []  # serve again: the catalog is already current
    assert _open(tmp_path, "worker") == []  # a worker of `serve --workers N`


def test_a_one_process_server_on_a_new_catalog_serves_without_alembic_or_cryptography(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED + _SERVE, str(_free_port())],
        env=_environment(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("LOADED ")]
    assert lines, done.stderr
    assert json.loads(lines[-1].removeprefix("LOADED ")) == []
    # The catalog was migrated all the same: a worker, which never migrates, opens it.
    assert _open(tmp_path / "data", "worker") == []


def test_an_app_process_imports_neither_hashlib_nor_the_package_metadata() -> None:
    # What an app process imports before its first job, then what loading the built-in apps
    # adds, by the paths a worker sends it.
    paths = [app_path(app) for app in load_apps(["inspect", "scan"]).values()]
    script = f"""
import json, sys
import weighthouse.jobs.app_process
from weighthouse.jobs.registry import load_apps
load_apps({paths!r})
unwanted = ("hashlib", "_hashlib", "importlib.metadata")
print(json.dumps(sorted(m for m in unwanted if m in sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
