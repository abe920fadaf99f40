"""Jobs as their owners see them: submit, get, list, cancel.

Submitting checks everything a job will touch through the one permission service before it is
queued: its owner reads every input (each pinned to the commit its revision names now) and
writes the results branch. The runner checks both again when the job runs
(:mod:`~weighthouse.domain.job_runs`), so a permission removed meanwhile still counts. A job is
visible only to its owner and to site admins; to anyone else it does not exist
(``JobNotFoundError``), like a private repo.

:meth:`Jobs.submit` is one catalog write, so a caller that opens a unit of work (a push that
queues an inspection) enqueues the job in the same transaction as what triggers it; the
workers hear of it only once that transaction commits.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from weighthouse.domain.access import Principal, require_user, require_writing_user
from weighthouse.domain.catalog import UnitOfWork, UserCatalog
from weighthouse.domain.errors import (
    AppNotFoundError,
    EntryNotFoundError,
    InvalidInputError,
    InvalidNotifyUrlError,
    JobNotFoundError,
)
from weighthouse.domain.job_notices import OutboundPolicy, new_notice
from weighthouse.domain.job_params import check_params
from weighthouse.domain.jobs_catalog import JobCatalog
from weighthouse.domain.jobs_model import (
    CANCELLED_QUEUED,
    AppSpec,
    Job,
    JobInput,
    JobQuery,
    JobStatus,
    ResultsTarget,
)
from weighthouse.domain.model import EntryKind, RefKind, RepoId, Role
from weighthouse.domain.names import check_ref_name
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import Clock, JobDispatch, SecretCipher
from weighthouse.domain.repos import find_repo, require_versioned
from weighthouse.domain.revisions import VersionedCatalog, resolve

LABEL_MAX = 255
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class JobsCatalog(JobCatalog, VersionedCatalog, UserCatalog, UnitOfWork, Protocol):
    """What :class:`Jobs` uses: jobs, and the repos and history their inputs name."""


@dataclass(frozen=True)
class JobRequest:
    """A job to submit: ``inputs`` maps each input the app declares to a repo and a revision;
    ``results`` names the repo and branch result files are committed to, if any."""

    app: str
    inputs: Mapping[str, tuple[RepoId, str]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    results: tuple[RepoId, str] | None = None
    label: str = ""
    notify_url: str | None = None
    """Where the job's events are POSTed (see :mod:`~weighthouse.domain.job_notices`)."""


@dataclass(frozen=True)
class Submitted:
    job: Job
    notify_secret: str | None
    """The secret the job's callbacks are signed with; shown only now."""


def new_job_id(now: datetime) -> str:
    """32 hex digits: the millisecond of ``now``, then 80 random bits, so ids sort by age (to
    the millisecond) and cannot be guessed."""
    millisecond = (now - _EPOCH) // timedelta(milliseconds=1)
    return f"{millisecond:012x}{secrets.token_hex(10)}"


class _NoDispatch:
    def queued(self, queue: str) -> None:
        pass


class Jobs:
    def __init__(
        self,
        catalog: JobsCatalog,
        apps: Mapping[str, AppSpec],
        clock: Clock,
        dispatch: JobDispatch | None = None,
        *,
        outbound: OutboundPolicy | None = None,
        cipher: SecretCipher | None = None,
    ) -> None:
        """Without ``outbound`` and ``cipher``, jobs with a ``notify_url`` are refused."""
        self._catalog = catalog
        self._apps = dict(apps)
        self._clock = clock
        self._dispatch = dispatch or _NoDispatch()
        self._outbound = outbound
        self._cipher = cipher

    def apps(self, principal: Principal) -> list[AppSpec]:
        """The installed apps, by name, for signed-in callers."""
        require_user(principal)
        return [self._apps[name] for name in sorted(self._apps)]

    def app(self, name: str) -> AppSpec:
        """Raises ``AppNotFoundError`` for an app that is not installed."""
        spec = self._apps.get(name)
        if spec is None:
            raise AppNotFoundError(f"no app named {name[:64]!r} is installed", app=name[:64])
        return spec

    def submit(self, principal: Principal, request: JobRequest) -> Job:
        return self.start(principal, request).job

    def start(self, principal: Principal, request: JobRequest) -> Submitted:
        """Queue a job; with its callbacks' secret when it has a ``notify_url``."""
        user = require_writing_user(principal)
        spec = self.app(request.app)
        if len(request.label) > LABEL_MAX:
            raise InvalidInputError(f"a label must be at most {LABEL_MAX} characters")
        params = check_params(spec.parameters_schema, request.params)
        inputs = self._pin_inputs(principal, spec, request.inputs)
        results = None
        if request.results is not None:
            repo_id, branch = request.results
            check_ref_name(branch)
            repo = find_repo(self._catalog, principal, repo_id, Role.WRITE)
            require_versioned(repo)
            self._catalog.get_ref(repo.id, RefKind.BRANCH, branch)
            results = ResultsTarget(repo.type, repo.full_name, branch)
        now = self._clock()
        job_id = new_job_id(now)
        notice, secret = None, None
        if request.notify_url is not None:
            if self._cipher is None:
                raise InvalidNotifyUrlError("this server sends no job callbacks")
            notice, secret = new_notice(request.notify_url, job_id, self._outbound, self._cipher)
            notice = replace(notice, due_at=now)
        job = Job(
            id=job_id,
            app=spec.name,
            queue=spec.queue,
            owner_id=user.id,
            created_at=now,
            run_after=now,
            inputs=inputs,
            params=params,
            results=results,
            label=request.label,
            max_attempts=spec.max_attempts,
            time_limit_seconds=spec.time_limit_seconds,
            notice=notice,
        )
        self._catalog.add_job(job)
        # Only once the job is committed: a worker told earlier (a push's unit of work still
        # holding it) would find nothing and drop the hint, and the job would wait for the
        # sweeper. A crash between the commit and the hint is the sweeper's to cover.
        queue = job.queue
        self._catalog.after_commit(lambda: self._dispatch.queued(queue))
        return Submitted(job, secret)

    def _pin_inputs(
        self,
        principal: Principal,
        spec: AppSpec,
        wanted: Mapping[str, tuple[RepoId, str]],
    ) -> tuple[JobInput, ...]:
        unknown = sorted(set(wanted) - set(spec.inputs))
        if unknown:
            raise InvalidInputError(f"app {spec.name!r} has no input {unknown[0]!r}")
        pinned = []
        for name, kind in sorted(spec.inputs.items()):
            if name not in wanted:
                raise InvalidInputError(f"app {spec.name!r} needs the input {name!r}", input=name)
            repo_id, revision = wanted[name]
            repo = find_repo(self._catalog, principal, repo_id, Role.READ)
            if kind != "any" and repo.type.value != kind:
                raise InvalidInputError(
                    f"input {name!r} must be a {kind} repo, not a {repo.type.value}", input=name
                )
            commit = resolve(self._catalog, repo, revision).commit
            pinned.append(JobInput(name, repo.type, repo.full_name, commit.id))
        return tuple(pinned)

    def get(self, principal: Principal, job_id: str) -> Job:
        """The job, if the caller owns it or is a site admin; ``JobNotFoundError`` otherwise."""
        user = require_user(principal)
        if len(job_id) > 64 or not job_id.isalnum():
            raise JobNotFoundError("no such job", job_id=job_id[:64])
        job = self._catalog.get_job(job_id)
        if job.owner_id != user.id and not principal.is_admin:
            raise JobNotFoundError("no such job", job_id=job_id)
        return job

    def list(
        self,
        principal: Principal,
        *,
        app: str | None = None,
        status: JobStatus | None = None,
        before: str | None = None,
        limit: int = 100,
        everyone: bool = False,
    ) -> list[Job]:
        """The caller's jobs, newest first; a site admin may ask for ``everyone``'s."""
        user = require_user(principal)
        check_limit(limit)
        if everyone and not principal.is_admin:
            raise InvalidInputError("only site admins may list everyone's jobs")
        owner = None if everyone else user.id
        return self._catalog.list_jobs(JobQuery(owner, app, status, before, limit))

    def cancel(self, principal: Principal, job_id: str) -> Job:
        """A queued job never starts; a running one is asked to stop (its worker ends it
        ``cancelled``); a finished one is returned unchanged."""
        self.get(principal, job_id)
        require_writing_user(principal)
        return self._catalog.request_cancel(job_id, self._clock(), CANCELLED_QUEUED)

    def queue_sizes(self, principal: Principal, app: str) -> dict[JobStatus, int]:
        """How many of ``app``'s jobs, everyone's, are in each status (counts only)."""
        require_user(principal)
        self.app(app)
        return self._catalog.count_jobs(app)

    def results(self, principal: Principal, job_id: str) -> tuple[Job, RepoId, builtins.list[str]]:
        """A finished job's results: the repo they went to and the paths its result commit
        added or changed (found by comparing trees with the commit's parent, descending only
        into folders that differ). The caller must still be able to read that repo. Raises
        ``EntryNotFoundError`` for a job without a result commit."""
        job = self.get(principal, job_id)
        if job.results is None or job.result_commit is None:
            raise EntryNotFoundError("this job has no result files", job_id=job_id)
        namespace, _, name = job.results.repo.partition("/")
        repo_id = RepoId(job.results.repo_type, namespace, name)
        repo = find_repo(self._catalog, principal, repo_id, Role.READ)
        commit = self._catalog.get_commit(repo.id, job.result_commit)
        before = None
        if commit.parent_id is not None:
            before = self._catalog.get_commit(repo.id, commit.parent_id).tree_id
        paths: builtins.list[str] = []
        self._changed(repo.id, commit.tree_id, before, "", paths)
        return job, repo_id, paths

    def _changed(
        self,
        repo_id: str,
        tree_id: str,
        before_id: str | None,
        prefix: str,
        paths: builtins.list[str],
    ) -> None:
        if tree_id == before_id:
            return
        before = {}
        if before_id is not None:
            before = {e.name: e for e in self._catalog.get_tree(repo_id, before_id).entries}
        for entry in self._catalog.get_tree(repo_id, tree_id).entries:
            old = before.get(entry.name)
            path = f"{prefix}{entry.name}"
            if entry.kind is EntryKind.DIRECTORY:
                assert entry.tree_id is not None
                old_tree = old.tree_id if old is not None else None
                self._changed(repo_id, entry.tree_id, old_tree, f"{path}/", paths)
            elif old is None or (old.sha256, old.kind) != (entry.sha256, entry.kind):
                paths.append(path)
