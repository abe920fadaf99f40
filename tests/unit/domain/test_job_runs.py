"""What workers do with jobs: leases, heartbeats, recovery of dead workers' jobs, and result
commits made exactly once, in the same unit of work as the job's ending."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub
from tests.unit.domain.test_jobs import ECHO, MODEL, OUT, request

from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile
from weighthouse.domain.errors import PermissionDeniedError
from weighthouse.domain.job_runs import JobRuns
from weighthouse.domain.jobs import Jobs
from weighthouse.domain.jobs_model import LOG_LINES, Job, JobStatus, Progress
from weighthouse.domain.model import Member, RefKind, RepoId, RepoType, Role

pytestmark = pytest.mark.unit


@pytest.fixture
def jobs(hub: Hub, alice: Principal) -> Jobs:
    hub.repos.create(alice, MODEL, private=True)
    hub.repos.create(alice, OUT, private=True)
    return Jobs(hub.catalog, {"echo": ECHO}, hub.clock)


@pytest.fixture
def runs(hub: Hub) -> JobRuns:
    return JobRuns(hub.catalog, hub.commits, hub.clock, lease_seconds=10, backoff_seconds=4)


def claimed(runs: JobRuns, worker: str = "w1") -> Job:
    job = runs.claim(["cpu"], worker)
    assert job is not None
    return job


def result_file(hub: Hub, runs: JobRuns, job: Job, data: bytes) -> AddFile:
    digest = hub.commits.upload_blob(runs.owner(job), OUT, [data], size=len(data))
    return AddFile("out.txt", digest.sha256, digest.size)


def out_head(hub: Hub, alice: Principal) -> str:
    repo = hub.repos.get(alice, OUT)
    return hub.catalog.get_ref(repo.id, RefKind.BRANCH, "main").commit_id


def test_heartbeats_keep_progress_per_context_and_the_latest_log_lines(
    hub: Hub, jobs: Jobs, runs: JobRuns, alice: Principal
) -> None:
    jobs.submit(alice, request())
    job = claimed(runs)
    job = runs.heartbeat(job, progress=[Progress(1, 3, "files")], lines=["a"]) or job
    job = runs.heartbeat(job, progress=[Progress(2, 3, "files")]) or job
    job = runs.heartbeat(job, progress=[Progress(5, 9, "epochs")]) or job
    assert job.progress == (Progress(2, 3, "files"), Progress(5, 9, "epochs"))
    job = runs.heartbeat(job, lines=[f"line {n}" for n in range(LOG_LINES + 5)]) or job
    assert len(job.log) == LOG_LINES and job.log[-1] == f"line {LOG_LINES + 4}"
    hub.clock.advance(8)
    job = runs.heartbeat(job) or job
    hub.clock.advance(8)
    assert runs.recover() == 0  # the heartbeat renewed the lease
    jobs.cancel(alice, job.id)
    beat = runs.heartbeat(job)
    assert beat is not None and beat.cancel_requested
    assert (runs.cancelled(beat) or beat).status is JobStatus.CANCELLED


def test_a_dead_workers_job_is_retried_with_backoff_then_failed(
    hub: Hub, jobs: Jobs, runs: JobRuns, alice: Principal
) -> None:
    submitted = jobs.submit(alice, request())
    first = claimed(runs)
    hub.clock.advance(11)
    assert runs.recover() == 1
    requeued = hub.catalog.get_job(submitted.id)
    assert requeued.status is JobStatus.QUEUED and requeued.worker is None
    assert 2 <= (requeued.run_after - hub.clock()).total_seconds() <= 4
    assert runs.claim(["cpu"], "w2") is None  # not before its backoff
    # The dead worker comes back: its writes change nothing.
    assert runs.heartbeat(first, lines=["late"]) is None
    hub.clock.advance(5)
    second = claimed(runs, "w2")
    assert second.attempts == 2
    hub.clock.advance(11)
    assert runs.recover() == 1
    failed = hub.catalog.get_job(submitted.id)
    assert failed.status is JobStatus.FAILED
    assert "stopped responding (2 attempts)" in (failed.error or "")
    assert runs.succeed(second, {"late": True}) is None


def test_results_are_committed_once_with_the_ending(
    hub: Hub, jobs: Jobs, runs: JobRuns, alice: Principal
) -> None:
    jobs.submit(alice, request())
    before = out_head(hub, alice)
    job = claimed(runs)
    ended = runs.succeed(job, {"n": 1}, [result_file(hub, runs, job, b"result")])
    assert ended is not None and ended.status is JobStatus.SUCCEEDED
    assert ended.result_commit == out_head(hub, alice) != before
    commit = hub.catalog.get_commit(hub.repos.get(alice, OUT).id, ended.result_commit)
    assert job.id in commit.message and commit.author == "alice"
    # A second ending of the same attempt (a retry of a crashed finish) commits nothing.
    again = runs.succeed(job, {"n": 2}, [result_file(hub, runs, job, b"other")])
    assert again is None and out_head(hub, alice) == ended.result_commit


def test_a_worker_that_lost_its_job_leaves_no_result_commit(
    hub: Hub, jobs: Jobs, runs: JobRuns, alice: Principal
) -> None:
    jobs.submit(alice, request())
    before = out_head(hub, alice)
    stale = claimed(runs)
    hub.clock.advance(11)
    runs.recover()
    hub.clock.advance(5)
    fresh = claimed(runs, "w2")
    assert runs.succeed(stale, {}, [result_file(hub, runs, stale, b"stale")]) is None
    assert out_head(hub, alice) == before
    done = runs.succeed(fresh, {}, [result_file(hub, runs, fresh, b"fresh")])
    assert done is not None and done.result_commit == out_head(hub, alice)


def test_results_go_only_where_the_owner_may_still_write(
    hub: Hub, jobs: Jobs, runs: JobRuns, alice: Principal, bob: Principal
) -> None:
    assert alice.user is not None
    target = RepoId(RepoType.DATASET, "bob", "shared")
    repo = hub.repos.create(bob, target, private=False)
    member = Member(alice.user.id, alice.user.name, Role.WRITE, hub.clock())
    hub.catalog.set_collaborator(repo.id, member)
    jobs.submit(alice, request(results=(target, "main")))
    job = claimed(runs)
    digest = hub.commits.upload_blob(runs.owner(job), target, [b"x"], size=1)
    hub.catalog.remove_collaborator(repo.id, alice.user.id)
    with pytest.raises(PermissionDeniedError):
        runs.succeed(job, {}, [AddFile("x", digest.sha256, digest.size)])
    assert hub.catalog.get_job(job.id).status is JobStatus.RUNNING
