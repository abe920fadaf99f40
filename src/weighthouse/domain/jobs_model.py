"""Jobs: a run of an app on pinned input repos, as the catalog keeps it.

A job moves ``queued → running → succeeded | failed | cancelled``. A running job whose
worker's lease runs out goes back to ``queued`` (or ``failed`` once its attempts are used up),
so execution is at least once and each attempt is fenced by ``(worker, attempts)``: a worker
that lost its lease can no longer write to the job.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from weighthouse.domain.model import RepoType

LOG_LINES = 50
"""How many of a job's most recent log lines are kept."""

CANCELLED_QUEUED = "cancelled while queued; it never ran"
"""The error of a job cancelled before any worker claimed it."""
CANCELLED_RUNNING = "cancelled while running"
"""The error of a job its worker stopped because a cancel was asked for."""


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class JobInput:
    """One input repo, by the name the app gives it, pinned to ``commit`` at submission."""

    name: str
    repo_type: RepoType
    repo: str
    """``namespace/name`` as it was at submission."""
    commit: str


@dataclass(frozen=True)
class ResultsTarget:
    """Where a job's result files are committed: a branch of a versioned repo."""

    repo_type: RepoType
    repo: str
    branch: str


@dataclass(frozen=True)
class Progress:
    current: int
    total: int
    context: str = ""


class NoticeStage(enum.IntEnum):
    """How far a job's callbacks got: events are sent in order, each once it is due."""

    NONE = 0
    STARTED = 1
    """``STARTED`` was sent (or given up on); the final event is next."""
    DONE = 2
    """The final event was sent (or given up on): nothing more to send."""


@dataclass(frozen=True)
class Notice:
    """Where a job's events are POSTed, and how far their delivery got.

    ``secret`` is the job's signing secret sealed by the server's secret cipher (its owner got
    it once, at submission). ``attempts`` counts tries of the event now due and grows with
    every claim of it, so it fences concurrent senders; ``due_at`` is when the next try may
    start (``None`` once ``DONE``)."""

    url: str
    secret: str
    stage: NoticeStage = NoticeStage.NONE
    attempts: int = 0
    due_at: datetime | None = None
    error: str | None = None
    """Why the last try failed, or why an event was given up on."""


@dataclass(frozen=True)
class Job:
    id: str
    app: str
    queue: str
    owner_id: str
    created_at: datetime
    run_after: datetime
    """A queued job is not claimed before this (the backoff of a retry)."""
    inputs: tuple[JobInput, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    results: ResultsTarget | None = None
    label: str = ""
    """A caller's own tag for the job (the worker API's ``experiment_id``)."""
    status: JobStatus = JobStatus.QUEUED
    progress: tuple[Progress, ...] = ()
    log: tuple[str, ...] = ()
    error: str | None = None
    output: Mapping[str, Any] | None = None
    result_commit: str | None = None
    attempts: int = 0
    max_attempts: int = 1
    time_limit_seconds: float = 3600.0
    worker: str | None = None
    lease_until: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested: bool = False
    notice: Notice | None = None
    """Callbacks of the job's events, if its owner asked for them."""


@dataclass(frozen=True)
class JobQuery:
    """A page of jobs, newest first. ``None`` filters match everything; ``before`` is the id
    of the last job of the previous page."""

    owner_id: str | None = None
    app: str | None = None
    status: JobStatus | None = None
    before: str | None = None
    limit: int = 100


@dataclass(frozen=True)
class AppSpec:
    """What the domain needs to know of an installed app to queue and check its jobs."""

    name: str
    queue: str
    inputs: Mapping[str, str]
    """Input name to the repo kind it must be: ``model``, ``dataset``, ``bucket`` or ``any``."""
    parameters_schema: Mapping[str, Any]
    time_limit_seconds: float
    max_attempts: int
    description: str = ""
