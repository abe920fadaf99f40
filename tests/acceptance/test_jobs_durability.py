"""kill -9 of the server and of a ``weighthouse worker`` while 50 jobs are queued and running:
after a restart every job ends exactly once, succeeded, with exactly one result commit each
and none lost."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.api import make_repo, make_user
from tests.acceptance.live import LiveServer
from tests.acceptance.test_jobs import job_env

# A one-process server runs the job pool in the process that serves requests, so one
# kill -9 ends both: this file runs against one process and two.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]

JOBS = 50


@contextlib.contextmanager
def worker_process(server: LiveServer, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``weighthouse worker`` on the server's settings, in a process group of its own."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "weighthouse", "worker"],
            env=server.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def jobs_by_status(client: httpx.Client) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for job in client.get("/api/jobs", params={"limit": 1000}).json():
        found.setdefault(job["status"], []).append(job)
    return found


def wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_kill_9_of_server_and_worker_ends_every_job_exactly_once(
    tmp_path: Path, server_workers: int
) -> None:
    env = {
        **job_env(),
        "WEIGHTHOUSE_JOBS__LEASE_SECONDS": "1",
        "WEIGHTHOUSE_JOBS__CONCURRENCY": "2",
    }
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers, extra_env=env).start()
    try:
        alice = make_user(server)
        with server.client(alice.token) as client:
            out = make_repo(client, alice.name, type="dataset", private=True)
            with worker_process(server, tmp_path / "worker-1.log") as first_worker:
                submitted = []
                for n in range(JOBS):
                    response = client.post(
                        "/api/jobs",
                        json={
                            "app": "echo",
                            "params": {"text": f"job {n}", "seconds": 0.3},
                            "results": {"type": "dataset", "repo": out},
                        },
                    )
                    assert response.status_code == 201, response.text
                    submitted.append(response.json()["id"])

                def some_done_and_some_running() -> bool:
                    found = jobs_by_status(client)
                    return len(found.get("succeeded", [])) >= 5 and bool(found.get("running"))

                wait_until(some_done_and_some_running, 60, "jobs to run")
                os.killpg(first_worker.pid, signal.SIGKILL)
                first_worker.wait(timeout=10)
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


def assert_each_job_committed_once(client: httpx.Client, out: str, submitted: list[str]) -> None:
    """Every submitted job, and no other, succeeded after more than one attempt for some, with
    exactly one result commit each in the results repo ``out``, holding its own output."""
    jobs = {job["id"]: job for job in client.get("/api/jobs", params={"limit": 1000}).json()}
    assert sorted(jobs) == sorted(submitted)
    assert {job["status"] for job in jobs.values()} == {"succeeded"}, [
        (j["status"], j["error"]) for j in jobs.values() if j["status"] != "succeeded"
    ]
    assert any(job["attempts"] > 1 for job in jobs.values()), "no job was interrupted"
    commits = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/api/datasets/{out}/commits/main", params=params).json()
        commits.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    by_job = {job_id: [c for c in commits if job_id in c["message"]] for job_id in jobs}
    assert {job_id: len(found) for job_id, found in by_job.items()} == dict.fromkeys(jobs, 1)
    assert len(commits) == len(submitted) + 1  # and the repo's first, empty commit
    for job_id, job in jobs.items():
        assert by_job[job_id][0]["id"] == job["result_commit"]
        text = job["output"]["text"]
        file = client.get(f"/api/datasets/{out}/resolve/{job['result_commit']}/{job_id}/0.txt")
        assert file.content == text.encode()
