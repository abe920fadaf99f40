"""Jobs on a live server with its embedded worker pool, over REST and the worker API routes:
results committed as files, failures with their message, the time limit, cancels of queued
and running jobs, and who may see, cancel and read what."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.acceptance.api import Account, make_repo, make_user
from tests.acceptance.live import LiveServer
from tests.job_apps import ALL

# A one-process server runs the job pool in the process that serves requests: this file
# runs against one process and two.
pytestmark = [pytest.mark.acceptance, pytest.mark.server_workers(1, 2)]

FINAL = {"succeeded", "failed", "cancelled"}


def job_env() -> dict[str, str]:
    return {
        "WEIGHTHOUSE_JOBS__APPS": json.dumps(ALL),
        "WEIGHTHOUSE_JOBS__POLL_SECONDS": "0.05",
        "WEIGHTHOUSE_JOBS__LEASE_SECONDS": "2",
        "WEIGHTHOUSE_JOBS__BACKOFF_SECONDS": "0.2",
        "WEIGHTHOUSE_JOBS__CANCEL_GRACE_SECONDS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("jobs") / "data"
    live = LiveServer(data_dir=data_dir, workers=server_workers, extra_env=job_env()).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> Account:
    return make_user(server)


@pytest.fixture(scope="module")
def bob(server: LiveServer) -> Account:
    return make_user(server)


def wait_for(client: httpx.Client, job_id: str, statuses: set[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}")
        assert job.status_code == 200, job.text
        if job.json()["status"] in statuses:
            return dict(job.json())
        assert time.monotonic() < deadline, job.json()
        time.sleep(0.05)


def submit(client: httpx.Client, app: str, **body: Any) -> dict:
    response = client.post("/api/jobs", json={"app": app, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_job_commits_its_result_files_and_serves_them(server: LiveServer, alice: Account) -> None:
    with server.client(alice.token) as client:
        out = make_repo(client, alice.name, type="dataset", private=True)
        results = {"type": "dataset", "repo": out}
        job = submit(client, "echo", params={"text": "héllo", "copies": 2}, results=results)
        assert job["status"] == "queued" and job["params"]["seconds"] == 0
        done = wait_for(client, job["id"], FINAL)
        assert done["status"] == "succeeded", done
        assert done["output"] == {"text": "héllo"} and done["log"] == ["echoed 'héllo'"]
        found = client.get(f"/api/jobs/{job['id']}/results").json()
        assert found["commit"] == done["result_commit"]
        assert sorted(found["paths"]) == [f"{job['id']}/0.txt", f"{job['id']}/1.txt"]
        file = client.get(f"/api/datasets/{out}/resolve/{done['result_commit']}/{job['id']}/1.txt")
        assert file.content == "héllo".encode()
        listing = client.get(f"/apps/echo/{job['id']}/result").json()
        assert sorted(listing["paths"]) == sorted(found["paths"])
        served = client.get(
            f"/apps/echo/{job['id']}/result",
            params={"path": f"{job['id']}/0.txt"},
            headers={"Range": "bytes=1-"},
        )
        assert served.status_code == 206 and served.content == "héllo".encode()[1:]
        assert "attachment" in served.headers["content-disposition"]
        logs = client.get(f"/api/jobs/{job['id']}/logs").json()
        assert logs["log"] == ["echoed 'héllo'"]


def test_the_worker_api_routes_report_failures_with_their_message(
    server: LiveServer, alice: Account
) -> None:
    with server.client(alice.token) as client:
        started = client.post(
            "/apps/fail/start",
            json={"experiment_id": "exp-7", "parameters": {"message": "the model does not load"}},
        )
        assert started.status_code == 200, started.text
        tracking_id = started.json()["tracking_id"]
        assert started.json()["experiment_id"] == "exp-7"
        wait_for(client, tracking_id, FINAL)
        status = client.get(f"/apps/fail/{tracking_id}/status").json()
        assert status["tracking_id"] == tracking_id and status["experiment_id"] == "exp-7"
        assert status["log"]["status"] == "ERROR"
        assert status["log"]["errors"] == ["the model does not load"]
        crashed = client.post("/apps/fail/start", json={"parameters": {"crash": True}}).json()
        assert len(crashed["experiment_id"]) == 16
        wait_for(client, crashed["tracking_id"], FINAL)
        status = client.get(f"/apps/fail/{crashed['tracking_id']}/status").json()
        assert status["log"]["errors"] == ["ZeroDivisionError"]
        # Another app's route does not know the job.
        assert client.get(f"/apps/echo/{tracking_id}/status").status_code == 404
        queues = client.get("/apps/fail/qsizes").json()
        assert queues == {"queues": {"fail": {"name": "fail", "size": 0}}}
        monitor = client.get("/apps/fail/monitor").json()
        assert monitor["jobs"]["failed"] >= 2
        missing = client.get("/apps/nope/qsizes")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "app_not_found")
        bad = client.post("/apps/echo/start", json={"parameters": {"text": 1}})
        assert bad.status_code == 400 and "type string" in bad.json()["error"]["message"]


def test_cancel_stops_a_running_job_and_a_queued_one_never_starts(
    server: LiveServer, alice: Account
) -> None:
    with server.client(alice.token) as client:
        running = submit(client, "sleep", params={"seconds": 1.8})
        queued = submit(client, "sleep", params={"seconds": 1.8})
        wait_for(client, running["id"], {"running"})
        cancelled = client.post(f"/apps/sleep/{queued['id']}/cancel")
        assert cancelled.json() == {"tracking_id": queued["id"]}
        assert client.get(f"/api/jobs/{queued['id']}").json()["status"] == "cancelled"
        assert client.post(f"/api/jobs/{running['id']}/cancel").status_code == 200
        stopped = wait_for(client, running["id"], FINAL, timeout=5)
        assert stopped["status"] == "cancelled"
        assert stopped["error"] == "cancelled while running"
        never = client.get(f"/api/jobs/{queued['id']}").json()
        assert never["started_at"] is None and never["attempts"] == 0
        assert never["error"] == "cancelled while queued; it never ran"
        status = client.get(f"/apps/sleep/{running['id']}/status").json()
        assert status["log"]["status"] == "CANCELLED"
        assert status["log"]["errors"] == ["cancelled while running"]
        status = client.get(f"/apps/sleep/{queued['id']}/status").json()
        assert status["log"]["errors"] == ["cancelled while queued; it never ran"]


def test_a_job_past_its_time_limit_fails(server: LiveServer, alice: Account) -> None:
    with server.client(alice.token) as client:
        job = submit(client, "sleep", params={"seconds": 30})
        done = wait_for(client, job["id"], FINAL, timeout=15)
        assert (done["status"], done["error"]) == ("failed", "ran past its time limit of 2 s")


# Apps run beside the pool, not in the HTTP processes: two-process servers (the default on
# two cores) are enough.
@pytest.mark.server_workers(2)
def test_an_app_that_ignores_cancel_and_its_time_limit_has_its_process_killed(
    server: LiveServer, alice: Account, tmp_path: Path, server_workers: int
) -> None:
    with server.client(alice.token) as client:
        for ending in ("cancel", "time limit"):
            marker = tmp_path / f"{ending}.pid"
            params = {"seconds": 30, "quiet": True, "marker": str(marker)}
            job = submit(client, "sleep", params=params)
            wait_for(client, job["id"], {"running"})
            deadline = time.monotonic() + 10
            while not marker.exists():
                assert time.monotonic() < deadline, "the app never started"
                time.sleep(0.02)
            pid = int(marker.read_text())
            assert server.process is not None and pid != server.process.pid
            if ending == "cancel":
                assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
            done = wait_for(client, job["id"], FINAL, timeout=10)
            expected = {
                "cancel": ("cancelled", "cancelled while running"),
                "time limit": ("failed", "ran past its time limit of 2 s"),
            }[ending]
            assert (done["status"], done["error"]) == expected
            while psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie":
                assert time.monotonic() < deadline + 10, f"the app's process outlived its {ending}"
                time.sleep(0.02)


def test_jobs_are_their_owners_and_read_only_what_the_owner_may(
    server: LiveServer, alice: Account, bob: Account
) -> None:
    with server.client(alice.token) as client:
        private = make_repo(client, alice.name, type="dataset", private=True)
        job = submit(client, "digest", inputs={"repo": {"type": "dataset", "repo": private}})
        wait_for(client, job["id"], FINAL)
    with server.client(bob.token) as other:
        for response in (
            other.get(f"/api/jobs/{job['id']}"),
            other.post(f"/api/jobs/{job['id']}/cancel"),
            other.get(f"/api/jobs/{job['id']}/logs"),
            other.get(f"/apps/digest/{job['id']}/status"),
            other.post(f"/apps/digest/{job['id']}/cancel"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] in ("job_not_found", "not_found")
        assert other.get("/api/jobs").json() == []
        refused = other.post(
            "/api/jobs",
            json={"app": "digest", "inputs": {"repo": {"type": "dataset", "repo": private}}},
        )
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "repo_not_found"
        mine = make_repo(other, bob.name, type="dataset")
        into_alices = other.post(
            "/api/jobs",
            json={
                "app": "echo",
                "params": {"text": "x"},
                "results": {"type": "dataset", "repo": private},
            },
        )
        assert into_alices.status_code == 404
        read_only = {"Authorization": f"Bearer {bob.read_token}"}
        refused = other.post(
            "/api/jobs",
            json={
                "app": "echo",
                "params": {"text": "x"},
                "results": {"type": "dataset", "repo": mine},
            },
            headers=read_only,
        )
        assert refused.status_code == 403
    with server.client() as anonymous:
        assert anonymous.get(f"/api/jobs/{job['id']}").status_code == 401
        assert anonymous.post("/apps/echo/start", json={}).status_code == 401
    with server.client(server.admin_token) as admin:
        assert admin.get(f"/api/jobs/{job['id']}").status_code == 200


def test_the_cli_runs_follows_and_cancels_jobs(
    server: LiveServer, alice: Account, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
    env.update(
        {
            "WEIGHTHOUSE_CONFIG_DIR": str(tmp_path / "config"),
            "WEIGHTHOUSE_URL": server.url,
            "WEIGHTHOUSE_TOKEN": alice.token,
            "WEIGHTHOUSE_PROGRESS": "1",
        }
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "weighthouse", "job", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    with server.client(alice.token) as client:
        out = make_repo(client, alice.name, type="dataset", private=True)
    done = cli(
        "run", "echo", "--param", "text=hi", "--param", "seconds=0.6",
        "--results", f"dataset:{out}", "--wait",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    echo_id, app, status, where = done.stdout.strip().split("\t")
    assert (app, status) == ("echo", "succeeded") and where.startswith(f"dataset:{out}@")
    assert "waiting" in done.stderr  # the live progress bar of the app's "waiting" steps
    assert cli("logs", echo_id).stdout == "echoed 'hi'\n"
    # Echo takes its time in steps of 50 ms, so it stops soon after a cancel.
    slow = cli("run", "echo", "--param", "text=slow", "--param", "seconds=40")
    assert slow.returncode == 0, slow.stderr
    slow_id = slow.stdout.strip()
    assert cli("cancel", slow_id).returncode == 0
    waited = cli("wait", slow_id)
    assert waited.returncode == 1
    # Why it ended, whether the cancel found it queued or running.
    assert "\tcancelled\tcancelled while " in waited.stdout, waited.stdout
    assert json.loads(cli("status", slow_id, "--json").stdout)["status"] == "cancelled"
    listed = cli("list", "--status", "cancelled").stdout
    assert slow_id in listed and echo_id not in listed
    failed = cli("run", "fail", "--param", "message=the weights are gone", "--wait")
    assert failed.returncode == 1 and failed.stdout.strip().endswith("\tthe weights are gone")
    missing = cli("status", "0" * 32)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "no such job" in missing.stderr


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "http://[::1]:8080/hook",
        "http://127.0.0.1:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8080/hook",  # a name that resolves to 127.0.0.1
    ],
)
def test_callbacks_to_loopback_link_local_or_other_schemes_are_refused_by_default(
    server: LiveServer, alice: Account, url: str
) -> None:
    with server.client(alice.token) as client:
        before = client.get("/api/jobs").json()
        for path, body in (
            ("/api/jobs", {"app": "echo", "params": {"text": "x"}, "notify_url": url}),
            ("/apps/echo/start", {"parameters": {"text": "x"}, "notify_url": url}),
        ):
            refused = client.post(path, json=body)
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["code"] == "invalid_notify_url"
        assert client.get("/api/jobs").json() == before


def put_file(client: httpx.Client, repo: str, path: str, data: bytes) -> str:
    response = client.put(
        f"/api/datasets/{repo}/upload/main/{path}",
        content=data,
        headers={"X-Content-SHA256": hashlib.sha256(data).hexdigest()},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["commit"]["id"])


def test_a_job_reads_its_pinned_commit_and_writes_only_while_its_owner_may(
    server: LiveServer, alice: Account, bob: Account
) -> None:
    with server.client(alice.token) as client:
        source = make_repo(client, alice.name, type="dataset", private=True)
        first = put_file(client, source, "a.txt", b"first")
        put_file(client, source, "b.txt", b"second")
        out = make_repo(client, alice.name, type="dataset", private=True)
        pinned = {"type": "dataset", "repo": source, "revision": first}
        job = submit(
            client, "digest", inputs={"repo": pinned}, results={"type": "dataset", "repo": out}
        )
        assert job["inputs"][0]["commit"] == first
        done = wait_for(client, job["id"], FINAL)
        assert (done["status"], done["output"]) == ("succeeded", {"files": 1, "commit": first})
        sums = client.get(f"/api/datasets/{out}/resolve/{done['result_commit']}/sha256sums.txt")
        assert sums.text == f"{hashlib.sha256(b'first').hexdigest()}  a.txt\n"
    with server.client(bob.token) as other:
        # Another user cannot find the job's results through either API.
        assert other.get(f"/api/jobs/{job['id']}/results").status_code == 404
        assert other.get(f"/apps/digest/{job['id']}/result").status_code == 404
        shared = make_repo(other, bob.name, type="dataset", private=True)
        granted = other.put(
            f"/api/datasets/{shared}/collaborators/{alice.name}", json={"role": "write"}
        )
        assert granted.status_code == 200, granted.text
    with server.client(alice.token) as client:
        # Echo's queue runs one job at a time: the second waits behind the first.
        busy = submit(client, "echo", params={"text": "x", "copies": 0, "seconds": 1.5})
        late = submit(
            client, "echo", params={"text": "y"}, results={"type": "dataset", "repo": shared}
        )
        wait_for(client, busy["id"], {"running"})
    with server.client(bob.token) as other:
        refs = other.get(f"/api/datasets/{shared}/refs").json()
        revoked = other.delete(f"/api/datasets/{shared}/collaborators/{alice.name}")
        assert revoked.status_code == 204
    with server.client(alice.token) as client:
        ended = wait_for(client, late["id"], FINAL)
        assert ended["status"] == "failed" and ended["result_commit"] is None
        assert ended["error"].startswith("storing the results failed"), ended["error"]
        status = client.get(f"/apps/echo/{late['id']}/status").json()
        assert status["log"]["errors"] == [ended["error"]]
    with server.client(bob.token) as other:
        assert other.get(f"/api/datasets/{shared}/refs").json() == refs
