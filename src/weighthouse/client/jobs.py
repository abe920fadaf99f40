"""Jobs (``/api/jobs``): run an installed app on repos pinned to commits, follow its progress,
cancel it, and find its result commit.

A job's ``status`` is ``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``;
the last three are final. Only the job's owner (and site admins) see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from weighthouse.client.transport import Transport
from weighthouse.domain.model import RepoType
from weighthouse.wire import JOBS_PREFIX

FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class JobProgress:
    current: int
    total: int
    context: str


@dataclass(frozen=True)
class JobInfo:
    id: str
    app: str
    status: str
    label: str
    progress: tuple[JobProgress, ...]
    log: tuple[str, ...]
    error: str | None
    output: dict[str, Any] | None
    result_commit: str | None
    results_repo: str | None
    attempts: int
    created_at: datetime
    finished_at: datetime | None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobInfo:
        results = data.get("results")
        finished = data.get("finished_at")
        return cls(
            id=data["id"],
            app=data["app"],
            status=data["status"],
            label=data.get("label") or "",
            progress=tuple(
                JobProgress(p["current"], p["total"], p.get("context") or "")
                for p in data.get("progress") or ()
            ),
            log=tuple(data.get("log") or ()),
            error=data.get("error"),
            output=data.get("output"),
            result_commit=data.get("result_commit"),
            results_repo=None if not results else f"{results['type']}:{results['repo']}",
            attempts=int(data.get("attempts") or 0),
            created_at=datetime.fromisoformat(data["created_at"]),
            finished_at=datetime.fromisoformat(finished) if finished else None,
        )


def _job_path(job_id: str, *rest: str) -> str:
    return "/".join([JOBS_PREFIX, quote(job_id, safe=""), *rest])


class JobsApi(Transport):
    def submit_job(
        self,
        app: str,
        *,
        inputs: Mapping[str, tuple[str, RepoType | str, str]] | None = None,
        params: Mapping[str, Any] | None = None,
        results: tuple[str, RepoType | str, str] | None = None,
        label: str = "",
    ) -> JobInfo:
        """Queue a job of ``app``. ``inputs`` maps each input the app declares to
        ``(repo, repo type, revision)``; ``results`` is ``(repo, repo type, branch)``."""
        body: dict[str, Any] = {
            "app": app,
            "inputs": {
                name: {"repo": repo, "type": str(RepoType(kind)), "revision": revision}
                for name, (repo, kind, revision) in (inputs or {}).items()
            },
            "params": dict(params or {}),
            "label": label,
        }
        if results is not None:
            repo, kind, branch = results
            body["results"] = {"repo": repo, "type": str(RepoType(kind)), "branch": branch}
        return JobInfo.from_json(self.request("POST", JOBS_PREFIX, json=body).json())

    def get_job(self, job_id: str) -> JobInfo:
        """``job_not_found`` (404) for a job that is not the caller's."""
        return JobInfo.from_json(self.request("GET", _job_path(job_id)).json())

    def list_jobs(
        self, *, app: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[JobInfo]:
        """The caller's jobs, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if app:
            params["app"] = app
        if status:
            params["status"] = status
        found = self.request("GET", JOBS_PREFIX, params=params).json()
        return [JobInfo.from_json(job) for job in found]

    def cancel_job(self, job_id: str) -> JobInfo:
        return JobInfo.from_json(self.request("POST", _job_path(job_id, "cancel")).json())

    def job_logs(self, job_id: str) -> list[str]:
        return list(self.request("GET", _job_path(job_id, "logs")).json()["log"])

    def wait_job(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        poll: float = 0.5,
        on_update: Callable[[JobInfo], object] | None = None,
    ) -> JobInfo:
        """Poll until the job is final; ``on_update`` sees every state fetched. Raises
        ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if on_update is not None:
                on_update(job)
            if job.final:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job.status}")
            time.sleep(poll)
