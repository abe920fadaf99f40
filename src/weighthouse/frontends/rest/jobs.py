"""Routes for jobs: submit, list, get, cancel, logs and results, and the installed apps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from weighthouse import wire
from weighthouse.domain.jobs import JobRequest
from weighthouse.domain.jobs_model import JobStatus
from weighthouse.domain.paging import MAX_PAGE
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.job_schemas import AppOut, JobCreate, JobCreated, JobOut
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute

router = APIRouter(prefix=wire.JOBS_PREFIX, tags=["jobs"], route_class=JsonLimitRoute)


@router.get("/apps", response_model=list[AppOut])
def list_apps(caller: Caller, hub: Wired) -> list[AppOut]:
    """The installed apps, with their inputs and parameter schemas."""
    return [AppOut.of(spec) for spec in hub.jobs.apps(caller)]


@router.post("", response_model=JobCreated, status_code=201)
def submit_job(body: JobCreate, caller: Caller, hub: Wired) -> JobCreated:
    """Queue a job. Its inputs are pinned to the commits their revisions name now; you must be
    able to read each of them, and write the results branch. With a ``notify_url``, the
    answer's ``notify_secret`` (shown only here) is what its callbacks are signed with."""
    request = JobRequest(
        app=body.app,
        inputs={name: (i.repo_id(), i.revision) for name, i in body.inputs.items()},
        params=body.params,
        results=None if body.results is None else (body.results.repo_id(), body.results.branch),
        label=body.label,
        notify_url=body.notify_url,
    )
    submitted = hub.jobs.start(caller, request)
    return JobCreated(
        **JobOut.of(submitted.job).model_dump(), notify_secret=submitted.notify_secret
    )


@router.get("", response_model=list[JobOut])
def list_jobs(
    caller: Caller,
    hub: Wired,
    app: Annotated[str | None, Query(max_length=64)] = None,
    status: JobStatus | None = None,
    before: Annotated[
        str | None, Query(max_length=64, description="id of the last job seen")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    everyone: bool = False,
) -> list[JobOut]:
    """Your jobs, newest first (site admins: ``everyone``'s)."""
    found = hub.jobs.list(
        caller, app=app, status=status, before=before, limit=limit, everyone=everyone
    )
    return [JobOut.of(job) for job in found]


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: str, caller: Caller, hub: Wired) -> JobOut:
    """One of your jobs: status, progress, recent log lines, error or output."""
    return JobOut.of(hub.jobs.get(caller, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: str, caller: Caller, hub: Wired) -> JobOut:
    """A queued job never starts; a running one stops and ends ``cancelled``."""
    return JobOut.of(hub.jobs.cancel(caller, job_id))


@router.get("/{job_id}/logs")
def job_logs(job_id: str, caller: Caller, hub: Wired) -> dict[str, Any]:
    """The job's most recent log lines."""
    job = hub.jobs.get(caller, job_id)
    return {"id": job.id, "status": job.status.value, "log": list(job.log)}


@router.get("/{job_id}/results")
def job_results(job_id: str, caller: Caller, hub: Wired) -> dict[str, Any]:
    """Where the job's result files are: the repo, its result commit, and the paths that
    commit wrote (download them from the repo at that commit)."""
    job, repo_id, paths = hub.jobs.results(caller, job_id)
    return {
        "id": job.id,
        "type": repo_id.type.value,
        "repo": str(repo_id),
        "commit": job.result_commit,
        "paths": paths,
        "output": job.output,
    }
