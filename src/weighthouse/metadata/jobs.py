"""Jobs of the job runner; mixed into ``SqlCatalog``.

A claim selects the oldest runnable job ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and MariaDB,
so concurrent workers each lock a different row and none waits for another's; SQLite has one
writer at a time (a write transaction takes the database's lock), where the same statements
simply run one after another. Every change to a claimed job is a conditional ``UPDATE`` on
its status, worker and attempt, so a worker that lost its lease writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import JobNotFoundError, UserNotFoundError
from weighthouse.domain.jobs_model import Job, JobQuery, JobStatus, Notice, NoticeStage
from weighthouse.metadata import group_commit
from weighthouse.metadata.job_rows import job_changes, job_from, job_row, notice_row
from weighthouse.metadata.tables import jobs, users
from weighthouse.metadata.transactions import in_unit, retry_transient, transaction

T = TypeVar("T")


class JobQueries:
    _engine: Engine

    def _write(self, work: Callable[[Connection], T]) -> T:
        # A submit, the claims and the endings of concurrent workers share commits where the
        # database gains from it (SQLite's one writer flushes its log once per commit); each
        # still returns only once its own write is committed.
        group = group_commit.for_engine(self._engine)
        if group is not None and not in_unit(self._engine):
            return group.run(work)
        with transaction(self._engine, write=True) as connection:
            return work(connection)

    @retry_transient
    def add_job(self, job: Job) -> None:
        def add(connection: Connection) -> None:
            owner = connection.execute(select(users.c.id).where(users.c.id == job.owner_id))
            if owner.first() is None:
                raise UserNotFoundError("no user with that id", user_id=job.owner_id)
            try:
                connection.execute(insert(jobs).values(job_row(job)))
            except IntegrityError as exc:  # pragma: no cover - ids are random
                raise RuntimeError(f"job id {job.id} is taken") from exc

        self._write(add)

    def get_job(self, job_id: str) -> Job:
        with transaction(self._engine) as connection:
            return _get(connection, job_id)

    def list_jobs(self, query: JobQuery) -> list[Job]:
        statement = select(jobs)
        if query.owner_id is not None:
            statement = statement.where(jobs.c.owner_id == query.owner_id)
        if query.app is not None:
            statement = statement.where(jobs.c.app == query.app)
        if query.status is not None:
            statement = statement.where(jobs.c.status == query.status.value)
        if query.before is not None:
            statement = statement.where(jobs.c.id < query.before)
        statement = statement.order_by(jobs.c.id.desc()).limit(query.limit)
        with transaction(self._engine) as connection:
            return [job_from(row) for row in connection.execute(statement)]

    def count_jobs(self, app: str) -> dict[JobStatus, int]:
        statement = (
            select(jobs.c.status, func.count()).where(jobs.c.app == app).group_by(jobs.c.status)
        )
        with transaction(self._engine) as connection:
            return {JobStatus(status): count for status, count in connection.execute(statement)}

    def count_runnable_jobs(self, queues: Collection[str], since: datetime) -> dict[str, int]:
        if not queues:
            return {}
        statement = (
            select(jobs.c.queue, func.count())
            .where(
                jobs.c.status == JobStatus.QUEUED.value,
                jobs.c.queue.in_(sorted(queues)),
                jobs.c.run_after <= since,
            )
            .group_by(jobs.c.queue)
        )
        with transaction(self._engine) as connection:
            return {str(queue): int(count) for queue, count in connection.execute(statement).all()}

    @retry_transient
    def claim_job(
        self, queues: Collection[str], worker: str, now: datetime, lease_until: datetime
    ) -> Job | None:
        if not queues:
            return None
        candidate = (
            select(jobs)
            .where(
                jobs.c.status == JobStatus.QUEUED.value,
                jobs.c.queue.in_(sorted(queues)),
                jobs.c.run_after <= now,
            )
            .order_by(jobs.c.run_after, jobs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )

        def claim(connection: Connection) -> Job | None:
            row = connection.execute(candidate).first()
            if row is None:
                return None
            job = job_from(row)
            values = {
                "status": JobStatus.RUNNING.value,
                "worker": worker,
                "attempts": job.attempts + 1,
                "lease_until": lease_until,
                "started_at": now,
            }
            done = connection.execute(
                update(jobs)
                .where(jobs.c.id == job.id, jobs.c.status == JobStatus.QUEUED.value)
                .values(values)
            )
            if done.rowcount != 1:  # pragma: no cover - the row is locked or SQLite's lock held
                return None
            return _get(connection, job.id)

        return self._write(claim)

    def list_expired_jobs(self, now: datetime, limit: int) -> list[Job]:
        statement = (
            select(jobs)
            .where(jobs.c.status == JobStatus.RUNNING.value, jobs.c.lease_until < now)
            .order_by(jobs.c.lease_until, jobs.c.id)
            .limit(limit)
        )
        with transaction(self._engine) as connection:
            return [job_from(row) for row in connection.execute(statement)]

    @retry_transient
    def update_job(self, job: Job, expected: Job) -> Job | None:
        worker = jobs.c.worker
        held = and_(
            jobs.c.id == expected.id,
            jobs.c.status == expected.status.value,
            jobs.c.attempts == expected.attempts,
            worker.is_(None) if expected.worker is None else worker == expected.worker,
        )

        def swap(connection: Connection) -> Job | None:
            done = connection.execute(update(jobs).where(held).values(job_changes(job)))
            if done.rowcount != 1:
                _get(connection, expected.id)  # JobNotFoundError for a missing job
                return None
            return _get(connection, expected.id)

        return self._write(swap)

    @retry_transient
    def request_cancel(self, job_id: str, at: datetime, error: str) -> Job:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.CANCELLED.value, finished_at=at, worker=None, error=error)
            )
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.RUNNING.value)
                .values(cancel_requested=True)
            )
            return _get(connection, job_id)

    def due_notices(self, now: datetime, limit: int) -> list[Job]:
        finished = [s.value for s in JobStatus if s.final]
        statement = (
            select(jobs)
            .where(
                jobs.c.notify_due_at <= now,
                or_(
                    and_(
                        jobs.c.status == JobStatus.RUNNING.value,
                        jobs.c.notify_stage == int(NoticeStage.NONE),
                    ),
                    and_(
                        jobs.c.status.in_(finished),
                        jobs.c.notify_stage < int(NoticeStage.DONE),
                    ),
                ),
            )
            .order_by(jobs.c.notify_due_at, jobs.c.id)
            .limit(limit)
        )
        with transaction(self._engine) as connection:
            return [job_from(row) for row in connection.execute(statement)]

    @retry_transient
    def update_notice(self, job_id: str, notice: Notice, expected: Notice) -> bool:
        values = notice_row(notice)
        del values["notify_url"], values["notify_secret"]
        held = and_(
            jobs.c.id == job_id,
            jobs.c.notify_url.is_not(None),
            jobs.c.notify_stage == int(expected.stage),
            jobs.c.notify_attempts == expected.attempts,
        )
        with transaction(self._engine, write=True) as connection:
            done = connection.execute(update(jobs).where(held).values(values))
            if done.rowcount != 1:
                _get(connection, job_id)  # JobNotFoundError for a missing job
                return False
            return True


def _get(connection: Connection, job_id: str) -> Job:
    row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise JobNotFoundError("no such job", job_id=job_id)
    return job_from(row)
