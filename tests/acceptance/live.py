"""A real Weighthouse server in a subprocess on a free loopback port, for acceptance tests.

The server runs with ``workers`` processes (``weighthouse serve --workers``); the suite chooses
the numbers with ``pytest --server-workers 2,1`` (see ``conftest.py``). The server starts in a
process group of its own, and the harness kills only that group: the processes it started and
their workers. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from weighthouse.client.transport import default_tls


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def preset_admin_token() -> str:
    return f"wh_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


@dataclass
class LiveServer:
    data_dir: Path
    admin_token: str = field(default_factory=preset_admin_token)
    port: int = field(default_factory=free_port)
    s3_port: int = field(default_factory=free_port)
    # gRPC is on by default (TLS, with a certificate the server makes in its data folder): a
    # port of its own, so that servers started side by side never meet on 50051.
    grpc_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    preset_admin: bool = True  # False: the server makes the admin's token and prints it
    # The command line to run: ``python -m <module> serve --port … <args>``.
    module: str = "weighthouse"
    args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # The certificate an https S3 port's clients trust (``WEIGHTHOUSE_S3__TLS_CERT``'s).
    cert: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def s3_url(self) -> str:
        scheme = "https" if "WEIGHTHOUSE_S3__TLS_CERT" in self.extra_env else "http"
        return f"{scheme}://127.0.0.1:{self.s3_port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "WEIGHTHOUSE_DATA_DIR": str(self.data_dir),
                "WEIGHTHOUSE_S3__PORT": str(self.s3_port),
                "WEIGHTHOUSE_GRPC__PORT": str(self.grpc_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.preset_admin:
            env["WEIGHTHOUSE_ADMIN__TOKEN"] = self.admin_token
        else:
            env.pop("WEIGHTHOUSE_ADMIN__TOKEN", None)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> LiveServer:
        """Start the server and return once every worker answers requests."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    self.module,
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                    "--log-level",
                    "warning",
                    *self.args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    self._wait_for_every_worker(deadline)
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """SIGKILL to the server and its workers at once: no cleanup runs, as in a crash."""
        if self.process is not None:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)
            self._wait_group_gone()
        self.process = None

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; the supervisor stops its workers. Whatever is left
        of the group after 10 s is killed."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._signal_group(signal.SIGKILL)
                    self.process.wait(timeout=10)
            if not self._wait_group_gone(timeout=10):
                self._signal_group(signal.SIGKILL)
                self._wait_group_gone()
        self.process = None

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the workers, or the server itself with one.

        A worker is a spawned child holding the listening socket of the server's port: the
        supervisor's other spawned children (the processes jobs' apps run in) hold none."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        import psutil

        workers = []
        for child in psutil.Process(self.process.pid).children():
            try:
                if (
                    child.status() != psutil.STATUS_ZOMBIE
                    and "spawn_main" in " ".join(child.cmdline())
                    and any(
                        c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port
                        for c in child.net_connections(kind="tcp")
                    )
                ):
                    workers.append(child.pid)
            except psutil.Error:
                continue  # ended meanwhile
        return workers

    def worker_of(self, client_port: int) -> int:
        """The worker holding the server end of the connection from ``client_port``."""
        found = self.workers_of([client_port])
        if client_port not in found:
            raise LookupError(f"no worker holds the connection from port {client_port}")
        return found[client_port]

    def workers_of(self, client_ports: Collection[int]) -> dict[int, int]:
        """The worker holding the server end of each connection from ``client_ports``, for
        those a worker holds: one look at each worker's connections answers for them all."""
        import psutil

        wanted = set(client_ports)
        found: dict[int, int] = {}
        for pid in self.worker_pids():
            with contextlib.suppress(psutil.Error):
                for conn in psutil.Process(pid).net_connections(kind="tcp"):
                    if conn.raddr and conn.raddr.port in wanted and conn.laddr.port == self.port:
                        found[conn.raddr.port] = pid
        return found

    def _wait_for_every_worker(self, deadline: float) -> None:
        """The first worker answers while the others may still be starting: open connections
        until each worker has answered one (a worker accepts only once it is up)."""
        if self.workers == 1:
            return
        answered: set[int] = set()
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                assert connection.sock is not None
                with contextlib.suppress(LookupError):
                    answered.add(self.worker_of(connection.sock.getsockname()[1]))
            finally:
                connection.close()
            if len(answered) >= self.workers:
                return
            time.sleep(0.05)
        raise RuntimeError(f"only workers {sorted(answered)} answered:\n{self.log()}")

    def _signal_group(self, signum: int) -> None:
        assert self.process is not None
        # The group was made for this server (start_new_session), so it holds nothing else.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def _wait_group_gone(self, timeout: float = 10.0) -> bool:
        """Wait until no process of the server's group is left; True if none is."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.02)
        return False

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, verify=default_tls())
