"""The durability test on the Redis engine: jobs dispatched through dramatiq and a Redis of the
test's own, with kill -9 of a worker, of Redis (started again empty, so every message it held
is lost) and of the server while jobs are queued and running, and jobs submitted while Redis
is down. Every job still ends exactly once, succeeded, with exactly one result commit each."""

from __future__ import annotations

import os
import signal
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

pytestmark = pytest.mark.acceptance

WHILE_DOWN = 5


# One serving process: the kills must land while a job runs, and with two, in two full runs
# of `make test`, they landed when none was ("no job was interrupted"); why is not yet known.
@pytest.mark.server_workers(1)
def test_kill_9_of_redis_worker_and_server_ends_every_job_exactly_once(
    tmp_path: Path, server_workers: int
) -> None:
    with redis_server(tmp_path / "redis") as broker:
        env = {
            **job_env(),
            "WEIGHTHOUSE_JOBS__ENGINE": "redis",
            "WEIGHTHOUSE_JOBS__REDIS_URL": broker.url,
            "WEIGHTHOUSE_JOBS__REDISPATCH_SECONDS": "0.5",
            "WEIGHTHOUSE_JOBS__LEASE_SECONDS": "1",
            "WEIGHTHOUSE_JOBS__CONCURRENCY": "2",
        }
        server = LiveServer(
            data_dir=tmp_path / "data", workers=server_workers, extra_env=env
        ).start()
        try:
            alice = make_user(server)
            with server.client(alice.token) as client:
                out = make_repo(client, alice.name, type="dataset", private=True)

                def submit(n: int) -> str:
                    response = client.post(
                        "/api/jobs",
                        json={
                            "app": "echo",
                            "params": {"text": f"job {n}", "seconds": 0.3},
                            "results": {"type": "dataset", "repo": out},
                        },
                    )
                    assert response.status_code == 201, response.text
                    return str(response.json()["id"])

                with worker_process(server, tmp_path / "worker-1.log") as first_worker:
                    submitted = [submit(n) for n in range(JOBS)]

                    def some_done_and_some_running() -> bool:
                        found = jobs_by_status(client)
                        return len(found.get("succeeded", [])) >= 5 and bool(found.get("running"))

                    wait_until(some_done_and_some_running, 60, "jobs to run")
                    broker.kill()
                    # The catalog takes jobs while the broker is down; their messages are lost.
                    submitted += [submit(JOBS + n) for n in range(WHILE_DOWN)]
                    os.killpg(first_worker.pid, signal.SIGKILL)
                    first_worker.wait(timeout=10)
                    broker.start()
                    wait_until(lambda: jobs_by_status(client).get("running"), 30, "a running job")
            server.kill()
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
        finally:
            server.stop()
