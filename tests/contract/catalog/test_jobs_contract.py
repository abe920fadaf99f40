"""Jobs on every catalog: they round-trip, list newest first with filters, are claimed by
exactly one worker each (also when workers race), change only while the writer still holds
them, and cancel as the port says."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_user, run_together

from weighthouse.domain.errors import JobNotFoundError, UserNotFoundError
from weighthouse.domain.findings_catalog import Finding
from weighthouse.domain.jobs_model import (
    Job,
    JobInput,
    JobQuery,
    JobStatus,
    Notice,
    NoticeStage,
    Progress,
    ResultsTarget,
)
from weighthouse.domain.model import RepoType, User
from weighthouse.domain.ports import Catalog

pytestmark = pytest.mark.contract

LEASE = NOW + timedelta(seconds=30)


def make_job(user: User, number: int = 0, **fields: object) -> Job:
    """Ids sort by ``number``, as real ids sort by creation time."""
    job = Job(
        id=f"{number:012x}{secrets.token_hex(10)}",
        app="echo",
        queue="echo",
        owner_id=user.id,
        created_at=NOW,
        run_after=NOW,
        inputs=(JobInput("model", RepoType.MODEL, "alice/bert", "a" * 40),),
        params={"text": "héllo", "n": [1, 2.5, None, True]},
        results=ResultsTarget(RepoType.DATASET, "alice/out", "main"),
        label="exp-1",
        max_attempts=3,
        time_limit_seconds=1.5,
    )
    return replace(job, **fields)  # type: ignore[arg-type]


def test_a_job_round_trips(catalog: Catalog, user: User) -> None:
    job = make_job(user)
    catalog.add_job(job)
    assert catalog.get_job(job.id) == job
    bare = make_job(user, 1, results=None, inputs=(), params={}, label="")
    catalog.add_job(bare)
    assert catalog.get_job(bare.id) == bare


def test_a_job_needs_its_owner_and_unknown_ids_are_not_found(catalog: Catalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.add_job(make_job(make_user("ghost")))
    with pytest.raises(JobNotFoundError):
        catalog.get_job("0" * 32)
    with pytest.raises(JobNotFoundError):
        catalog.request_cancel("0" * 32, NOW, "stop")


def test_the_stored_job_does_not_change_with_the_callers_dicts(
    catalog: Catalog, user: User
) -> None:
    job = make_job(user)
    catalog.add_job(job)
    got = catalog.get_job(job.id)
    got.params["text"] = "changed"  # type: ignore[index]
    assert catalog.get_job(job.id).params["text"] == "héllo"


def test_listing_is_newest_first_and_filters(catalog: Catalog, user: User) -> None:
    bob = make_user("bob")
    catalog.add_user(bob)
    mine = [make_job(user, n, app="echo" if n % 2 else "sleep") for n in range(5)]
    theirs = make_job(bob, 9)
    for job in (*mine, theirs):
        catalog.add_job(job)
    catalog.request_cancel(mine[3].id, NOW, "stop")
    ids = [job.id for job in catalog.list_jobs(JobQuery(owner_id=user.id))]
    assert ids == [job.id for job in reversed(mine)]
    assert catalog.list_jobs(JobQuery())[0].id == theirs.id
    echo = catalog.list_jobs(JobQuery(owner_id=user.id, app="echo"))
    assert [j.id for j in echo] == [mine[3].id, mine[1].id]
    cancelled = catalog.list_jobs(JobQuery(status=JobStatus.CANCELLED))
    assert [j.id for j in cancelled] == [mine[3].id]
    page = catalog.list_jobs(JobQuery(owner_id=user.id, before=mine[3].id, limit=2))
    assert [j.id for j in page] == [mine[2].id, mine[1].id]
    assert catalog.count_jobs("echo") == {JobStatus.QUEUED: 2, JobStatus.CANCELLED: 1}
    assert catalog.count_jobs("none") == {}


def test_claims_take_the_oldest_runnable_job_of_the_queues(catalog: Catalog, user: User) -> None:
    later = make_job(user, 0, run_after=NOW + timedelta(minutes=1))
    other_queue = make_job(user, 1, queue="gpu")
    first, second = make_job(user, 2), make_job(user, 3)
    for job in (second, later, other_queue, first):
        catalog.add_job(job)
    claimed = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert claimed is not None and claimed.id == first.id
    assert claimed.status is JobStatus.RUNNING
    assert (claimed.worker, claimed.attempts, claimed.lease_until) == ("w1", 1, LEASE)
    assert claimed.started_at == NOW
    assert catalog.get_job(first.id) == claimed
    again = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert again is not None and again.id == second.id
    assert catalog.claim_job(["echo"], "w1", NOW, LEASE) is None
    assert catalog.claim_job([], "w1", NOW, LEASE) is None
    assert catalog.count_runnable_jobs(["echo", "gpu"], NOW) == {"gpu": 1}
    assert catalog.count_runnable_jobs(["echo"], NOW + timedelta(minutes=1)) == {"echo": 1}
    assert catalog.count_runnable_jobs([], NOW) == {}
    gpu = catalog.claim_job(["gpu", "echo"], "w2", NOW, LEASE)
    assert gpu is not None and gpu.id == other_queue.id
    late = catalog.claim_job(["echo"], "w1", NOW + timedelta(minutes=2), LEASE)
    assert late is not None and late.id == later.id


def test_racing_workers_each_claim_a_different_job(catalog: Catalog, user: User) -> None:
    jobs = [make_job(user, n) for n in range(6)]
    for job in jobs:
        catalog.add_job(job)
    claimed = run_together(8, lambda n: catalog.claim_job(["echo"], f"w{n}", NOW, LEASE))
    got = [job.id for job in claimed if isinstance(job, Job)]
    assert not [c for c in claimed if isinstance(c, BaseException)]
    assert sorted(got) == sorted(job.id for job in jobs)


def test_updates_change_a_job_only_while_its_holder_has_it(catalog: Catalog, user: User) -> None:
    catalog.add_job(make_job(user))
    held = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert held is not None
    beat = replace(held, progress=(Progress(1, 4, "files"),), log=("one",), lease_until=LEASE)
    stored = catalog.update_job(beat, held)
    assert stored == beat
    ended = replace(
        beat,
        status=JobStatus.SUCCEEDED,
        output={"count": 4},
        result_commit="c" * 40,
        finished_at=NOW,
        lease_until=None,
    )
    assert catalog.update_job(ended, beat) == ended
    # The job moved on: a second ending, or a stale worker's heartbeat, writes nothing.
    assert catalog.update_job(replace(ended, status=JobStatus.FAILED), beat) is None
    stale = replace(held, worker="w2")
    assert catalog.update_job(replace(stale, log=("late",)), stale) is None
    assert catalog.get_job(held.id) == ended
    with pytest.raises(JobNotFoundError):
        catalog.update_job(ended, replace(ended, id="0" * 32))


def test_only_one_of_two_racing_endings_wins(catalog: Catalog, user: User) -> None:
    catalog.add_job(make_job(user))
    held = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert held is not None
    endings = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.FAILED]
    results = run_together(
        4, lambda n: catalog.update_job(replace(held, status=endings[n], finished_at=NOW), held)
    )
    winners = [r for r in results if isinstance(r, Job)]
    assert len(winners) == 1 and results.count(None) == 3
    assert catalog.get_job(held.id).status is winners[0].status


def test_expired_leases_are_listed_oldest_first(catalog: Catalog, user: User) -> None:
    for n in range(3):
        catalog.add_job(make_job(user, n))
    first = catalog.claim_job(["echo"], "w1", NOW, NOW + timedelta(seconds=5))
    second = catalog.claim_job(["echo"], "w2", NOW, NOW + timedelta(seconds=2))
    catalog.claim_job(["echo"], "w3", NOW, NOW + timedelta(seconds=60))
    assert first is not None and second is not None
    expired = catalog.list_expired_jobs(NOW + timedelta(seconds=10), 10)
    assert [job.id for job in expired] == [second.id, first.id]
    assert catalog.list_expired_jobs(NOW + timedelta(seconds=10), 1)[0].id == second.id
    assert catalog.list_expired_jobs(NOW, 10) == []


def test_cancel_ends_a_queued_job_and_flags_a_running_one(catalog: Catalog, user: User) -> None:
    running, queued = make_job(user, 0), make_job(user, 1)
    catalog.add_job(running)
    catalog.add_job(queued)
    held = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert held is not None and held.id == running.id
    at = NOW + timedelta(seconds=3)
    cancelled = catalog.request_cancel(queued.id, at, "never ran")
    assert (cancelled.status, cancelled.finished_at) == (JobStatus.CANCELLED, at)
    assert cancelled.error == "never ran"
    assert catalog.claim_job(["echo"], "w1", NOW, LEASE) is None
    flagged = catalog.request_cancel(running.id, at, "never ran")
    assert flagged.status is JobStatus.RUNNING and flagged.cancel_requested
    assert flagged.error is None
    # The worker's next write sees the request and still holds the job.
    beat = catalog.update_job(replace(held, log=("x",)), held)
    assert beat is not None and beat.cancel_requested
    assert catalog.request_cancel(queued.id, NOW + timedelta(hours=1), "again") == cancelled


def test_due_notices_are_those_with_an_event_to_send(catalog: Catalog, user: User) -> None:
    notice = Notice("https://example.com/hook", "sealed", due_at=NOW)
    queued = make_job(user, 0, notice=notice)
    running = make_job(user, 1, notice=notice)
    ended = make_job(user, 2, notice=notice)
    quiet = make_job(user, 3)
    for job in (queued, running, ended, quiet):
        catalog.add_job(job)
    assert catalog.get_job(queued.id) == queued
    held = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert held is not None and held.id == queued.id
    held_too = catalog.claim_job(["echo"], "w1", NOW, LEASE)
    assert held_too is not None and held_too.id == running.id
    catalog.request_cancel(ended.id, NOW, "never ran")
    due = catalog.due_notices(NOW, 10)
    assert [job.id for job in due] == [queued.id, running.id, ended.id]
    assert catalog.due_notices(NOW - timedelta(seconds=1), 10) == []
    assert len(catalog.due_notices(NOW, 1)) == 1
    # A sender claims with one more attempt; a second claim of the same try loses.
    claimed = replace(notice, attempts=1, due_at=NOW + timedelta(minutes=1))
    assert catalog.update_notice(queued.id, claimed, notice)
    assert not catalog.update_notice(queued.id, claimed, notice)
    assert catalog.get_job(queued.id).notice == claimed
    # STARTED sent: a running job has nothing more to send until it ends.
    started = Notice(notice.url, notice.secret, NoticeStage.STARTED, 0, NOW, None)
    assert catalog.update_notice(queued.id, started, claimed)
    assert queued.id not in [job.id for job in catalog.due_notices(NOW, 10)]
    ended_held = catalog.update_job(replace(held, status=JobStatus.SUCCEEDED), held)
    assert ended_held is not None
    assert queued.id in [job.id for job in catalog.due_notices(NOW, 10)]
    done = Notice(notice.url, notice.secret, NoticeStage.DONE, 0, None, "FAILED: HTTP 500")
    assert catalog.update_notice(queued.id, done, started)
    assert catalog.get_job(queued.id).notice == done
    assert queued.id not in [job.id for job in catalog.due_notices(NOW + timedelta(days=1), 10)]
    # The job's own writes leave its notice alone.
    assert catalog.get_job(queued.id).status is JobStatus.SUCCEEDED
    assert not catalog.update_notice(quiet.id, done, notice)
    with pytest.raises(JobNotFoundError):
        catalog.update_notice("0" * 32, done, notice)


def test_findings_are_kept_by_content_and_app(catalog: Catalog) -> None:
    first, second = "a" * 64, "b" * 64
    catalog.put_findings(
        [
            Finding(first, "inspect", {"format": "safetensors", "dtypes": {"F32": 6}}),
            Finding(first, "scan", {"verdict": "dangerous", "flagged": ["posix.system"]}),
        ]
    )
    # One already stored stays: the same bytes give the same answer.
    catalog.put_findings([Finding(first, "scan", {"verdict": "safe", "flagged": []})])
    catalog.put_findings([Finding(second, "scan", {"verdict": "safe", "flagged": []})])
    found = catalog.get_findings({first, second, "c" * 64})
    assert found == {
        first: {
            "inspect": {"format": "safetensors", "dtypes": {"F32": 6}},
            "scan": {"verdict": "dangerous", "flagged": ["posix.system"]},
        },
        second: {"scan": {"verdict": "safe", "flagged": []}},
    }
    assert catalog.get_findings(set()) == {}
    assert catalog.get_findings({"c" * 64}) == {}
