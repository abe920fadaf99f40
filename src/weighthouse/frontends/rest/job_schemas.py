"""Request and response bodies of the job routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from weighthouse.domain.job_notices import FINAL_EVENTS
from weighthouse.domain.jobs_model import AppSpec, Job, JobStatus, NoticeStage
from weighthouse.domain.model import RepoId, RepoType
from weighthouse.frontends.rest.schemas import Strict


class RepoRevision(Strict):
    type: RepoType = RepoType.MODEL
    repo: str = Field(description="namespace/name", max_length=200)
    revision: str = Field(default="main", description="a branch, tag or commit; pinned now")

    def repo_id(self) -> RepoId:
        namespace, _, name = self.repo.partition("/")
        return RepoId(self.type, namespace, name)


class ResultsIn(Strict):
    type: RepoType = RepoType.MODEL
    repo: str = Field(description="namespace/name", max_length=200)
    branch: str = Field(default="main", max_length=128)

    def repo_id(self) -> RepoId:
        namespace, _, name = self.repo.partition("/")
        return RepoId(self.type, namespace, name)


class JobCreate(Strict):
    app: str = Field(max_length=64)
    inputs: dict[str, RepoRevision] = Field(default_factory=dict, max_length=16)
    params: dict[str, Any] = Field(default_factory=dict)
    results: ResultsIn | None = Field(
        default=None, description="where result files are committed, one commit per job"
    )
    label: str = Field(default="", max_length=255)
    notify_url: str | None = Field(
        default=None,
        max_length=2048,
        description="an http(s) URL the job's events (STARTED, then SUCCEEDED, FAILED or"
        " CANCELLED) are POSTed to, signed with the notify_secret the answer carries once;"
        " loopback, link-local and private addresses are refused unless the server allows them",
    )


class InputOut(BaseModel):
    name: str
    type: RepoType
    repo: str
    commit: str


class ResultsOut(BaseModel):
    type: RepoType
    repo: str
    branch: str


class ProgressOut(BaseModel):
    current: int
    total: int
    context: str


class NoticeOut(BaseModel):
    url: str
    sent: list[str] = Field(description="the events delivered (or given up on), in order")
    error: str | None = Field(description="why the last delivery failed, if it did")


class JobOut(BaseModel):
    id: str
    app: str
    queue: str
    status: JobStatus
    label: str
    inputs: list[InputOut]
    params: dict[str, Any]
    results: ResultsOut | None
    progress: list[ProgressOut]
    log: list[str]
    error: str | None
    output: dict[str, Any] | None
    result_commit: str | None
    attempts: int
    max_attempts: int
    time_limit_seconds: float
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    notify: NoticeOut | None = None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        results = job.results
        return cls(
            id=job.id,
            app=job.app,
            queue=job.queue,
            status=job.status,
            label=job.label,
            inputs=[
                InputOut(name=i.name, type=i.repo_type, repo=i.repo, commit=i.commit)
                for i in job.inputs
            ],
            params=dict(job.params),
            results=None
            if results is None
            else ResultsOut(type=results.repo_type, repo=results.repo, branch=results.branch),
            progress=[
                ProgressOut(current=p.current, total=p.total, context=p.context)
                for p in job.progress
            ],
            log=list(job.log),
            error=job.error,
            output=None if job.output is None else dict(job.output),
            result_commit=job.result_commit,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            time_limit_seconds=job.time_limit_seconds,
            cancel_requested=job.cancel_requested,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            notify=None if job.notice is None else _notice_out(job),
        )


class JobCreated(JobOut):
    notify_secret: str | None = Field(
        default=None,
        description="the secret the job's callbacks are signed with (HMAC-SHA256 of"
        " '<timestamp>.<body>' in X-Weighthouse-Signature); shown only in this answer",
    )


def _notice_out(job: Job) -> NoticeOut:
    assert job.notice is not None
    stage = job.notice.stage
    sent = []
    if stage >= NoticeStage.STARTED and job.started_at is not None:
        sent.append("STARTED")
    if stage >= NoticeStage.DONE:
        sent.append(FINAL_EVENTS[job.status])
    return NoticeOut(url=job.notice.url, sent=sent, error=job.notice.error)


class AppOut(BaseModel):
    name: str
    description: str
    queue: str
    inputs: dict[str, str]
    parameters_schema: dict[str, Any]
    time_limit_seconds: float
    max_attempts: int

    @classmethod
    def of(cls, spec: AppSpec) -> AppOut:
        return cls(
            name=spec.name,
            description=spec.description,
            queue=spec.queue,
            inputs=dict(spec.inputs),
            parameters_schema=dict(spec.parameters_schema),
            time_limit_seconds=spec.time_limit_seconds,
            max_attempts=spec.max_attempts,
        )
