"""Jobs as workers see them: claim one with a lease, report progress (which renews the lease
and tells the worker whether to stop), finish it, and put back the jobs of workers that died.

Every write is a compare-and-swap on the job's ``(status, worker, attempts)``
(:meth:`~weighthouse.domain.jobs_catalog.JobCatalog.update_job`), so once a lease has run out
and the job was put back or claimed again, the old worker's writes change nothing and it is
told so (``None``). A job's result files become one commit in the same unit of work as the
job's ``succeeded``: a worker that lost its lease, or crashed before that unit committed,
leaves no commit behind, and the attempt that does finish commits exactly once.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from weighthouse.domain.access import Principal
from weighthouse.domain.catalog import UnitOfWork, UserCatalog
from weighthouse.domain.commits import AddFile, Commits
from weighthouse.domain.errors import PermissionDeniedError
from weighthouse.domain.file_findings import findings_of
from weighthouse.domain.findings_catalog import FindingsCatalog
from weighthouse.domain.jobs_catalog import JobCatalog
from weighthouse.domain.jobs_model import CANCELLED_RUNNING, LOG_LINES, Job, JobStatus, Progress
from weighthouse.domain.model import RepoId, Scope
from weighthouse.domain.ports import Clock

LINE_MAX = 2000
PROGRESS_MAX = 20
EXPIRED_BATCH = 100


class JobRunsCatalog(JobCatalog, FindingsCatalog, UserCatalog, UnitOfWork, Protocol):
    """What :class:`JobRuns` uses: jobs, their owners, findings, and units of work."""


class JobRuns:
    def __init__(
        self,
        catalog: JobRunsCatalog,
        commits: Commits,
        clock: Clock,
        *,
        lease_seconds: float = 30.0,
        backoff_seconds: float = 2.0,
    ) -> None:
        self._catalog = catalog
        self._commits = commits
        self._clock = clock
        self._lease = timedelta(seconds=lease_seconds)
        self._backoff = backoff_seconds

    def claim(self, queues: Collection[str], worker: str) -> Job | None:
        """The oldest job of ``queues`` that may run, now held by ``worker``; ``None`` if none."""
        now = self._clock()
        return self._catalog.claim_job(queues, worker, now, now + self._lease)

    def waiting(self, queues: Collection[str], seconds: float) -> dict[str, int]:
        """How many queued jobs of each of ``queues`` could have run ``seconds`` ago already
        and still wait: what an engine whose hints can be lost sends again."""
        return self._catalog.count_runnable_jobs(queues, self._clock() - timedelta(seconds=seconds))

    def owner(self, job: Job) -> Principal:
        """Who the job acts as: its owner with a write-scoped credential, so every read and
        write it makes asks the permission service as the owner would. A disabled owner's
        jobs act as nobody (``PermissionDeniedError``)."""
        user = self._catalog.get_user_by_id(job.owner_id)
        if user.disabled:
            raise PermissionDeniedError("the job's owner is disabled")
        return Principal(user=user, scope=Scope.WRITE)

    def heartbeat(
        self, job: Job, *, progress: Sequence[Progress] = (), lines: Sequence[str] = ()
    ) -> Job | None:
        """Renew the lease, record ``progress`` and append ``lines`` (see :func:`reported`).
        Returns the job as stored (``cancel_requested`` tells the worker to stop), or ``None``
        when the worker no longer holds it."""
        changed = replace(reported(job, progress, lines), lease_until=self._clock() + self._lease)
        return self._catalog.update_job(changed, job)

    def fail(self, job: Job, error: str) -> Job | None:
        return self._end(job, JobStatus.FAILED, error=error or "failed")

    def cancelled(self, job: Job) -> Job | None:
        return self._end(job, JobStatus.CANCELLED, error=CANCELLED_RUNNING)

    def succeed(
        self, job: Job, output: dict[str, Any], files: Sequence[AddFile] = ()
    ) -> Job | None:
        """End the job ``succeeded`` with ``output``; ``files`` (blobs already uploaded as the
        owner, see :meth:`Commits.upload_blob`) become one commit to its results branch in
        the same unit of work. ``None``, and no commit, when the worker lost the job."""
        if not files:

            def end_with_findings() -> Job | None:
                ended = self._end(job, JobStatus.SUCCEEDED, output=output)
                if ended is not None:
                    # Stored with the ending, so a finding is never lost nor orphaned.
                    found = findings_of(ended)
                    if found:
                        self._catalog.put_findings(found)
                return ended

            return self._catalog.run_atomic(end_with_findings)
        if job.results is None:
            return self.fail(job, "the job wrote result files but names no results repo")
        owner = self.owner(job)
        target = job.results
        namespace, _, name = target.repo.partition("/")
        repo_id = RepoId(target.repo_type, namespace, name)

        def commit_and_end() -> Job | None:
            # Commits asks the permission service as the owner: write on the results repo.
            commit = self._commits.commit(
                owner,
                repo_id,
                target.branch,
                files,
                message=f"Results of {job.app} job {job.id}",
            )
            ended = self._end(job, JobStatus.SUCCEEDED, output=output, result_commit=commit.id)
            if ended is None:
                raise _LostLeaseError
            return ended

        try:
            return self._catalog.run_atomic(commit_and_end)
        except _LostLeaseError:
            return None

    def _end(
        self,
        job: Job,
        status: JobStatus,
        *,
        output: dict[str, Any] | None = None,
        error: str | None = None,
        result_commit: str | None = None,
    ) -> Job | None:
        ended = replace(
            job,
            status=status,
            output=output,
            error=error,
            result_commit=result_commit,
            lease_until=None,
            finished_at=self._clock(),
        )
        return self._catalog.update_job(ended, job)

    def recover(self) -> int:
        """Put back the jobs whose worker's lease ran out: cancelled if that was asked for,
        queued again (after a jittered, doubling backoff) while attempts remain, failed
        otherwise. Returns how many were changed; safe to run from every worker at once."""
        now = self._clock()
        changed = 0
        for job in self._catalog.list_expired_jobs(now, EXPIRED_BATCH):
            if job.cancel_requested:
                done = self._end(job, JobStatus.CANCELLED, error=CANCELLED_RUNNING)
            elif job.attempts < job.max_attempts:
                delay = self._backoff * 2 ** (job.attempts - 1) * random.uniform(0.5, 1.0)
                done = self._catalog.update_job(
                    replace(
                        job,
                        status=JobStatus.QUEUED,
                        worker=None,
                        lease_until=None,
                        run_after=now + timedelta(seconds=delay),
                        log=(*job.log, f"attempt {job.attempts} lost its worker; retrying")[
                            -LOG_LINES:
                        ],
                    ),
                    job,
                )
            else:
                done = self._end(
                    job,
                    JobStatus.FAILED,
                    error=f"its worker stopped responding ({job.attempts} attempts)",
                )
            changed += done is not None
        return changed


def reported(job: Job, progress: Sequence[Progress], lines: Sequence[str]) -> Job:
    """``job`` with ``progress`` recorded (each replacing the entry of its context) and
    ``lines`` appended to its log, as the next write of it (a heartbeat or its ending) will
    store them."""
    if progress:
        by_context = {p.context: p for p in job.progress}
        by_context.update((p.context, p) for p in progress)
        job = replace(job, progress=tuple(by_context.values())[-PROGRESS_MAX:])
    if lines:
        log = (*job.log, *(line[:LINE_MAX] for line in lines))
        job = replace(job, log=log[-LOG_LINES:])
    return job


class _LostLeaseError(Exception):
    """Rolls back a result commit whose job another worker now holds."""
