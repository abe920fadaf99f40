"""The durability test on the Redis engine: jobs dispatched through dramatiq and a Redis of the
test's own, with kill -9 of a worker, of Redis (started again empty, so every message it held
is lost) and of the server while jobs are queued and running, and jobs submitted while Redis
is down. Every job still ends exactly once, succeeded, with exactly one result commit each.

Each kill waits until the process it kills holds a job it claimed a moment ago, read from the
catalog: the server's own pool (in the command's process, whatever the number of serving
processes) and a worker share the hints, and either may hold none at a given instant. A
worker that has just been started may not have taken any yet, and a job seen running from
outside may be committing its results as the kill lands.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.acceptance.api import make_repo, make_user
from tests.acceptance.live import LiveServer
from tests.acceptance.test_jobs import job_env
from tests.acceptance.test_jobs_durability import (
    JOBS,
    assert_each_job_committed_once,
    jobs_by_status,
    wait_until,
    worker_process,
)
from tests.redis_server import redis_server
from weighthouse.domain.jobs_model import JobQuery, JobStatus
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for

pytestmark = pytest.mark.acceptance

WHILE_DOWN = 5
JOB_SECONDS = 0.3
# A job claimed less than this long ago is still running when a kill sent at once lands: its
# app alone sleeps JOB_SECONDS after the claim, before the results are committed.
FRESH = timedelta(seconds=JOB_SECONDS / 2)


def fresh_jobs_of(catalog: SqlCatalog, pid: int) -> list[str]:
    """The running jobs that process ``pid`` claimed within ``FRESH``. A pool's worker name
    starts with ``<host>:<pid>:``."""
    running = catalog.list_jobs(JobQuery(status=JobStatus.RUNNING, limit=1000))
    now = datetime.now(UTC)
    return [
        job.id
        for job in running
        if job.worker is not None
        and job.worker.split(":")[1] == str(pid)
        and job.started_at is not None
        and now - job.started_at < FRESH
    ]


def kill_while_running(
    catalog: SqlCatalog, pid: int, kill: Callable[[], None], what: str, timeout: float = 60
) -> list[str]:
    """Call ``kill`` as soon as process ``pid`` runs a job it has just claimed; the ids of
    the jobs it was running, each certain to be cut off."""
    deadline = time.monotonic() + timeout
    while not (running := fresh_jobs_of(catalog, pid)):
        assert time.monotonic() < deadline, f"timed out waiting for {what} to run a job"
        time.sleep(0.01)
    kill()
    return running


def wait_for_line(log: Path, text: str, timeout: float = 60) -> None:
    def logged() -> bool:
        return log.exists() and text in log.read_text(errors="replace")

    wait_until(logged, timeout, f"{text!r} in {log.name}")


def test_kill_9_of_redis_worker_and_server_ends_every_job_exactly_once(
    tmp_path: Path, server_workers: int
) -> None:
    catalog_url = f"sqlite:///{tmp_path / 'catalog.db'}"  # read directly to see who holds what
    with redis_server(tmp_path / "redis") as broker:
        env = {
            **job_env(),
            "WEIGHTHOUSE_DATABASE__URL": catalog_url,
            "WEIGHTHOUSE_JOBS__ENGINE": "redis",
            "WEIGHTHOUSE_JOBS__REDIS_URL": broker.url,
            "WEIGHTHOUSE_JOBS__REDISPATCH_SECONDS": "0.5",
            "WEIGHTHOUSE_JOBS__LEASE_SECONDS": "1",
            "WEIGHTHOUSE_JOBS__CONCURRENCY": "2",
        }
        server = LiveServer(
            data_dir=tmp_path / "data", workers=server_workers, extra_env=env
        ).start()
        engine = create_engine_for(catalog_url)
        catalog = SqlCatalog(engine)
        try:
            alice = make_user(server)
            with server.client(alice.token) as client:
                out = make_repo(client, alice.name, type="dataset", private=True)

                def submit(n: int) -> str:
                    response = client.post(
                        "/api/jobs",
                        json={
                            "app": "echo",
                            "params": {"text": f"job {n}", "seconds": JOB_SECONDS},
                            "results": {"type": "dataset", "repo": out},
                        },
                    )
                    assert response.status_code == 201, response.text
                    return str(response.json()["id"])

                first_log = tmp_path / "worker-1.log"
                with worker_process(server, first_log) as first_worker:
                    # Started, the worker takes hints beside the server's pool.
                    wait_for_line(first_log, f":{first_worker.pid}:")
                    submitted = [submit(n) for n in range(JOBS)]

                    def kill_worker() -> None:
                        os.killpg(first_worker.pid, signal.SIGKILL)

                    cut = kill_while_running(catalog, first_worker.pid, kill_worker, "worker 1")
                    first_worker.wait(timeout=10)
                    broker.kill()
                    # The catalog takes jobs while the broker is down; their messages are lost.
                    submitted += [submit(JOBS + n) for n in range(WHILE_DOWN)]
                    broker.start()
                # The server's pool runs jobs again once hints are sent anew.
                assert server.process is not None
                cut += kill_while_running(catalog, server.process.pid, server.kill, "the server")
            server.start()
            with (
                server.client(alice.token) as client,
                worker_process(server, tmp_path / "worker-2.log"),
            ):

                def all_final() -> bool:
                    found = jobs_by_status(client)
                    return not found.get("queued") and not found.get("running")

                wait_until(all_final, 120, "every job to end")
                assert_each_job_committed_once(client, out, submitted)
                # Every job cut off by a kill ran again, and ended once.
                assert all(catalog.get_job(job_id).attempts > 1 for job_id in cut), [
                    (job_id, catalog.get_job(job_id).attempts) for job_id in cut
                ]
        finally:
            server.stop()
            engine.dispose()
