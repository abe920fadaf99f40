"""Jobs in the browser: the visitor's jobs (filtered by status and app), one job with its live
progress, log lines, error and result commit, cancelling it, and running an app on a repo.

Every page goes through :class:`~weighthouse.domain.jobs.Jobs`, which shows a job only to its
owner and to site admins (anyone else gets the 404 of a job that does not exist). The job page
polls :func:`status` for its progress: a JSON view of the same job, read by ``jobs.js`` (the page
policy allows no inline script).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.jobs import JobRequest
from weighthouse.domain.jobs_model import Job, JobStatus
from weighthouse.domain.model import RepoId
from weighthouse.domain.repos import DEFAULT_BRANCH
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.repo_pages import repo_id_of
from weighthouse.frontends.web.visitors import Visitor

JOBS_PAGE = 30
STATUSES = [s.value for s in JobStatus]


def _signin(request: Request) -> Response:
    return RedirectResponse(urls.page("signin", next=request.url.path), status_code=303)


def result_url(job: Job) -> str | None:
    """The page of the job's result commit, once there is one."""
    if job.results is None or job.result_commit is None:
        return None
    namespace, _, name = job.results.repo.partition("/")
    return urls.repo(RepoId(job.results.repo_type, namespace, name), f"commit/{job.result_commit}")


def input_url(job: Job, index: int) -> str:
    pinned = job.inputs[index]
    namespace, _, name = pinned.repo.partition("/")
    return urls.repo(RepoId(pinned.repo_type, namespace, name), "tree", rev=pinned.commit)


def jobs_list(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    container = container_of(request)
    query = request.query_params
    status_name = query.get("status", "")
    status = JobStatus(status_name) if status_name in STATUSES else None
    app = query.get("app", "") or None
    before = query.get("before") or None
    found = container.jobs.list(
        visitor.principal, app=app, status=status, before=before, limit=JOBS_PAGE + 1
    )
    following = None
    if len(found) > JOBS_PAGE:
        found = found[:JOBS_PAGE]
        following = urls.page("jobs", status=status_name or None, app=app, before=found[-1].id)
    context = {
        "title": "Jobs",
        "jobs": found,
        "apps": [spec.name for spec in container.jobs.apps(visitor.principal)],
        "statuses": STATUSES,
        "status": status.value if status else "",
        "app": app or "",
        "next_url": following,
        "first_url": urls.page("jobs", status=status_name or None, app=app) if before else None,
    }
    return Page("jobs.html", context)


def job_page(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    job = container_of(request).jobs.get(visitor.principal, request.path_params["id"])
    context = {
        "title": f"Job {job.id[:12]} ({job.app})",
        "job": job,
        "state": state_of(job),
        "inputs": [(pinned, input_url(job, n)) for n, pinned in enumerate(job.inputs)],
        "result_url": result_url(job),
        "status_url": urls.page(f"jobs/{job.id}/status"),
    }
    return Page("job.html", context)


def state_of(job: Job) -> dict[str, Any]:
    """What the job page shows and its script refreshes: status, progress bars, log lines,
    error and the result commit's page."""
    return {
        "id": job.id,
        "status": job.status.value,
        "final": job.status.final,
        "cancel_requested": job.cancel_requested,
        "progress": [
            {"current": p.current, "total": p.total, "context": p.context} for p in job.progress
        ],
        "log": list(job.log),
        "error": job.error,
        "result_url": result_url(job),
    }


def status(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    """The job's state as JSON, for the job page's refresh; never cached."""
    job = container_of(request).jobs.get(visitor.principal, request.path_params["id"])
    return JSONResponse(state_of(job), headers={"Cache-Control": "no-store"})


def cancel(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    job = container_of(request).jobs.cancel(visitor.principal, request.path_params["id"])
    return RedirectResponse(urls.page(f"jobs/{job.id}"), status_code=303)


def _params(text: str) -> dict[str, Any]:
    try:
        params = json.loads(text or "{}")
    except ValueError:
        raise InvalidInputError("the parameters must be a JSON object") from None
    if not isinstance(params, dict):
        raise InvalidInputError("the parameters must be a JSON object")
    return params


def run(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    """Submit a job of the form's app on this repo at the form's revision; with ``results``
    ticked, its result files are committed to that revision (which must then be a branch)."""
    if visitor.user is None:
        return _signin(request)
    container = container_of(request)
    jobs = container.jobs
    repo_id = repo_id_of(request)
    # The page's repo must be one the visitor sees, even for an app that reads no input and
    # writes no results: a job is never started from the page of a repo that "does not exist".
    container.repos.get(visitor.principal, repo_id)
    spec = jobs.app(form.get("app", ""))
    revision = form.get("rev", "") or DEFAULT_BRANCH
    job = jobs.submit(
        visitor.principal,
        JobRequest(
            app=spec.name,
            inputs=dict.fromkeys(spec.inputs, (repo_id, revision)),
            params=_params(form.get("params", "")),
            results=(repo_id, revision) if form.get("results") == "on" else None,
            label=form.get("label", "").strip(),
        ),
    )
    return RedirectResponse(urls.page(f"jobs/{job.id}"), status_code=303)
