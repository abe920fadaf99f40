"""The loads the benchmark puts on a server: one big PUT or GET at a time, timed from the
first byte to the last, and many 4 KiB PUTs or GETs over concurrent keep-alive connections
(``wrk`` with a Lua script that stops after its quota, or a threaded ``http.client`` loader).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from probes import sample_usage
from servers import Server

MB = 1_000_000  # rates are in MB/s = 10^6 bytes per second, as dd and curl print them
READ_BUFFER = 1 << 20  # the download client reads into one reusable buffer of this size
SMALL_SIZE = 4096
TRANSFER_TIMEOUT = 300.0
SMALL_TIMEOUT = 120.0


def warm_file(path: Path) -> None:
    """Read a file once so that it sits in the page cache (dropped on this VM when idle)."""
    buffer = bytearray(READ_BUFFER)
    with open(path, "rb", buffering=0) as file:
        while file.readinto(buffer):
            pass


# --------------------------------------------------------------------------- big transfers


def _request_head(method: str, path: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{key}: {value}" for key, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


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
        "peak_process_rss": usage.peak_process_rss,
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
        "peak_process_rss": usage.peak_process_rss,
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
        "cpu_ms_per_op": usage.cpu_s / answered * 1000,
        "seconds": last - first,
        "p50_ms": p50,
        "p99_ms": p99,
        "peak_rss": usage.peak_rss,
        "peak_process_rss": usage.peak_process_rss,
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
        "cpu_ms_per_op": usage.cpu_s / max(1, len(merged)) * 1000,
        "seconds": elapsed,
        "p50_ms": merged[len(merged) // 2] * 1000,
        "p99_ms": merged[min(len(merged) - 1, int(len(merged) * 0.99))] * 1000,
        "peak_rss": usage.peak_rss,
        "peak_process_rss": usage.peak_process_rss,
        "server_cpu_s": usage.cpu_s,
    }
