"""Conversions between ``jobs`` rows and :class:`~weighthouse.domain.jobs_model.Job`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from weighthouse.domain.jobs_model import (
    Job,
    JobInput,
    JobStatus,
    Notice,
    NoticeStage,
    Progress,
    ResultsTarget,
)
from weighthouse.domain.model import RepoType


def job_row(job: Job) -> dict[str, Any]:
    """Every column; :func:`job_changes` is the subset a compare-and-swap may change."""
    return {
        "id": job.id,
        "app": job.app,
        "queue": job.queue,
        "owner_id": job.owner_id,
        "label": job.label,
        "inputs": [
            {"name": i.name, "repo_type": i.repo_type.value, "repo": i.repo, "commit": i.commit}
            for i in job.inputs
        ],
        "params": dict(job.params),
        "results": None
        if job.results is None
        else {
            "repo_type": job.results.repo_type.value,
            "repo": job.results.repo,
            "branch": job.results.branch,
        },
        "max_attempts": job.max_attempts,
        "time_limit_seconds": job.time_limit_seconds,
        "cancel_requested": job.cancel_requested,
        "created_at": job.created_at,
        **job_changes(job),
        **notice_row(job.notice),
    }


def notice_row(notice: Notice | None) -> dict[str, Any]:
    """The ``notify_*`` columns: written at submission and by a sender's compare-and-swap,
    never by the job's own writes (:func:`job_changes`)."""
    if notice is None:
        return {
            "notify_url": None,
            "notify_secret": None,
            "notify_stage": int(NoticeStage.NONE),
            "notify_attempts": 0,
            "notify_due_at": None,
            "notify_error": None,
        }
    return {
        "notify_url": notice.url,
        "notify_secret": notice.secret,
        "notify_stage": int(notice.stage),
        "notify_attempts": notice.attempts,
        "notify_due_at": notice.due_at,
        "notify_error": notice.error,
    }


def job_changes(job: Job) -> dict[str, Any]:
    return {
        "status": job.status.value,
        "progress": [
            {"current": p.current, "total": p.total, "context": p.context} for p in job.progress
        ],
        "log": list(job.log),
        "error": job.error,
        "output": None if job.output is None else dict(job.output),
        "result_commit": job.result_commit,
        "attempts": job.attempts,
        "worker": job.worker,
        "run_after": job.run_after,
        "lease_until": job.lease_until,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def job_from(row: Row[Any]) -> Job:
    results = row.results
    return Job(
        id=row.id,
        app=row.app,
        queue=row.queue,
        owner_id=row.owner_id,
        label=row.label,
        created_at=row.created_at,
        run_after=row.run_after,
        inputs=tuple(
            JobInput(i["name"], RepoType(i["repo_type"]), i["repo"], i["commit"])
            for i in row.inputs
        ),
        params=dict(row.params),
        results=None
        if results is None
        else ResultsTarget(RepoType(results["repo_type"]), results["repo"], results["branch"]),
        status=JobStatus(row.status),
        progress=tuple(Progress(p["current"], p["total"], p["context"]) for p in row.progress),
        log=tuple(row.log),
        error=row.error,
        output=None if row.output is None else dict(row.output),
        result_commit=row.result_commit,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        time_limit_seconds=row.time_limit_seconds,
        worker=row.worker,
        lease_until=row.lease_until,
        started_at=row.started_at,
        finished_at=row.finished_at,
        cancel_requested=bool(row.cancel_requested),
        notice=None
        if row.notify_url is None
        else Notice(
            url=row.notify_url,
            secret=row.notify_secret,
            stage=NoticeStage(row.notify_stage),
            attempts=row.notify_attempts,
            due_at=row.notify_due_at,
            error=row.notify_error,
        ),
    )
