"""The replaced worker API's routes, per app, under ``/apps`` (``wire.WORKER_API_PREFIX``):
``POST /apps/<app>/start``, ``GET /apps/<app>/<id>/status``, ``POST /apps/<app>/<id>/cancel``,
``GET /apps/<app>/qsizes``, ``GET /apps/<app>/monitor`` and ``GET /apps/<app>/<id>/result``.

They run on the same use cases as ``/api/jobs`` and need a token like every other route; errors
are the REST envelope with a real status code. Differences from the replaced API, on purpose:
a failed job's status is ``ERROR`` with its message (never ``null``), a cancelled one is
``CANCELLED``, and an id of another app's job or another user's is 404.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from weighthouse import wire
from weighthouse.domain.errors import EntryNotFoundError, JobNotFoundError
from weighthouse.domain.jobs import JobRequest
from weighthouse.domain.jobs_model import Job, JobStatus
from weighthouse.frontends.downloads import blob_response, preload
from weighthouse.frontends.rest.dependencies import Caller, Wired
from weighthouse.frontends.rest.job_schemas import RepoRevision, ResultsIn
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import Strict

router = APIRouter(prefix=wire.WORKER_API_PREFIX, tags=["worker API"], route_class=JsonLimitRoute)

INFOS = 10
"""Log lines a status carries, as the replaced API's ``infos``."""

STATUS_NAMES = {
    JobStatus.QUEUED: "PENDING",
    JobStatus.RUNNING: "PROGRESS",
    JobStatus.SUCCEEDED: "SUCCESS",
    JobStatus.FAILED: "ERROR",
    JobStatus.CANCELLED: "CANCELLED",
}


ENDED_EARLY = (JobStatus.FAILED, JobStatus.CANCELLED)


class StartBody(Strict):
    experiment_id: str | None = Field(default=None, max_length=255)
    inputs: dict[str, RepoRevision] = Field(default_factory=dict, max_length=16)
    parameters: dict[str, Any] = Field(default_factory=dict)
    results: ResultsIn | None = None
    notify_url: str | None = Field(
        default=None, max_length=2048, description="as ``notify_url`` of ``POST /api/jobs``"
    )


def _own_job(hub: Wired, caller: Caller, app: str, tracking_id: str) -> Job:
    job = hub.jobs.get(caller, tracking_id)
    if job.app != app:
        raise JobNotFoundError("no such job", job_id=tracking_id)
    return job


def status_log(job: Job) -> dict[str, Any]:
    return {
        "status": STATUS_NAMES[job.status],
        "progress": [
            {"current": p.current, "total": p.total, "context": p.context} for p in job.progress
        ],
        "infos": list(job.log[-INFOS:]),
        # A failed job's message, or why a cancelled one ended; never ``null``.
        "errors": [job.error] if job.status in ENDED_EARLY and job.error else [],
        "output": job.output,
    }


@router.post("/{app}/start")
def worker_api_start(
    app: str, body: StartBody, caller: Caller, hub: Wired
) -> dict[str, str | None]:
    """Queue a job of ``app``; the ``experiment_id`` is yours to choose (one is made if not).
    With a ``notify_url``, ``notify_secret`` (shown only here) signs its callbacks."""
    experiment_id = body.experiment_id or secrets.token_hex(8)
    request = JobRequest(
        app=app,
        inputs={name: (i.repo_id(), i.revision) for name, i in body.inputs.items()},
        params=body.parameters,
        results=None if body.results is None else (body.results.repo_id(), body.results.branch),
        label=experiment_id,
        notify_url=body.notify_url,
    )
    submitted = hub.jobs.start(caller, request)
    answer: dict[str, str | None] = {
        "tracking_id": submitted.job.id,
        "experiment_id": experiment_id,
    }
    if submitted.notify_secret is not None:
        answer["notify_secret"] = submitted.notify_secret
    return answer


@router.get("/{app}/qsizes")
def worker_api_qsizes(app: str, caller: Caller, hub: Wired) -> dict[str, Any]:
    """The app's queue and how many jobs wait in it."""
    return {"queues": _queues(hub, caller, app)}


@router.get("/{app}/monitor")
def worker_api_monitor(app: str, caller: Caller, hub: Wired) -> dict[str, Any]:
    """The app's queue and its jobs by status."""
    counts = hub.jobs.queue_sizes(caller, app)
    return {
        "queues": _queues(hub, caller, app),
        "jobs": {status.value: counts.get(status, 0) for status in JobStatus},
    }


def _queues(hub: Wired, caller: Caller, app: str) -> dict[str, Any]:
    queue = hub.jobs.app(app).queue
    waiting = hub.jobs.queue_sizes(caller, app).get(JobStatus.QUEUED, 0)
    return {queue: {"name": queue, "size": waiting}}


@router.get("/{app}/{tracking_id}/status")
def worker_api_status(app: str, tracking_id: str, caller: Caller, hub: Wired) -> dict[str, Any]:
    """``{tracking_id, experiment_id, log: {status, progress, infos, errors, output}}``."""
    job = _own_job(hub, caller, app, tracking_id)
    return {"tracking_id": job.id, "experiment_id": job.label, "log": status_log(job)}


@router.post("/{app}/{tracking_id}/cancel")
def worker_api_cancel(app: str, tracking_id: str, caller: Caller, hub: Wired) -> dict[str, str]:
    """A queued job never starts; a running one stops."""
    _own_job(hub, caller, app, tracking_id)
    hub.jobs.cancel(caller, tracking_id)
    return {"tracking_id": tracking_id}


@router.get("/{app}/{tracking_id}/result", response_model=None)
async def worker_api_result(
    app: str,
    tracking_id: str,
    request: Request,
    caller: Caller,
    hub: Wired,
    path: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response | dict[str, Any]:
    """A result file of the job (``path``; may be left out when there is one), with Range and
    ``Content-Disposition``; with several files and no ``path``, their list."""

    def find() -> tuple[Any, bytes | None] | dict[str, Any]:
        _own_job(hub, caller, app, tracking_id)
        job, repo_id, paths = hub.jobs.results(caller, tracking_id)
        chosen = path
        if chosen is None:
            if len(paths) != 1:
                return {"tracking_id": job.id, "paths": paths}
            chosen = paths[0]
        if chosen not in paths:
            raise EntryNotFoundError("the job wrote no such file", path=chosen)
        assert job.result_commit is not None
        _, download = hub.files.download(caller, repo_id, job.result_commit, chosen)
        return download, preload(hub.files.reader, download)

    found = await run_in_threadpool(find)
    if isinstance(found, dict):
        return found
    download, preloaded = found
    return blob_response(request, download, hub.files.reader, preloaded=preloaded)
