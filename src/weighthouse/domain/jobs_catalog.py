"""The catalog's role for jobs: the state of record of every job (see
:mod:`~weighthouse.domain.jobs_model`). Part of :class:`~weighthouse.domain.catalog.Catalog`;
the rules of that module hold here too (one transaction per call unless inside a unit of work).

Job ids grow with time (:func:`~weighthouse.domain.jobs.new_job_id`), so listings are newest
first by id and claims take the oldest job that may run.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from weighthouse.domain.jobs_model import Job, JobQuery, JobStatus, Notice


class JobCatalog(Protocol):
    def add_job(self, job: Job) -> None:
        """Store a new job. Raises ``UserNotFoundError`` when its owner does not exist."""
        ...

    def get_job(self, job_id: str) -> Job:
        """Raises ``JobNotFoundError``."""
        ...

    def list_jobs(self, query: JobQuery) -> list[Job]:
        """Jobs matching every filter of ``query``, newest (highest id) first."""
        ...

    def count_jobs(self, app: str) -> dict[JobStatus, int]:
        """How many jobs of ``app`` are in each status; statuses with none are left out."""
        ...

    def count_runnable_jobs(self, queues: Collection[str], since: datetime) -> dict[str, int]:
        """How many ``queued`` jobs of each of ``queues`` have been runnable since ``since``
        (their ``run_after`` is at or before it); queues with none are left out."""
        ...

    def claim_job(
        self, queues: Collection[str], worker: str, now: datetime, lease_until: datetime
    ) -> Job | None:
        """Take the oldest ``queued`` job of one of ``queues`` whose ``run_after`` has come:
        it becomes ``running`` with ``worker`` holding it until ``lease_until``, one more
        attempt, and ``started_at`` of ``now``. Two workers claiming at once never get the
        same job, and neither waits for the other's job. ``None`` when there is nothing to
        run."""
        ...

    def list_expired_jobs(self, now: datetime, limit: int) -> list[Job]:
        """``running`` jobs whose lease ended before ``now``, oldest lease first."""
        ...

    def update_job(self, job: Job, expected: Job) -> Job | None:
        """Compare-and-swap: store ``job``'s status, progress, log, error, output, result
        commit, attempts, worker, lease, run_after and times, if the stored job still has
        ``expected``'s status, worker and attempts. Returns the stored job after the write
        (``cancel_requested`` as others set it), or ``None`` when the job moved on (another
        worker holds it, it was cancelled or it ended): then nothing was written. Raises
        ``JobNotFoundError``."""
        ...

    def request_cancel(self, job_id: str, at: datetime, error: str) -> Job:
        """A ``queued`` job becomes ``cancelled`` at once (finished ``at``, with ``error`` as
        the reason), so it never starts;
        a ``running`` one gets ``cancel_requested`` for its worker to act on; a finished one is
        left as it is. Idempotent. Returns the job after the change. Raises
        ``JobNotFoundError``."""
        ...

    def due_notices(self, now: datetime, limit: int) -> list[Job]:
        """Jobs with a callback event to send whose ``notice.due_at`` has come, earliest
        first: ``running`` ones that have not sent ``STARTED``, and finished ones that have not
        sent their final event. Queued jobs have nothing to send."""
        ...

    def update_notice(self, job_id: str, notice: Notice, expected: Notice) -> bool:
        """Compare-and-swap: store ``notice``'s stage, attempts, due time and error if the
        stored ones still have ``expected``'s stage and attempts. ``False`` when another
        sender moved it on; then nothing was written. Raises ``JobNotFoundError``."""
        ...
