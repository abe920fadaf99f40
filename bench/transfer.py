"""Transfer benchmark: Weighthouse against nginx, back to back, on loopback.

One run starts both servers on free 127.0.0.1 ports inside a temporary directory, then measures:

* 1 GiB upload (Weighthouse: model file upload and bucket object PUT; nginx: WebDAV PUT),
* 1 GiB download (Weighthouse: ``resolve``; nginx: static GET), page cache warmed first,
* the peak RSS of each server process during the big transfers,
* 4 KiB object PUT and GET rates with N concurrent keep-alive clients (``wrk`` when installed,
  otherwise a threaded ``http.client`` loader),

prints a table with Weighthouse/nginx ratios and writes it as JSON to
``bench/results/transfer-<timestamp>.json``. Linux only (``/proc``, ``sendfile``). See
``bench/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MB = 1_000_000  # rates are in MB/s = 10^6 bytes per second, as dd and curl print them
MIB = 1 << 20
WRITE_PIECE = 256 * 1024  # the source file is written in pieces no larger than this
READ_BUFFER = 1 << 20  # the download client reads into one reusable buffer of this size
SMALL_SIZE = 4096
START_TIMEOUT = 60.0
TRANSFER_TIMEOUT = 300.0
SMALL_TIMEOUT = 120.0

# Targets from the project's performance brief: Weighthouse / nginx, and absolute RSS.
TARGETS = {"upload": 0.7, "download": 0.9, "rss_mib": 150.0}

NAMESPACE = "bench"
MODEL = "weights"
BUCKET = "objects"


# --------------------------------------------------------------------------- small helpers


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout:.0f}s")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a process this script started, then kill it if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def warm_file(path: Path) -> None:
    """Read a file once so that it sits in the page cache (dropped on this VM when idle)."""
    buffer = bytearray(READ_BUFFER)
    with open(path, "rb", buffering=0) as file:
        while file.readinto(buffer):
            pass


def make_source(path: Path, size: int) -> str:
    """Random bytes written in pieces of at most 256 KiB; returns their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb", buffering=0) as file:
        left = size
        while left:
            piece = os.urandom(min(WRITE_PIECE, left))
            digest.update(piece)
            view = memoryview(piece)
            while view:
                view = view[file.write(view) :]
            left -= len(piece)
    return digest.hexdigest()


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


# --------------------------------------------------------------------------- RSS and CPU


def _descendants(pid: int) -> list[int]:
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):
                    children = Path(f"/proc/{current}/task/{task}/children").read_text()
                    found.extend(int(child) for child in children.split())
    return found


def _rss_bytes(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in _descendants(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{each}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


@dataclass
class Usage:
    peak_rss: int = 0
    cpu_s: float = 0.0


@contextlib.contextmanager
def sample_usage(pid: int | None, interval: float = 0.02) -> Iterator[Usage]:
    """Sample VmRSS of ``pid`` and its descendants every ``interval`` seconds from a thread;
    the peak and the CPU seconds spent are set on the yielded ``Usage`` when the block ends."""
    usage = Usage()
    if pid is None:
        yield usage
        return
    stop = threading.Event()

    def run() -> None:
        while True:
            total = sum(_rss_bytes(each) for each in _descendants(pid))
            usage.peak_rss = max(usage.peak_rss, total)
            if stop.wait(interval):
                return

    cpu_before = _cpu_seconds(pid)
    thread = threading.Thread(target=run, name="rss-sampler", daemon=True)
    thread.start()
    try:
        yield usage
    finally:
        stop.set()
        thread.join(timeout=5)
        usage.cpu_s = _cpu_seconds(pid) - cpu_before


def idle_rss(pid: int) -> int:
    return sum(_rss_bytes(each) for each in _descendants(pid))


# --------------------------------------------------------------------------- HTTP clients


def _request_head(method: str, path: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def api(
    port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One JSON request; raises on a status of 300 or more."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:500]!r}")
        return json.loads(data) if data else {}
    finally:
        connection.close()


def put_file(
    port: int, path: str, source: Path, size: int, headers: dict[str, str]
) -> tuple[int, bytes, float]:
    """PUT ``source`` with ``sendfile`` (the client costs almost nothing); returns the status,
    the response body and the seconds from the first byte sent to the whole response read."""
    head = _request_head(
        "PUT",
        path,
        port,
        {**headers, "Content-Length": str(size), "Content-Type": "application/octet-stream"},
    )
    with (
        socket.create_connection(("127.0.0.1", port), timeout=TRANSFER_TIMEOUT) as sock,
        open(source, "rb") as file,
    ):
        started = time.perf_counter()
        sock.sendall(head)
        sock.sendfile(file, 0, size)
        response = http.client.HTTPResponse(sock, method="PUT")
        response.begin()
        body = response.read()
        elapsed = time.perf_counter() - started
        response.close()
    return response.status, body, elapsed


def get_discard(
    port: int, path: str, headers: dict[str, str], size: int, *, digest: bool = False
) -> tuple[float, str | None]:
    """GET ``path`` into one reusable buffer; checks the status and the length, and hashes the
    body when asked (untimed passes only). Returns the seconds taken and the SHA-256."""
    buffer = bytearray(READ_BUFFER)
    view = memoryview(buffer)
    hasher = hashlib.sha256() if digest else None
    with socket.create_connection(("127.0.0.1", port), timeout=TRANSFER_TIMEOUT) as sock:
        started = time.perf_counter()
        sock.sendall(_request_head("GET", path, port, headers))
        response = http.client.HTTPResponse(sock, method="GET")
        response.begin()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {response.read(500)!r}")
        received = 0
        while True:
            count = response.readinto(view)
            if not count:
                break
            if hasher is not None:
                hasher.update(view[:count])
            received += count
        elapsed = time.perf_counter() - started
        response.close()
    if received != size:
        raise RuntimeError(f"GET {path}: {received} bytes instead of {size}")
    return elapsed, hasher.hexdigest() if hasher else None


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """What a measurement needs to know about a running server."""

    name: str
    port: int
    pid: int
    headers: dict[str, str]
    upload_paths: dict[str, str]  # label -> path of the 1 GiB PUT
    download_path: str
    small_prefix: str  # 4 KiB objects are PUT and GET at <prefix>k<...>
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        stop_process(self.process)

    def tail_log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-3000:]


def start_weighthouse(workdir: Path, serve_cmd: str | None) -> Server:
    port = free_port()
    data_dir = workdir / "weighthouse-data"
    data_dir.mkdir()
    admin = f"wh_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    env = {
        **os.environ,
        "WEIGHTHOUSE_DATA_DIR": str(data_dir),
        "WEIGHTHOUSE_ADMIN__TOKEN": admin,
        "PYTHONUNBUFFERED": "1",
    }
    if serve_cmd:
        argv = shlex.split(
            serve_cmd.format(python=sys.executable, port=port, data_dir=str(data_dir))
        )
    else:
        argv = [sys.executable, "-m", "weighthouse", "serve", "--port", str(port)]
        argv += ["--data-dir", str(data_dir), "--log-level", "warning"]
    log_path = workdir / "weighthouse.log"
    with log_path.open("ab") as sink:
        process = subprocess.Popen(
            argv, env=env, cwd=workdir, stdout=sink, stderr=subprocess.STDOUT
        )
    server = Server(
        name="weighthouse",
        port=port,
        pid=process.pid,
        headers={},
        upload_paths={},
        download_path="",
        small_prefix="",
        process=process,
        log_path=log_path,
    )
    try:
        _wait_healthy(port, process, START_TIMEOUT)
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
    server.extra = {"command": argv}
    return server


def _wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weighthouse exited early with status {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise RuntimeError(f"weighthouse was not healthy within {timeout:.0f}s")


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
    log_path = workdir / "nginx.log"
    argv = [binary, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")]
    with log_path.open("ab") as sink:
        process = subprocess.Popen(argv, cwd=root, stdout=sink, stderr=subprocess.STDOUT)
    server = Server(
        name="nginx",
        port=port,
        pid=process.pid,
        headers={},
        upload_paths={"dav": "/dav/big.bin"},
        download_path="/dav/big.bin",
        small_prefix="/dav/small/",
        process=process,
        log_path=log_path,
        extra={"command": argv, "config": str(conf)},
    )
    try:
        wait_for_port(port, process, START_TIMEOUT)
    except Exception:
        log(server.tail_log())
        log(
            (root / "error.log").read_text(errors="replace")
            if (root / "error.log").exists()
            else ""
        )
        server.stop()
        raise
    return server


# --------------------------------------------------------------------------- big transfers


def measure_upload(server: Server, label: str, source: Path, size: int) -> dict[str, Any]:
    os.sync()  # start from clean page cache: no earlier write-back competes with this one
    warm_file(source)
    with sample_usage(server.pid) as usage:
        status, body, seconds = put_file(
            server.port, server.upload_paths[label], source, size, server.headers
        )
    if status not in (200, 201, 204):
        raise RuntimeError(f"{server.name} PUT {label}: {status} {body[:500]!r}")
    return {
        "mb_s": size / seconds / MB,
        "seconds": seconds,
        "peak_rss": usage.peak_rss,
        "server_cpu_s": usage.cpu_s,
    }


def measure_download(server: Server, size: int, expected_sha256: str | None) -> dict[str, Any]:
    # One untimed pass warms the page cache on the server side; it also checks the bytes.
    _, digest = get_discard(
        server.port, server.download_path, server.headers, size, digest=expected_sha256 is not None
    )
    if expected_sha256 is not None and digest != expected_sha256:
        raise RuntimeError(f"{server.name}: the downloaded bytes differ from the uploaded ones")
    with sample_usage(server.pid) as usage:
        seconds, _ = get_discard(server.port, server.download_path, server.headers, size)
    return {
        "mb_s": size / seconds / MB,
        "seconds": seconds,
        "peak_rss": usage.peak_rss,
        "server_cpu_s": usage.cpu_s,
    }


# --------------------------------------------------------------------------- small objects

WRK_SCRIPT = r"""
-- Written by bench/transfer.py. Each wrk thread stops after its quota of responses and writes
-- its first-request and last-response times (CLOCK_MONOTONIC) to a marker file, so the rate is
-- computed over exactly the requests made, however long wrk's -d allows.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  mode, quota, keyspace = args[1], tonumber(args[2]), tonumber(args[3])
  prefix, marker = args[4], args[5]
  if args[6] ~= "" then wrk.headers["Authorization"] = args[6] end
  filler = string.rep("x", SMALL_SIZE)
  issued, answered, failures, first, failed = 0, 0, 0, nil, "-"
  -- wrk calls request() once on thread 0's state to check the script before any connection:
  -- answer that call with a request that is neither counted nor timed.
  probing = id == 0
end

function request()
  if probing then
    probing = false
    return wrk.format("GET", prefix .. "probe")
  end
  if first == nil then first = now() end
  local n = issued
  issued = issued + 1
  if mode == "put" then
    local key = string.format("k%d-%d", id, n)
    -- a distinct body per key, so a content-addressed store cannot deduplicate them
    local body = key .. string.sub(filler, #key + 1)
    return wrk.format("PUT", prefix .. key, nil, body)
  end
  return wrk.format("GET", prefix .. string.format("k%d-%d", id, n % keyspace))
end

function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status > 299 then
    failures = failures + 1
    if failed == "-" then failed = tostring(status) .. ":" .. string.sub(body or "", 1, 200) end
  end
  if answered == quota then
    local f = io.open(marker .. "-" .. id, "w")
    f:write(string.format("%.6f %.6f %d %d %s\n", first, now(), answered, failures,
      string.gsub(failed, "%s", "_")))
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format("BENCH p50_us=%d p99_us=%d\n",
    latency:percentile(50), latency:percentile(99)))
end
""".replace("SMALL_SIZE", str(SMALL_SIZE))


def _key(thread: int, n: int) -> str:
    return f"k{thread}-{n}"


def run_wrk(
    binary: str,
    server: Server,
    mode: str,
    ops: int,
    concurrency: int,
    threads: int,
    workdir: Path,
) -> dict[str, Any]:
    script = workdir / "small.lua"
    script.write_text(WRK_SCRIPT)
    marker = workdir / f"wrk-{server.name}-{mode}"
    quota = max(1, ops // threads)
    # GETs cycle over keys whose PUTs were answered long before wrk stopped.
    keyspace = max(1, quota - 4 * concurrency)
    auth = server.headers.get("Authorization", "")
    argv = [
        binary,
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{int(SMALL_TIMEOUT)}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{server.port}{server.small_prefix}",
        "--",
        mode,
        str(quota),
        str(keyspace),
        server.small_prefix,
        str(marker),
        auth,
    ]
    markers = [Path(f"{marker}-{index}") for index in range(threads)]
    for stale in markers:
        stale.unlink(missing_ok=True)
    with sample_usage(server.pid) as usage:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + SMALL_TIMEOUT + 30
        while time.monotonic() < deadline and process.poll() is None:
            if all(m.exists() and m.read_text().endswith("\n") for m in markers):
                process.send_signal(signal.SIGINT)  # ends wrk's -d sleep; it then reports
                break
            time.sleep(0.005)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate(timeout=10)
    text = output.decode(errors="replace")
    rows = [m.read_text().split() for m in markers if m.exists()]
    if len(rows) != threads:
        raise RuntimeError(f"wrk did not finish its {ops} {mode}s:\n{text}")
    first = min(float(row[0]) for row in rows)
    last = max(float(row[1]) for row in rows)
    answered = sum(int(row[2]) for row in rows)
    failures = sum(int(row[3]) for row in rows)
    p50 = p99 = None
    for line in text.splitlines():
        if line.startswith("BENCH "):
            values = dict(item.split("=") for item in line.split()[1:])
            p50, p99 = int(values["p50_us"]) / 1000, int(values["p99_us"]) / 1000
    if failures:
        first_failure = next(row[4] for row in rows if row[4] != "-")
        raise RuntimeError(
            f"{server.name} {mode}: {failures} of {answered} failed, first {first_failure}:\n{text}"
        )
    return {
        "ops": answered,
        "ops_s": answered / (last - first),
        "seconds": last - first,
        "p50_ms": p50,
        "p99_ms": p99,
        "peak_rss": usage.peak_rss,
        "server_cpu_s": usage.cpu_s,
    }


def run_threaded(server: Server, mode: str, ops: int, concurrency: int) -> dict[str, Any]:
    """The fallback loader: ``concurrency`` threads, each with one keep-alive connection."""
    per_client = max(1, ops // concurrency)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors: list[str] = []
    filler = b"x" * SMALL_SIZE
    barrier = threading.Barrier(concurrency + 1, timeout=30)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            connection.connect()
            barrier.wait()
            for n in range(per_client):
                key = _key(index, n)
                started = time.perf_counter()
                if mode == "put":
                    body = key.encode() + filler[len(key) :]
                    connection.request(
                        "PUT", server.small_prefix + key, body=body, headers=server.headers
                    )
                else:
                    connection.request("GET", server.small_prefix + key, headers=server.headers)
                response = connection.getresponse()
                response.read()
                latencies[index].append(time.perf_counter() - started)
                if not 200 <= response.status < 300:
                    errors.append(f"{mode} {key}: {response.status}")
                    return
        except Exception as exc:
            errors.append(f"{mode} client {index}: {exc!r}")
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    with sample_usage(server.pid) as usage:
        for worker in workers:
            worker.start()
        barrier.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join(timeout=SMALL_TIMEOUT)
        elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{server.name}: {errors[:5]}")
    merged = sorted(x for each in latencies for x in each)
    return {
        "ops": len(merged),
        "ops_s": len(merged) / elapsed,
        "seconds": elapsed,
        "p50_ms": merged[len(merged) // 2] * 1000,
        "p99_ms": merged[min(len(merged) - 1, int(len(merged) * 0.99))] * 1000,
        "peak_rss": usage.peak_rss,
        "server_cpu_s": usage.cpu_s,
    }


# --------------------------------------------------------------------------- report


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


Row = tuple[str, float | None, float | None, str, float | None]


def build_rows(summary: dict[str, Any]) -> list[Row]:
    """(metric, weighthouse, nginx, unit, target ratio)."""
    wh = summary.get("weighthouse", {})
    ng = summary.get("nginx", {})
    dav_up = ng.get("upload_dav_mb_s")
    rows: list[Row] = [
        ("upload 1 file, model repo", wh.get("upload_model_mb_s"), dav_up, "MB/s", 0.7),
        ("upload 1 file, bucket (+MD5)", wh.get("upload_bucket_mb_s"), dav_up, "MB/s", 0.7),
        ("download 1 file", wh.get("download_mb_s"), ng.get("download_mb_s"), "MB/s", 0.9),
        ("4 KiB PUT", wh.get("small_put_ops_s"), ng.get("small_put_ops_s"), "ops/s", None),
        ("4 KiB PUT p50", wh.get("small_put_p50_ms"), ng.get("small_put_p50_ms"), "ms", None),
        ("4 KiB GET", wh.get("small_get_ops_s"), ng.get("small_get_ops_s"), "ops/s", None),
        ("4 KiB GET p50", wh.get("small_get_p50_ms"), ng.get("small_get_p50_ms"), "ms", None),
        (
            "peak RSS, upload",
            wh.get("upload_peak_rss_mib"),
            ng.get("upload_peak_rss_mib"),
            "MiB",
            None,
        ),
        (
            "peak RSS, download",
            wh.get("download_peak_rss_mib"),
            ng.get("download_peak_rss_mib"),
            "MiB",
            None,
        ),
        ("idle RSS after setup", wh.get("idle_rss_mib"), ng.get("idle_rss_mib"), "MiB", None),
        (
            "server CPU, model upload",
            wh.get("upload_model_server_cpu_s"),
            ng.get("upload_dav_server_cpu_s"),
            "s",
            None,
        ),
        (
            "server CPU, bucket upload",
            wh.get("upload_bucket_server_cpu_s"),
            ng.get("upload_dav_server_cpu_s"),
            "s",
            None,
        ),
        (
            "server CPU, download",
            wh.get("download_server_cpu_s"),
            ng.get("download_server_cpu_s"),
            "s",
            None,
        ),
    ]
    return rows


def print_table(summary: dict[str, Any], size_mib: int) -> None:
    rows = build_rows(summary)
    header = (
        f"{'metric':<30} {'weighthouse':>12} {'nginx':>10}  {'unit':<6} {'WH/nginx':>8}  target"
    )
    print()
    print(f"Transfer benchmark, {size_mib} MiB file, medians of {summary['rounds']} rounds")
    print(header)
    print("-" * len(header))
    for metric, wh, ng, unit, target in rows:
        spec = ",.2f" if unit in ("ms", "s") else ",.0f"
        r = ratio(wh, ng)
        verdict = ""
        if target is not None and r is not None:
            verdict = f">= {target:.1f}  {'ok' if r >= target else 'SHORT'}"
        elif unit == "MiB" and metric.startswith("peak") and wh is not None:
            verdict = f"< {TARGETS['rss_mib']:.0f} MB  " + (
                "ok" if wh * MIB / MB < TARGETS["rss_mib"] else "OVER"
            )
        print(
            f"{metric:<30} {_fmt(wh, spec):>12} {_fmt(ng, spec):>10}  {unit:<6} "
            f"{_fmt(r, '.2f'):>8}  {verdict}"
        )
    print(f"small-object client: {summary['small_client']}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="big file size (1024)")
    parser.add_argument("--small-ops", type=int, default=2000, help="4 KiB ops each way (2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive clients (16)")
    parser.add_argument("--rounds", type=int, default=5, help="big-transfer rounds; medians (5)")
    parser.add_argument("--only", choices=["weighthouse", "nginx"], help="measure one server")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--skip-big", action="store_true", help="skip the big-file transfers")
    parser.add_argument("--skip-small", action="store_true", help="skip the 4 KiB object rates")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="small-object load generator: wrk when installed (auto), or threaded http.client",
    )
    parser.add_argument(
        "--wrk-threads",
        type=int,
        default=1,
        help="wrk threads (1: on a 2-core machine the other core is left to the server)",
    )
    parser.add_argument(
        "--serve-cmd",
        help=(
            "start Weighthouse with this command instead of `python -m weighthouse serve`; "
            "{python}, {port} and {data_dir} are substituted (e.g. to try another ASGI server)"
        ),
    )
    parser.add_argument("--tmp", type=Path, help="parent of the temporary directory")
    parser.add_argument("--label", default="", help="a note stored in the JSON result")
    args = parser.parse_args(argv)
    if args.size_mib < 1 or args.small_ops < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("sizes, counts and rounds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("this benchmark needs Linux (/proc, sendfile)", file=sys.stderr)
        return 2
    want = ["weighthouse", "nginx"] if args.only is None else [args.only]
    nginx_bin = (
        ensure_tool("nginx", ["nginx-light", "nginx"], required=True) if ("nginx" in want) else None
    )
    wrk_bin = None
    if args.client != "python":
        wrk_bin = ensure_tool("wrk", ["wrk"], required=args.client == "wrk")
    small_client = (
        f"wrk ({command_version([wrk_bin, '-v'])}), {args.wrk_threads} thread(s), "
        f"{args.concurrency} connections"
        if wrk_bin
        else f"python http.client, {args.concurrency} threads with keep-alive"
    )

    size = args.size_mib * MIB
    workdir = Path(tempfile.mkdtemp(prefix="weighthouse-bench-", dir=args.tmp))
    servers: dict[str, Server] = {}
    try:
        log(f"temporary directory: {workdir}")
        source = workdir / "big.bin"
        expected = ""
        if not args.skip_big:
            started = time.perf_counter()
            expected = make_source(source, size)
            elapsed = time.perf_counter() - started
            log(f"wrote {args.size_mib} MiB of random bytes in {elapsed:.1f}s")

        if "weighthouse" in want:
            servers["weighthouse"] = start_weighthouse(workdir, args.serve_cmd)
        if "nginx" in want and nginx_bin:
            servers["nginx"] = start_nginx(nginx_bin, workdir)
        idle = {name: idle_rss(server.pid) for name, server in servers.items()}
        log("servers: " + ", ".join(f"{n} on :{s.port} (pid {s.pid})" for n, s in servers.items()))

        samples: dict[str, dict[str, list[dict[str, Any]]]] = {n: {} for n in servers}
        order = list(servers.values())
        for round_index in range(0 if args.skip_big else args.rounds):
            # Alternate which server goes first, so slow drift of the machine evens out.
            ordered = order if round_index % 2 == 0 else order[::-1]
            for server in ordered:
                for label in server.upload_paths:
                    result = measure_upload(server, label, source, size)
                    samples[server.name].setdefault(f"upload_{label}", []).append(result)
                    rate = result["mb_s"]
                    log(f"round {round_index + 1} {server.name} upload {label}: {rate:,.0f} MB/s")
            for server in ordered:
                result = measure_download(server, size, expected if round_index == 0 else None)
                samples[server.name].setdefault("download", []).append(result)
                log(f"round {round_index + 1} {server.name} download: {result['mb_s']:,.0f} MB/s")

        for server in [] if args.skip_small else order:
            for mode in ("put", "get"):
                if wrk_bin:
                    result = run_wrk(
                        wrk_bin,
                        server,
                        mode,
                        args.small_ops,
                        args.concurrency,
                        args.wrk_threads,
                        workdir,
                    )
                else:
                    result = run_threaded(server, mode, args.small_ops, args.concurrency)
                samples[server.name][f"small_{mode}"] = [result]
                log(f"{server.name} 4 KiB {mode}: {result['ops_s']:,.0f} ops/s")

        summary = summarize(samples, idle, args, small_client, servers)
        print_table(summary, args.size_mib)
        path = write_result(summary, samples, args, servers)
        print(f"\nwritten: {path.relative_to(HERE.parent)}")
        return 0
    except Exception:
        for server in servers.values():
            tail = server.tail_log()
            if tail:
                log(f"--- {server.name} log (tail) ---\n{tail}")
        raise
    finally:
        for server in servers.values():
            server.stop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def summarize(
    samples: dict[str, dict[str, list[dict[str, Any]]]],
    idle: dict[str, int],
    args: argparse.Namespace,
    small_client: str,
    servers: dict[str, Server],
) -> dict[str, Any]:
    summary: dict[str, Any] = {"rounds": args.rounds, "small_client": small_client}
    for name, kinds in samples.items():
        out: dict[str, Any] = {"idle_rss_mib": idle[name] / MIB}
        upload_peaks: list[int] = []
        for kind, results in kinds.items():
            if kind.startswith("small_"):
                out[f"{kind}_ops_s"] = results[0]["ops_s"]
                out[f"{kind}_p50_ms"] = results[0]["p50_ms"]
                out[f"{kind}_p99_ms"] = results[0]["p99_ms"]
                continue
            out[f"{kind}_mb_s"] = median([r["mb_s"] for r in results])
            out[f"{kind}_server_cpu_s"] = median([r["server_cpu_s"] for r in results])
            peak = max(r["peak_rss"] for r in results)
            out[f"{kind}_peak_rss_mib"] = peak / MIB
            if kind.startswith("upload"):
                upload_peaks.append(peak)
        if upload_peaks:
            out["upload_peak_rss_mib"] = max(upload_peaks) / MIB
        summary[name] = out
    wh, ng = summary.get("weighthouse"), summary.get("nginx")
    if wh and ng:
        summary["ratios"] = {
            "upload_model": ratio(wh.get("upload_model_mb_s"), ng.get("upload_dav_mb_s")),
            "upload_bucket": ratio(wh.get("upload_bucket_mb_s"), ng.get("upload_dav_mb_s")),
            "download": ratio(wh.get("download_mb_s"), ng.get("download_mb_s")),
            "small_put": ratio(wh.get("small_put_ops_s"), ng.get("small_put_ops_s")),
            "small_get": ratio(wh.get("small_get_ops_s"), ng.get("small_get_ops_s")),
        }
    summary["servers"] = {name: server.extra.get("command") for name, server in servers.items()}
    return summary


def write_result(
    summary: dict[str, Any],
    samples: dict[str, Any],
    args: argparse.Namespace,
    servers: dict[str, Server],
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"transfer-{stamp}.json"
    suffix = 2
    while path.exists():  # two runs within one second
        path = RESULTS / f"transfer-{stamp}-{suffix}.json"
        suffix += 1
    document = {
        "timestamp": stamp,
        "label": args.label,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": {
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "nginx": command_version(["nginx", "-v"]) if "nginx" in servers else None,
            "packages": _package_versions(),
        },
        "summary": summary,
        "targets": TARGETS,
        "samples": samples,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in ("weighthouse", "uvicorn", "uvloop", "httptools", "starlette", "granian"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


if __name__ == "__main__":
    sys.exit(main())
