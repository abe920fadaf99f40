"""A ``redis-server`` of a test's own, on a free loopback port in a temporary folder, that the
test may kill -9 and start again (the shared Redis on 6379 is never restarted).

It keeps nothing on disk (no RDB snapshots, no append-only file), like a broker in a
container that is redeployed: after a restart it is empty.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.live import free_port
from tests.services import REQUIRE_SERVICES, services_required

BINARY = "redis-server"


class RedisServer:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which(BINARY, path="/usr/bin:/usr/local/bin")
        if binary is None:
            message = f"{BINARY} is not installed"
            if services_required():
                pytest.fail(f"{message} (required by {REQUIRE_SERVICES}=1)", pytrace=False)
            pytest.skip(message)
        self._binary = binary
        self._folder = folder
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        import redis

        self._folder.mkdir(parents=True, exist_ok=True)
        with (self._folder / "redis.log").open("ab") as log:
            arguments = ["--port", str(self.port), "--bind", "127.0.0.1"]
            arguments += ["--dir", str(self._folder), "--save", "", "--appendonly", "no"]
            self._process = subprocess.Popen(
                [self._binary, *arguments],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.ping()
                    return self
                except redis.ConnectionError:
                    assert self._process.poll() is None, "redis-server exited at start"
                    assert time.monotonic() < deadline, "redis-server did not answer"
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        """kill -9: whatever it held is gone."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder).start()
    try:
        yield server
    finally:
        server.kill()
