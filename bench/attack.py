"""A combined attack on one live server while an honest client works, on 127.0.0.1 only.

    .venv/bin/python bench/attack.py [--seconds 30] [--workers 1]

Starts ``weighthouse serve`` on a free port in a temporary directory, creates an honest user
and an attacking one, then for ``--seconds`` runs at once:

* 64 uploads by the attacker that announce 1 GiB and then send nothing (re-opened when the
  server cuts them);
* 200 slowloris connections sending one header byte a second (re-opened when closed);
* 10 anonymous 100 MiB JSON bodies to ``/api/signup``, streamed, one after another per thread;
* 4 threads guessing the honest account's password at ``/api/signin``, back to back (the
  server verifies the first guesses and refuses the rest with 429 before hashing);

while the honest client times small GETs (``GET /api/models/<repo>``) back to back and, half-way,
uploads 10 MiB. The attacker runs in a process of its own, so the honest client's latencies do
not include waiting for the attacker's threads to give up the GIL; the honest client first runs
the same GETs for ``--seconds`` with no attack, as the peer its figures under attack are read
against on a shared machine. Prints the GET p50/p99 of both phases, the CPU seconds of the
server and the attacker, the upload's status and time, and the server's peak RSS (the process
tree, sampled every 50 ms). Every socket has a timeout; the server is stopped and
the directory removed at the end.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import multiprocessing
import os
import queue
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
import psutil

MiB = 2**20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    token = f"wh_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"
    env = dict(
        os.environ,
        WEIGHTHOUSE_ADMIN__TOKEN=token,
        WEIGHTHOUSE_DATA_DIR=str(root / "data"),
        # Ports of its own beside the REST one: other servers may hold the defaults.
        WEIGHTHOUSE_S3__PORT=str(free_port()),
        WEIGHTHOUSE_GRPC__PORT=str(free_port()),
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "weighthouse",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url, token
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("the server did not start")


def make_account(url: str, admin: str, name: str) -> tuple[str, str]:
    """A user with a write token and a model repo of its own: (token, "name/repo")."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin}"}) as http:
        http.post("/api/users", json={"name": name}).raise_for_status()
        token = http.post("/api/tokens", json={"name": "w", "scope": "write", "user": name}).json()[
            "token"
        ]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
        http.post(
            "/api/repos", json={"type": "model", "namespace": name, "name": "weights"}
        ).raise_for_status()
    return token, f"{name}/weights"


class Attack:
    def __init__(self, url: str, token: str, repo: str, victim: str) -> None:
        self.host, self.port = "127.0.0.1", int(url.rsplit(":", 1)[1])
        self.url, self.token, self.repo, self.victim = url, token, repo, victim
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.guesses: collections.Counter[str] = collections.Counter()
        self._guesses_lock = threading.Lock()

    def start(self) -> None:
        for i in range(64):
            self._spawn(self._stalled_upload, i)
        for _ in range(200):
            self._spawn(self._slowloris)
        for _ in range(10):
            self._spawn(self._big_json)
        for i in range(4):
            self._spawn(self._guess_password, i)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self.threads.append(thread)

    def _connections(self) -> Iterator[socket.socket]:
        while not self.stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            with sock:
                yield sock

    def _stalled_upload(self, i: int) -> None:
        head = (
            f"PUT /api/models/{self.repo}/upload/main/stalled-{i}.bin HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {self.token}\r\nContent-Length: {2**30}\r\n\r\n"
        ).encode()
        for sock in self._connections():
            with contextlib.suppress(OSError):
                sock.sendall(head + b"0" * 1024)
                sock.settimeout(1)
                while not self.stop.is_set():  # hold it until the server lets go
                    with contextlib.suppress(TimeoutError):
                        if not sock.recv(65536):
                            break

    def _slowloris(self) -> None:
        for sock in self._connections():
            with contextlib.suppress(OSError):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                while not self.stop.wait(1):
                    sock.sendall(b"X")

    def _big_json(self) -> None:
        def body() -> Iterator[bytes]:
            yield b'{"name": "'
            piece = b"a" * MiB
            for _ in range(100):
                if self.stop.is_set():
                    return
                yield piece
            yield b'"}'

        while not self.stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(
                    f"{self.url}/api/signup",
                    content=body(),
                    timeout=30,
                    headers={"Content-Type": "application/json"},
                )

    def _guess_password(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                guess = {"name": self.victim, "password": f"guess {i}-{n}"}
                try:
                    answer = str(http.post("/api/signin", json=guess).status_code)
                except httpx.HTTPError:
                    answer = "failed"
                with self._guesses_lock:
                    self.guesses[answer] += 1


def tree_rss(pid: int) -> int:
    """Resident bytes of the server and its workers."""
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])


def sample_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.05):
        with contextlib.suppress(psutil.Error):
            peak[0] = max(peak[0], tree_rss(pid))


def run_attacker(
    url: str,
    token: str,
    repo: str,
    victim: str,
    stop: Event,
    nice: int,
    guesses: Queue[dict[str, int]],
) -> None:
    """The attacker's process: attacks until ``stop`` is set, at ``nice`` priority, then puts
    the count of each answer to its password guesses on ``guesses``."""
    # A real attacker's CPU is on another machine; on this one its threads would otherwise
    # take cores from the server they attack, which measures the machine, not the server.
    os.nice(nice)
    attack = Attack(url, token, repo, victim)
    attack.start()
    stop.wait()
    attack.join()
    guesses.put(dict(attack.guesses))


def honest_client(
    url: str, token: str, repo: str, seconds: float, upload: bool
) -> tuple[list[float], int, tuple[int, float] | None]:
    """Small GETs back to back for ``seconds`` and, with ``upload``, a 10 MiB upload half-way:
    ``(latencies, failures, (upload status, upload seconds))``."""
    latencies: list[float] = []
    failures = 0
    result: tuple[int, float] | None = None
    data = os.urandom(10 * MiB)
    end = time.monotonic() + seconds
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        while time.monotonic() < end:
            started = time.monotonic()
            try:
                ok = http.get(f"/api/models/{repo}").status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.monotonic() - started)
            failures += not ok
            if upload and result is None and time.monotonic() > end - seconds / 2:
                started = time.monotonic()
                response = http.put(
                    f"/api/models/{repo}/upload/main/weights.bin",
                    content=data,
                    headers={"X-Content-SHA256": hashlib.sha256(data).hexdigest()},
                )
                result = (response.status_code, time.monotonic() - started)
    return latencies, failures, result


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its children so far."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--attacker-nice", type=int, default=10, help="0 to compete as equals")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    phases: dict[str, tuple[list[float], int, float, float]] = {}
    upload: tuple[int, float] | None = None
    guesses: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="wh-attack-") as tmp:
        process, url, admin = start_server(Path(tmp), args.workers)
        try:
            honest_token, honest_repo = make_account(url, admin, "honest")
            attacker_token, attacker_repo = make_account(url, admin, "attacker")
            idle_rss = tree_rss(process.pid)
            rss_stop, peak = threading.Event(), [idle_rss]
            threading.Thread(
                target=sample_rss, args=(process.pid, rss_stop, peak), daemon=True
            ).start()
            # The same honest load first without and then with the attack, so the p99 under
            # attack is read against what this machine gives at this moment.
            server_cpu = cpu_seconds(process.pid)
            latencies, failures, _ = honest_client(
                url, honest_token, honest_repo, args.seconds, upload=False
            )
            phases["no attack"] = (latencies, failures, cpu_seconds(process.pid) - server_cpu, 0)
            stop, answers = context.Event(), context.Queue()
            attacker = context.Process(
                target=run_attacker,
                args=(
                    url,
                    attacker_token,
                    attacker_repo,
                    honest_repo.split("/")[0],
                    stop,
                    args.attacker_nice,
                    answers,
                ),
            )
            attacker.start()
            time.sleep(2)  # let its connections open
            server_cpu, attacker_cpu = cpu_seconds(process.pid), cpu_seconds(attacker.pid)
            latencies, failures, upload = honest_client(
                url, honest_token, honest_repo, args.seconds, upload=True
            )
            phases["under attack"] = (
                latencies,
                failures,
                cpu_seconds(process.pid) - server_cpu,
                cpu_seconds(attacker.pid) - attacker_cpu,
            )
            stop.set()
            with contextlib.suppress(queue.Empty):
                guesses = answers.get(timeout=60)
            attacker.join(60)
            if attacker.is_alive():
                attacker.kill()
            rss_stop.set()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
    print(
        "attack (its own process): 64 stalled uploads + 200 slowloris + "
        "10 x 100 MiB anonymous JSON + 4 password guessers, "
        f"{args.seconds:.0f} s a phase, {args.workers} worker(s), "
        f"attacker at nice {args.attacker_nice}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    p99 = {}
    for name, (latencies, failures, server, attacker_cpu) in phases.items():
        cuts = statistics.quantiles(latencies, n=100)
        p99[name] = cuts[98]
        print(
            f"{name:13} honest small GETs: {len(latencies)} ({failures} failed), "
            f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms; "
            f"CPU s: server {server:.1f}, attacker {attacker_cpu:.1f}"
        )
    print(f"p99 under attack / without: {p99['under attack'] / p99['no attack']:.1f}")
    answered = ", ".join(f"{count} x {answer}" for answer, count in sorted(guesses.items()))
    print(f"password guesses: {sum(guesses.values())} ({answered or 'no answers reported'})")
    if upload is not None:
        print(f"honest 10 MiB upload under attack: HTTP {upload[0]} in {upload[1]:.2f} s")
    print(f"server RSS peak: {peak[0] / MiB:.0f} MiB (before the attack: {idle_rss / MiB:.0f} MiB)")


if __name__ == "__main__":
    main()
