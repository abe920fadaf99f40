"""RQ and Celery, each on the local Redis, running the no-op of ``jobs.py`` as those projects
deploy them: RQ's default worker (a fork per job) in ``threads`` worker processes, Celery's
default prefork pool with ``threads`` children. Each task notes how long after its send it
started in a Redis hash, since it runs in another process; the run ends when every job has.

Both are optional: ``pip install rq 'celery[redis]'`` into the bench environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

STARTED = "bench:started"
"""Redis hash: job key -> seconds from send to start."""
QUEUE = "noop"
HERE = Path(__file__).resolve().parent


def _note_start(url: str, sent_at: float, key: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.hset(STARTED, key, time.time() - sent_at)
    client.close()


def rq_noop(url: str, sent_at: float, key: str) -> None:
    """The RQ job: does nothing but note when it started."""
    _note_start(url, sent_at, key)


def _wait_for_all(url: str, jobs: int, timeout: float = 600) -> list[float]:
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while client.hlen(STARTED) < jobs:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {client.hlen(STARTED)} of {jobs} jobs started")
            time.sleep(0.01)
        return [float(v) for v in client.hvals(STARTED)]
    finally:
        client.close()


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def rq_run(jobs: int, processes: int, url: str) -> tuple[float, list[float]]:
    """Seconds from the first send until every job has started (a no-op ends as it starts),
    and each job's wait from its send to its start."""
    import redis
    from rq import Queue

    client = redis.Redis.from_url(url)
    client.flushdb()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "rq.cli", "worker", "--url", url, "--quiet", QUEUE],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    try:
        _wait_for_rq_workers(client, processes)
        queue = Queue(QUEUE, connection=client)
        began = time.monotonic()
        for n in range(jobs):
            queue.enqueue("queue_peers.rq_noop", url, time.time(), str(n), result_ttl=0)
        waits = _wait_for_all(url, jobs)
        elapsed = time.monotonic() - began
    finally:
        _stop(workers)
        client.close()
    return elapsed, waits


def _wait_for_rq_workers(client: object, count: int, timeout: float = 60) -> None:
    from rq import Worker

    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=client)) < count:  # type: ignore[arg-type]
        if time.monotonic() > deadline:
            raise TimeoutError("the RQ workers did not start")
        time.sleep(0.1)


def celery_app(url: str) -> object:
    from celery import Celery

    app = Celery("queue_peers", broker=url)
    app.conf.update(
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )

    @app.task(name="noop", queue=QUEUE)
    def noop(sent_at: float, key: str) -> None:
        _note_start(url, sent_at, key)

    return app


# The worker process imports this module (celery -A queue_peers) and finds the app here.
app = celery_app(os.environ["BENCH_CELERY_URL"]) if "BENCH_CELERY_URL" in os.environ else None


def celery_run(jobs: int, children: int, url: str) -> tuple[float, list[float]]:
    """As :func:`rq_run`, with one Celery worker of ``children`` prefork children."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    sender = celery_app(url)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "queue_peers",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(children),
            "--queues",
            QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "ERROR",
        ],
        env={**_env(), "BENCH_CELERY_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # A probe task: the worker is up once it has run one.
        sender.send_task("noop", args=(time.time(), "probe"), queue=QUEUE)  # type: ignore[attr-defined]
        _wait_for_all(url, 1, timeout=120)
        client.delete(STARTED)
        began = time.monotonic()
        for n in range(jobs):
            sender.send_task("noop", args=(time.time(), str(n)), queue=QUEUE)  # type: ignore[attr-defined]
        waits = _wait_for_all(url, jobs)
        elapsed = time.monotonic() - began
    finally:
        _stop([worker])
        client.close()
    return elapsed, waits
