"""Jobs of the job runner in the in-memory catalog."""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from weighthouse.domain.errors import JobNotFoundError, UserNotFoundError
from weighthouse.domain.jobs_model import Job, JobQuery, JobStatus, Notice, NoticeStage
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc

# What update_job may change; the rest is fixed at submission or set by request_cancel.
_CHANGES = (
    "status", "progress", "log", "error", "output", "result_commit", "attempts", "worker",
    "run_after", "lease_until", "started_at", "finished_at",
)  # fmt: skip


class MemoryJobs(MemoryTables):
    def add_job(self, job: Job) -> None:
        with self._lock:
            if job.owner_id not in self._tables.users:
                raise UserNotFoundError("no user with that id", user_id=job.owner_id)
            stored = in_utc(_copy(job))
            if stored.notice is not None and stored.notice.due_at is not None:
                stored = replace(stored, notice=in_utc(stored.notice))
            self._tables.jobs[job.id] = stored

    def get_job(self, job_id: str) -> Job:
        with self._lock:
            return _copy(self._get(job_id))

    def list_jobs(self, query: JobQuery) -> list[Job]:
        with self._lock:
            found = [
                job
                for job in self._tables.jobs.values()
                if (query.owner_id is None or job.owner_id == query.owner_id)
                and (query.app is None or job.app == query.app)
                and (query.status is None or job.status is query.status)
                and (query.before is None or job.id < query.before)
            ]
        found.sort(key=lambda job: job.id, reverse=True)
        return [_copy(job) for job in found[: query.limit]]

    def count_jobs(self, app: str) -> dict[JobStatus, int]:
        counts: dict[JobStatus, int] = {}
        with self._lock:
            for job in self._tables.jobs.values():
                if job.app == app:
                    counts[job.status] = counts.get(job.status, 0) + 1
        return counts

    def count_runnable_jobs(self, queues: Collection[str], since: datetime) -> dict[str, int]:
        since = utc(since)
        counts: dict[str, int] = {}
        with self._lock:
            for job in self._tables.jobs.values():
                waiting = job.status is JobStatus.QUEUED and job.run_after <= since
                if waiting and job.queue in queues:
                    counts[job.queue] = counts.get(job.queue, 0) + 1
        return counts

    def claim_job(
        self, queues: Collection[str], worker: str, now: datetime, lease_until: datetime
    ) -> Job | None:
        now = utc(now)
        with self._lock:
            ready = [
                job
                for job in self._tables.jobs.values()
                if job.status is JobStatus.QUEUED and job.queue in queues and job.run_after <= now
            ]
            if not ready:
                return None
            job = min(ready, key=lambda job: (job.run_after, job.id))
            claimed = replace(
                job,
                status=JobStatus.RUNNING,
                worker=worker,
                attempts=job.attempts + 1,
                lease_until=utc(lease_until),
                started_at=now,
            )
            self._tables.jobs[job.id] = claimed
            return _copy(claimed)

    def list_expired_jobs(self, now: datetime, limit: int) -> list[Job]:
        now = utc(now)
        with self._lock:
            found = [
                job
                for job in self._tables.jobs.values()
                if job.status is JobStatus.RUNNING
                and job.lease_until is not None
                and job.lease_until < now
            ]
        found.sort(key=lambda job: (job.lease_until, job.id))
        return [_copy(job) for job in found[:limit]]

    def update_job(self, job: Job, expected: Job) -> Job | None:
        with self._lock:
            stored = self._get(expected.id)
            if (stored.status, stored.worker, stored.attempts) != (
                expected.status,
                expected.worker,
                expected.attempts,
            ):
                return None
            changed = in_utc(replace(stored, **{name: getattr(job, name) for name in _CHANGES}))
            changed = _copy(changed)
            self._tables.jobs[stored.id] = changed
            return _copy(changed)

    def request_cancel(self, job_id: str, at: datetime, error: str) -> Job:
        with self._lock:
            job = self._get(job_id)
            if job.status is JobStatus.QUEUED:
                job = replace(
                    job,
                    status=JobStatus.CANCELLED,
                    finished_at=utc(at),
                    worker=None,
                    error=error,
                )
            elif job.status is JobStatus.RUNNING:
                job = replace(job, cancel_requested=True)
            self._tables.jobs[job_id] = job
            return _copy(job)

    def due_notices(self, now: datetime, limit: int) -> list[Job]:
        with self._lock:
            due = [
                job
                for job in self._tables.jobs.values()
                if job.notice is not None
                and job.notice.due_at is not None
                and job.notice.due_at <= now
                and (
                    (job.status is JobStatus.RUNNING and job.notice.stage is NoticeStage.NONE)
                    or (job.status.final and job.notice.stage < NoticeStage.DONE)
                )
            ]
            due.sort(key=lambda job: (job.notice.due_at, job.id))  # type: ignore[union-attr]
            return [_copy(job) for job in due[:limit]]

    def update_notice(self, job_id: str, notice: Notice, expected: Notice) -> bool:
        with self._lock:
            job = self._get(job_id)
            stored = job.notice
            if stored is None or (stored.stage, stored.attempts) != (
                expected.stage,
                expected.attempts,
            ):
                return False
            due_at = None if notice.due_at is None else utc(notice.due_at)
            changed = replace(
                stored,
                stage=notice.stage,
                attempts=notice.attempts,
                due_at=due_at,
                error=notice.error,
            )
            self._tables.jobs[job_id] = replace(job, notice=changed)
            return True

    def _get(self, job_id: str) -> Job:
        job = self._tables.jobs.get(job_id)
        if job is None:
            raise JobNotFoundError("no such job", job_id=job_id)
        return job


def _copy(job: Job) -> Job:
    """A caller may change the dicts it gets; the stored ones must not change."""
    return replace(
        job,
        params=copy.deepcopy(dict(job.params)),
        output=None if job.output is None else copy.deepcopy(dict(job.output)),
    )
