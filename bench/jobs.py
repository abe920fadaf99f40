"""Job runner throughput and queue latency: Weighthouse's engines against the replaced
system's stack (dramatiq with a Redis broker), and RQ and Celery when installed
(:mod:`queue_peers`), running the same no-op, in one run.

    .venv/bin/python bench/jobs.py [--jobs 500] [--threads 2] [--redis redis://127.0.0.1:6379/15]

For each engine: ``--jobs`` no-op jobs are submitted as fast as one client can, while
``--threads`` worker threads run them; reported are jobs/s from the first submit to the last
end, and p50/p99 of submit-to-start. Weighthouse runs on a SQLite catalog in a temporary
folder (the default deployment), with its worker pool in process, and each job is a real
catalog row: submitted through the permission checks, claimed with a lease, ended by a
compare-and-swap. dramatiq keeps nothing but the Redis message. The Redis database given is
flushed first; the default is 15 so a developer's data in 0 is left alone.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import queue_peers

from weighthouse.apps.contract import AppContext


class Noop:
    name = "noop"
    description = "does nothing"
    inputs: Mapping[str, str] = {}
    parameters_schema: Mapping[str, Any] = {"type": "object"}
    time_limit_seconds = 60.0
    max_attempts = 1

    def run(self, context: AppContext) -> Mapping[str, Any]:
        return {}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def weighthouse_run(
    jobs: int, threads: int, redis_url: str | None = None, isolation: str = "process"
) -> dict[str, float]:
    from weighthouse.bootstrap import bootstrap, create_worker_pool, start
    from weighthouse.config import Settings
    from weighthouse.domain.access import Principal
    from weighthouse.domain.jobs import JobRequest
    from weighthouse.domain.jobs_model import JobQuery, JobStatus
    from weighthouse.domain.model import Scope

    engine: dict[str, Any] = {"engine": "embedded"}
    if redis_url is not None:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        engine = {"engine": "redis", "redis_url": redis_url}
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder),
            jobs={
                "apps": [f"{__name__}:Noop"],
                "concurrency": threads,
                "poll_seconds": 0.01,
                "isolation": isolation,
                **engine,
            },
            admin={"token": f"wh_{uuid.uuid4().hex[:16]}_{uuid.uuid4().hex}"},
        )
        container = bootstrap(settings)
        start(container)
        admin = container.catalog.get_user(settings.admin.name)
        owner = Principal(user=admin, scope=Scope.WRITE)
        pool = create_worker_pool(container)
        pool.start()
        began = time.monotonic()
        for _ in range(jobs):
            container.jobs.submit(owner, JobRequest(app="noop"))
        while True:
            done = container.catalog.count_jobs("noop").get(JobStatus.SUCCEEDED, 0)
            if done == jobs:
                break
            time.sleep(0.01)
        elapsed = time.monotonic() - began
        pool.stop()
        finished = container.catalog.list_jobs(JobQuery(app="noop", limit=jobs))
        latencies = [
            (job.started_at - job.created_at).total_seconds()
            for job in finished
            if job.started_at is not None
        ]
        container.close()
    return {"jobs_per_s": jobs / elapsed, **_latency(latencies)}


def dramatiq_run(jobs: int, threads: int, url: str) -> dict[str, float]:
    import dramatiq
    import redis
    from dramatiq.brokers.redis import RedisBroker

    redis.Redis.from_url(url).flushdb()
    broker = RedisBroker(url=url)
    dramatiq.set_broker(broker)
    started: dict[str, float] = {}
    lock = threading.Lock()

    @dramatiq.actor(broker=broker, queue_name="noop", max_retries=0)
    def noop(sent_at: float, key: str) -> None:
        with lock:
            started[key] = time.time() - sent_at

    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=10)
    worker.start()
    began = time.monotonic()
    for n in range(jobs):
        noop.send(time.time(), str(n))
    while True:
        with lock:
            if len(started) == jobs:
                break
        time.sleep(0.01)
    elapsed = time.monotonic() - began
    worker.stop()
    broker.close()
    return {"jobs_per_s": jobs / elapsed, **_latency(list(started.values()))}


def _latency(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": 1000 * statistics.median(values),
        "p99_ms": 1000 * percentile(values, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    results = {
        "weighthouse embedded": weighthouse_run(args.jobs, args.threads),
        "weighthouse embedded, app threads": weighthouse_run(
            args.jobs, args.threads, isolation="thread"
        ),
        "weighthouse redis": weighthouse_run(args.jobs, args.threads, args.redis),
        "dramatiq + Redis": dramatiq_run(args.jobs, args.threads, args.redis),
    }
    for name, run in (
        ("RQ + Redis", queue_peers.rq_run),
        ("Celery + Redis", queue_peers.celery_run),
    ):
        try:
            elapsed, waits = run(args.jobs, args.threads, args.redis)
        except ImportError as exc:
            print(f"{name}: not measured ({exc}; pip install rq 'celery[redis]')")
            continue
        results[name] = {"jobs_per_s": args.jobs / elapsed, **_latency(waits)}
    base = results["dramatiq + Redis"]["jobs_per_s"]
    print(f"{args.jobs} no-op jobs, {args.threads} worker threads")
    print(f"{'engine':34} {'jobs/s':>8} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for name, figures in results.items():
        print(
            f"{name:34} {figures['jobs_per_s']:8.1f} {figures['jobs_per_s'] / base:6.2f}"
            f" {figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f}"
        )


if __name__ == "__main__":
    main()
