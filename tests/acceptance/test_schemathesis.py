"""schemathesis, every check (its default), over the whole OpenAPI document of a live server.

The fuzzer runs as the site admin (a bearer token), so every operation is reachable, for a
bounded number of examples per operation with a fixed seed, and must find no server error and
no response that breaks the document (status, content type, headers, body schema, ``Allow``,
authentication). Operations that would revoke or disable the fuzzer's own credentials are
left out (``schemathesis.toml`` beside this file lists them and why). The server's sign-in
limits are raised: thousands of wrong credentials from one address are the point here, and
the limiter's 429 has tests of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 5
RUN_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, server_workers: int
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("fuzzed") / "data"
    unlimited = str(10**9)
    server = LiveServer(
        data_dir=data_dir,
        workers=server_workers,
        extra_env={
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_CLIENT": unlimited,
            "WEIGHTHOUSE_AUTH__SIGNIN_PER_ACCOUNT": unlimited,
        },
    ).start()
    seed(server)
    yield server
    server.stop()


def seed(server: LiveServer) -> None:
    """Some things for the fuzzer to find: a public model with a file, a bucket object."""
    auth = {"Authorization": f"Bearer {server.admin_token}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
        for type_ in ("model", "bucket"):
            body = {"name": "seed", "type": type_, "private": False}
            client.post("/api/repos", json=body).raise_for_status()
        for path in ("models/admin/seed/upload/main/config.json", "buckets/admin/seed/objects/a"):
            client.put(f"/api/{path}", content=b"{}").raise_for_status()


def test_schemathesis_finds_nothing(fuzzed_server: LiveServer, tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    command = [
        str(schemathesis),
        "--config-file",
        str(CONFIG),
        "run",
        f"{fuzzed_server.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {fuzzed_server.admin_token}",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        "20261204",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        # One worker: schemathesis imports parts of itself lazily from its worker threads, and
        # two threads compiling anyio's lazy-import map at once crash CPython 3.11's compiler
        # ("AST constructor recursion depth mismatch"), a failure of the fuzzer, not the server.
        "--workers",
        "1",
        "--no-color",
        "--output-truncate",
        "true",
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
    )
    # The whole report names each failure with a curl line that reproduces it.
    report = done.stdout[-20_000:] + done.stderr[-5_000:]
    assert done.returncode == 0, report
    assert "No issues found" in done.stdout or " passed" in done.stdout, report
