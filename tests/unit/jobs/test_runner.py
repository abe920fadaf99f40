"""The runner on the in-memory catalog with the test apps: results committed as the owner,
failures with their message, the time limit, cancels (cooperative, and of an app that never
checks), inputs read at their pinned commit with the owner's access of now, and apps in
processes of their own, killed when they ignore a cancel or the time limit."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import psutil
import pytest
from tests.job_apps import ALL
from tests.slow_start_app import IMPORT_SECONDS, SlowStart
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import Principal
from weighthouse.domain.job_runs import JobRuns
from weighthouse.domain.jobs import JobRequest, Jobs
from weighthouse.domain.jobs_model import Job, JobStatus
from weighthouse.domain.model import RefKind, RepoId, RepoType
from weighthouse.jobs.registry import load_apps, spec_of
from weighthouse.jobs.runner import JobRunner, RunnerOptions

pytestmark = pytest.mark.unit

OUT = RepoId(RepoType.DATASET, "alice", "out")
DATA = RepoId(RepoType.DATASET, "bob", "data")


SLOW_START = f"tests.slow_start_app:{SlowStart.__name__}"


class Engine:
    def __init__(
        self,
        hub: Hub,
        tmp: Path,
        isolation: Literal["thread", "process"] = "thread",
        startup_seconds: float = 120.0,
        app_idle_seconds: float = 60.0,
    ) -> None:
        apps = load_apps([*ALL, SLOW_START])
        self.hub = hub
        self.jobs = Jobs(hub.catalog, {n: spec_of(a) for n, a in apps.items()}, hub.clock)
        self.runs = JobRuns(hub.catalog, hub.commits, hub.clock, lease_seconds=30)
        options = RunnerOptions(
            lease_seconds=1.5,
            cancel_grace_seconds=0.5,
            scratch_root=tmp,
            isolation=isolation,
            startup_seconds=startup_seconds,
            app_idle_seconds=app_idle_seconds,
        )
        self.runner = JobRunner(self.runs, hub.files, hub.commits, apps, options)
        self.tmp = tmp

    def submit(self, owner: Principal, app: str, **fields: object) -> Job:
        return self.jobs.submit(owner, JobRequest(app=app, **fields))  # type: ignore[arg-type]

    def run_next(self) -> Job | None:
        job = self.runs.claim(["echo", "sleep", "fail", "digest", "slow_start"], "w1")
        assert job is not None
        return self.runner.run(job)


@pytest.fixture
def engine(hub: Hub, alice: Principal, tmp_path: Path) -> Iterator[Engine]:
    hub.repos.create(alice, OUT, private=True)
    yield Engine(hub, tmp_path)
    assert list(tmp_path.iterdir()) == [], "the runner left scratch files behind"


def read(hub: Hub, principal: Principal, repo: RepoId, path: str, revision: str) -> bytes:
    _, download = hub.files.download(principal, repo, revision, path)
    with hub.files.reader(download) as reader:
        return reader.read_range(0, reader.size)


def test_results_become_one_commit_as_the_owner(engine: Engine, hub: Hub, alice: Principal) -> None:
    engine.submit(alice, "echo", params={"text": "héllo", "copies": 2}, results=(OUT, "main"))
    job = engine.run_next()
    assert job is not None and job.status is JobStatus.SUCCEEDED, job
    assert job.output == {"text": "héllo"} and job.log[-1] == "echoed 'héllo'"
    assert job.result_commit is not None
    for n in range(2):
        path = f"{job.id}/{n}.txt"
        assert read(hub, alice, OUT, path, job.result_commit) == "héllo".encode()
    head = hub.catalog.get_ref(hub.repos.get(alice, OUT).id, RefKind.BRANCH, "main")
    assert head.commit_id == job.result_commit


def test_result_files_without_a_results_repo_fail_the_job(engine: Engine, alice: Principal) -> None:
    engine.submit(alice, "echo", params={"text": "x"})
    job = engine.run_next()
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error == "the job wrote result files but names no results repo"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"message": "the model does not load"}, "the model does not load"),
        ({"crash": True, "message": "boom"}, "ZeroDivisionError: boom"),
        ({"crash": True, "message": ""}, "ZeroDivisionError"),
    ],
)
def test_a_failing_app_reports_failed_with_its_message(
    engine: Engine, alice: Principal, params: dict[str, object], error: str
) -> None:
    engine.submit(alice, "fail", params=params)
    job = engine.run_next()
    assert job is not None and (job.status, job.error) == (JobStatus.FAILED, error)


def test_a_job_past_its_time_limit_is_stopped(engine: Engine, alice: Principal) -> None:
    engine.submit(alice, "sleep", params={"seconds": 30})
    started = time.monotonic()
    job = engine.run_next()
    assert time.monotonic() - started < 5
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error == "ran past its time limit of 2 s"
    assert job.progress and job.progress[-1].context == "sleeping"


def run_in_thread(engine: Engine) -> tuple[threading.Thread, list[Job | None]]:
    ended: list[Job | None] = []
    thread = threading.Thread(target=lambda: ended.append(engine.run_next()), daemon=True)
    thread.start()
    return thread, ended


def wait_for(path: Path, timeout: float = 5) -> None:
    """Until the job's app wrote its process id to ``path`` (the file exists empty between
    its creation and the write)."""
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.01)


def test_cancel_stops_a_running_job_at_its_next_progress_call(
    engine: Engine, alice: Principal, tmp_path: Path
) -> None:
    marker = tmp_path.parent / f"{tmp_path.name}.started"
    submitted = engine.submit(alice, "sleep", params={"seconds": 1.5, "marker": str(marker)})
    thread, ended = run_in_thread(engine)
    wait_for(marker)
    engine.jobs.cancel(alice, submitted.id)
    thread.join(5)
    assert ended and ended[0] is not None and ended[0].status is JobStatus.CANCELLED


def test_an_app_that_never_checks_is_ended_after_the_grace_period(
    engine: Engine, alice: Principal, tmp_path: Path
) -> None:
    marker = tmp_path.parent / f"{tmp_path.name}.started"
    params = {"seconds": 1.9, "quiet": True, "marker": str(marker)}
    submitted = engine.submit(alice, "sleep", params=params)
    thread, ended = run_in_thread(engine)
    wait_for(marker)
    engine.jobs.cancel(alice, submitted.id)
    deadline = time.monotonic() + 1.4
    while engine.hub.catalog.get_job(submitted.id).status is JobStatus.RUNNING:
        assert time.monotonic() < deadline, "the job was not ended after the grace period"
        time.sleep(0.02)
    assert engine.hub.catalog.get_job(submitted.id).status is JobStatus.CANCELLED
    thread.join(5)
    # The app's own ending, when it finally returned, changed nothing.
    assert ended == [None]
    assert engine.hub.catalog.get_job(submitted.id).status is JobStatus.CANCELLED


def test_inputs_are_read_at_their_pinned_commit_with_the_owners_access(
    engine: Engine, hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(bob, DATA, private=True)
    files = {"a.txt": b"first", "deep/b.bin": bytes(range(256)) * 5000}
    for path, data in files.items():
        hub.commits.upload_file(bob, DATA, "main", path, [data], size=len(data))
    pinned = hub.catalog.get_ref(hub.repos.get(bob, DATA).id, RefKind.BRANCH, "main")
    engine.submit(bob, "digest", inputs={"repo": (DATA, "main")}, results=(DATA, "main"))
    hub.commits.upload_file(bob, DATA, "main", "later.txt", [b"after"], size=5)
    job = engine.run_next()
    assert job is not None and job.status is JobStatus.SUCCEEDED, job.error
    assert job.output == {"files": 2, "commit": pinned.commit_id}
    assert job.result_commit is not None
    sums = read(hub, bob, DATA, "sha256sums.txt", job.result_commit).decode()
    assert [line.split("  ")[1] for line in sums.splitlines()] == ["a.txt", "deep/b.bin"]
    # Alice may not read bob's repo: her job is refused when submitted...
    with pytest.raises(Exception, match="not found"):
        engine.submit(alice, "digest", inputs={"repo": (DATA, "main")})
    # ...and bob's next job fails once he has lost access, although it was queued before.
    engine.submit(bob, "digest", inputs={"repo": (DATA, "main")}, results=(DATA, "main"))
    hub.repos.move(bob, DATA, RepoId(RepoType.DATASET, "bob", "moved"))
    failed = engine.run_next()
    assert failed is not None and failed.status is JobStatus.FAILED
    assert "bob/data" in (failed.error or "")


@pytest.fixture
def isolated(hub: Hub, alice: Principal, tmp_path: Path) -> Iterator[Engine]:
    hub.repos.create(alice, OUT, private=True)
    engine = Engine(hub, tmp_path, isolation="process")
    yield engine
    engine.runner.close()
    assert list(tmp_path.iterdir()) == [], "the runner left scratch files behind"


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_an_app_in_its_own_process_reads_inputs_and_commits_results(
    isolated: Engine, hub: Hub, alice: Principal
) -> None:
    files = {"a.txt": b"first", "deep/b.bin": bytes(range(256)) * 5000}
    for path, data in files.items():
        hub.commits.upload_file(alice, OUT, "main", path, [data], size=len(data))
    isolated.submit(alice, "digest", inputs={"repo": (OUT, "main")}, results=(OUT, "main"))
    job = isolated.run_next()
    assert job is not None and job.status is JobStatus.SUCCEEDED, job.error
    assert job.output is not None and job.output["files"] == 2 and job.result_commit
    sums = read(hub, alice, OUT, "sha256sums.txt", job.result_commit).decode()
    assert [line.split("  ")[1] for line in sums.splitlines()] == ["a.txt", "deep/b.bin"]
    isolated.submit(alice, "echo", params={"text": "héllo", "seconds": 0.1}, results=(OUT, "main"))
    echoed = isolated.run_next()
    assert echoed is not None and echoed.status is JobStatus.SUCCEEDED, echoed.error
    assert echoed.progress[-1].context == "waiting" and echoed.log[-1] == "echoed 'héllo'"
    assert echoed.result_commit is not None
    assert read(hub, alice, OUT, f"{echoed.id}/0.txt", echoed.result_commit) == "héllo".encode()
    for params, error in [
        ({"message": "the model does not load"}, "the model does not load"),
        ({"crash": True, "message": "boom"}, "ZeroDivisionError: boom"),
    ]:
        isolated.submit(alice, "fail", params=params)
        failed = isolated.run_next()
        assert failed is not None and (failed.status, failed.error) == (JobStatus.FAILED, error)


def test_an_app_process_that_ignores_cancel_is_killed_after_the_grace_period(
    isolated: Engine, alice: Principal, tmp_path: Path
) -> None:
    marker = tmp_path.parent / f"{tmp_path.name}.started"
    params = {"seconds": 30, "quiet": True, "marker": str(marker)}
    submitted = isolated.submit(alice, "sleep", params=params)
    thread, _ = run_in_thread(isolated)
    wait_for(marker, timeout=30)  # a new app process first, on a busy host
    pid = int(marker.read_text())
    assert pid != os.getpid()
    isolated.jobs.cancel(alice, submitted.id)
    thread.join(5)
    assert not thread.is_alive(), "the runner did not stop the job"
    job = isolated.hub.catalog.get_job(submitted.id)
    assert (job.status, job.error) == (JobStatus.CANCELLED, "cancelled while running")
    assert gone(pid), "the app's process still runs"


def test_an_app_process_past_its_time_limit_is_killed_and_the_next_job_gets_a_new_one(
    isolated: Engine, alice: Principal, tmp_path: Path
) -> None:
    marker = tmp_path.parent / f"{tmp_path.name}.started"
    params = {"seconds": 30, "quiet": True, "marker": str(marker)}
    submitted = isolated.submit(alice, "sleep", params=params)
    started = time.monotonic()
    isolated.run_next()
    # Killed, not run out: the app would sleep 30 s (the bound leaves room for a slow start).
    assert time.monotonic() - started < 20
    job = isolated.hub.catalog.get_job(submitted.id)
    assert (job.status, job.error) == (JobStatus.FAILED, "ran past its time limit of 2 s")
    first = int(marker.read_text())
    assert gone(first), "the app's process still runs"
    marker.unlink()
    isolated.submit(alice, "sleep", params={"seconds": 0.1, "marker": str(marker)})
    again = isolated.run_next()
    assert again is not None and again.status is JobStatus.SUCCEEDED, again.error
    assert int(marker.read_text()) != first


def test_an_app_whose_process_dies_fails_with_its_exit_code(
    isolated: Engine, alice: Principal
) -> None:
    isolated.submit(alice, "fail", params={"exit": 3})
    job = isolated.run_next()
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error == "the app's process ended unexpectedly (exit code 3)"
    isolated.submit(alice, "fail", params={"message": "alive again"})
    again = isolated.run_next()
    assert again is not None and again.error == "alive again"


def test_an_idle_app_process_exits_and_the_next_job_starts_a_new_one(
    hub: Hub, alice: Principal, tmp_path: Path
) -> None:
    hub.repos.create(alice, OUT, private=True)
    engine = Engine(hub, tmp_path, isolation="process", app_idle_seconds=1.0)
    pids = []
    try:
        for round_ in range(3):
            marker = tmp_path.parent / f"{tmp_path.name}.{round_}"
            engine.submit(alice, "sleep", params={"seconds": 0, "marker": str(marker)})
            job = engine.run_next()
            assert job is not None and job.status is JobStatus.SUCCEEDED, job.error
            pids.append(int(marker.read_text()))
            if round_ == 0:
                continue  # the next job comes at once, and reuses the process
            assert psutil.pid_exists(pids[-1])
            # Idle past jobs.app_idle_seconds: the process is ended, and reaped (no zombie).
            deadline = time.monotonic() + 30
            while psutil.pid_exists(pids[-1]):
                assert time.monotonic() < deadline, "the idle app process never exited"
                time.sleep(0.05)
    finally:
        engine.runner.close()
    assert pids[0] == pids[1] != pids[2] != os.getpid()


def test_an_app_process_s_start_up_does_not_count_against_the_time_limit(
    isolated: Engine, alice: Principal
) -> None:
    # A new process, whose import of the app alone outlasts the app's time limit.
    assert SlowStart.time_limit_seconds < IMPORT_SECONDS
    isolated.submit(alice, "slow_start")
    job = isolated.run_next()
    assert job is not None and job.status is JobStatus.SUCCEEDED, job.error
    assert job.output == {"started": True}


def test_an_app_process_not_ready_within_its_start_up_bound_fails_the_job(
    hub: Hub, alice: Principal, tmp_path: Path
) -> None:
    engine = Engine(hub, tmp_path, isolation="process", startup_seconds=0.5)
    try:
        engine.submit(alice, "slow_start")
        job = engine.run_next()
        assert job is not None and job.status is JobStatus.FAILED
        assert job.error == "the app's process was not ready within 0.5 s (jobs.startup_seconds)"
        # That the next job gets a new process is the time-limit test's to show: here any new
        # process would have to start within the same half second, which a busy host misses.
    finally:
        engine.runner.close()
    assert list(tmp_path.iterdir()) == []


def test_a_job_cancelled_while_its_app_process_starts_ends_cancelled(
    isolated: Engine, alice: Principal
) -> None:
    submitted = isolated.submit(alice, "slow_start")
    thread, _ = run_in_thread(isolated)
    while isolated.hub.catalog.get_job(submitted.id).status is not JobStatus.RUNNING:
        time.sleep(0.02)
    isolated.jobs.cancel(alice, submitted.id)
    thread.join(IMPORT_SECONDS * 10)
    assert not thread.is_alive(), "the runner did not stop the job"
    job = isolated.hub.catalog.get_job(submitted.id)
    assert (job.status, job.error) == (JobStatus.CANCELLED, "cancelled while running")
