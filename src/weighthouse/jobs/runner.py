"""One job, run: the owner's view of its inputs, a heartbeat thread that renews the lease and
hears about cancels, the time limit, and the ending (results committed, or the error).

A cancelled or overdue app stops at its next ``progress`` or ``check_cancelled`` call. One
that makes no such call is ended by the heartbeat thread once ``cancel_grace_seconds`` have
passed: the job is then final, and whatever the app still does changes nothing, since every
write of this attempt is fenced by its lease (see :mod:`~weighthouse.domain.job_runs`). With
``isolation = "process"`` the app runs in a process of its own (:mod:`.isolation`), which is
killed then, so the app stops too.

There, the time limit runs from when the app's process says it is ready (its interpreter up
and the app imported), not from when the job was claimed: a new interpreter takes seconds on a
busy host, and an app may import a great deal. Start-up has its own bound,
``startup_seconds``, past which the job fails and the process is killed.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from weighthouse.apps.contract import App, AppFailed, JobCancelled
from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile, Commits
from weighthouse.domain.errors import DomainError
from weighthouse.domain.files import Files
from weighthouse.domain.job_runs import JobRuns, reported
from weighthouse.domain.jobs_model import CANCELLED_RUNNING, Job, Progress
from weighthouse.domain.model import RepoId
from weighthouse.jobs.context import RunContext, Scratch
from weighthouse.jobs.inputs import PinnedRepo
from weighthouse.jobs.isolation import AppHost, WorkerStopping

log = logging.getLogger("weighthouse.jobs")

REPORT_EVERY = 1.0
"""Seconds between progress writes an app's own calls cause; more frequent calls only update
what the next write carries."""


@dataclass(frozen=True)
class RunnerOptions:
    lease_seconds: float = 30.0
    cancel_grace_seconds: float = 10.0
    scratch_root: Path | None = None
    isolation: Literal["thread", "process"] = "thread"
    startup_seconds: float = 120.0
    """How long an app's process may take to become ready for a job (``isolation =
    "process"``); the job's time limit runs only from then."""
    app_idle_seconds: float = 60.0
    """How long an app's process stays up with no job before it exits (``isolation =
    "process"``); the next job starts a new one."""


class JobRunner:
    def __init__(
        self,
        runs: JobRuns,
        files: Files,
        commits: Commits,
        apps: Mapping[str, App],
        options: RunnerOptions,
    ) -> None:
        self._runs = runs
        self._files = files
        self._commits = commits
        self._apps = dict(apps)
        self._options = options
        self._local = threading.local()
        self._hosts: list[AppHost] = []
        self._hosts_lock = threading.Lock()
        self._closing = threading.Event()
        self._sweeper: threading.Thread | None = None

    def run(self, job: Job) -> Job | None:
        """Run a job this worker has claimed to its end; the job as it ended, or ``None``
        when another worker or an ending took it over meanwhile."""
        app = self._apps.get(job.app)
        if app is None:
            return self._runs.fail(job, f"the app {job.app!r} is not installed on this worker")
        scratch = Scratch(job.id, self._options.scratch_root)
        try:
            if self._options.isolation != "process":
                return self._run(app, job, scratch)
            with self._host().in_use():
                return self._run(app, job, scratch)
        finally:
            scratch.remove()

    def _run(self, app: App, job: Job, scratch: Scratch) -> Job | None:
        try:
            owner = self._runs.owner(job)
            inputs = {i.name: self._pin(owner, job, i.name, scratch) for i in job.inputs}
        except DomainError as exc:
            return self._runs.fail(job, exc.message)
        try:
            # Now rather than when the app is sent: a new interpreter may take seconds on a busy
            # host, and the job's start-up bound runs from the sending.
            self.warm()
        except OSError as exc:
            return self._runs.fail(job, f"the app's process did not start: {exc}")
        tracker = _Tracker(self._runs, job, self._options)
        context = RunContext(job.id, job.params, inputs, scratch, tracker)
        tracker.start()
        try:
            output = self._call(app, context, scratch, tracker)
        except WorkerStopping:
            # The job keeps its lease until it runs out, then runs again elsewhere.
            raise
        except JobCancelled:
            return tracker.end_stopped()
        except AppFailed as exc:
            error = str(exc) or "failed"
            return tracker.end(lambda held: self._runs.fail(held, error))
        except Exception as exc:
            log.warning("job %s of %s raised", job.id, job.app, exc_info=True)
            error = _describe(exc)
            return tracker.end(lambda held: self._runs.fail(held, error))
        finally:
            tracker.stop()
        if tracker.should_stop():
            return tracker.end_stopped()
        return tracker.end(lambda held: self._succeed(held, owner, dict(output), context))

    def _call(
        self, app: App, context: RunContext, scratch: Scratch, tracker: _Tracker
    ) -> Mapping[str, Any]:
        if self._options.isolation != "process":
            tracker.ready()
            return app.run(context)
        grace = self._options.cancel_grace_seconds
        startup = self._options.startup_seconds
        return self._host().run(app, context, scratch, tracker, grace, startup)

    def warm(self) -> None:
        """Start the calling worker thread's app process now, if it has none running."""
        if self._options.isolation == "process":
            self._host().start()

    def _host(self) -> AppHost:
        host: AppHost | None = getattr(self._local, "host", None)
        if host is None:
            host = self._local.host = AppHost()
            with self._hosts_lock:
                self._hosts.append(host)
                if self._sweeper is None and not self._closing.is_set():
                    self._sweeper = threading.Thread(target=self._sweep_idle, daemon=True)
                    self._sweeper.start()
        return host

    def _sweep_idle(self) -> None:
        """End the app processes that have run no job for ``app_idle_seconds``, so that an
        idle worker holds no memory for its apps."""
        idle = self._options.app_idle_seconds
        while not self._closing.wait(max(0.1, min(idle / 4, 5.0))):
            with self._hosts_lock:
                hosts = list(self._hosts)
            for host in hosts:
                try:
                    host.close_if_idle(idle)
                except Exception:
                    log.warning("ending an idle app process failed", exc_info=True)

    def close(self) -> None:
        """End the app processes of every worker thread (a job still running in one keeps its
        lease, and runs again elsewhere once it runs out)."""
        self._closing.set()
        with self._hosts_lock:
            hosts, self._hosts = self._hosts, []
        for host in hosts:
            host.stop()

    def _pin(self, owner: Principal, job: Job, name: str, scratch: Scratch) -> PinnedRepo:
        pinned = next(i for i in job.inputs if i.name == name)
        namespace, _, repo_name = pinned.repo.partition("/")
        repo_id = RepoId(pinned.repo_type, namespace, repo_name)
        # Asks the permission service as the owner, now: access removed since the job was
        # submitted counts.
        self._files.list_tree(owner, repo_id, pinned.commit, limit=1)
        return PinnedRepo(self._files, owner, repo_id, pinned.commit, scratch)

    def _succeed(
        self, job: Job, owner: Principal, output: dict[str, Any], context: RunContext
    ) -> Job | None:
        try:
            json.dumps(output, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return self._runs.fail(job, f"the app's output is not JSON: {exc}")
        if context.staged and job.results is None:
            return self._runs.fail(job, "the job wrote result files but names no results repo")
        try:
            files = self._upload(job, owner, context)
            return self._runs.succeed(job, output, files)
        except DomainError as exc:
            return self._runs.fail(job, f"storing the results failed: {exc.message}")

    def _upload(self, job: Job, owner: Principal, context: RunContext) -> list[AddFile]:
        if not context.staged or job.results is None:
            return []
        namespace, _, name = job.results.repo.partition("/")
        repo_id = RepoId(job.results.repo_type, namespace, name)
        added = []
        for path, staged in context.staged.items():
            size = staged.stat().st_size
            digest = self._commits.upload_blob(owner, repo_id, _chunks(staged), size=size)
            added.append(AddFile(path, digest.sha256, digest.size, digest.git_sha1))
        return added


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while piece := source.read(1 << 20):
            yield piece


def _describe(exc: BaseException) -> str:
    """Never empty: the class name, and the message when there is one."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class _Tracker:
    """The runner's half of a running job, shared by the app's thread and the heartbeat."""

    def __init__(self, runs: JobRuns, job: Job, options: RunnerOptions) -> None:
        self._runs = runs
        self._held: Job | None = job
        self._options = options
        self._lock = threading.Lock()
        self._write = threading.Lock()
        self._progress: dict[str, Progress] = {}
        self._lines: list[str] = []
        self._time_limit = job.time_limit_seconds
        # No time limit until the app is ready to run (see ready()); only a cancel stops it.
        self._deadline = math.inf
        self._stop_since: float | None = None
        self._done = threading.Event()
        self._last_write = time.monotonic()
        self._thread = threading.Thread(target=self._beat_until_done, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def ready(self) -> None:
        """The app is about to run: its time limit starts now."""
        self._deadline = time.monotonic() + self._time_limit

    def report(self, progress: Progress) -> None:
        with self._lock:
            self._progress[progress.context] = progress
        if time.monotonic() - self._last_write >= REPORT_EVERY:
            self._beat()

    def add_line(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)

    def check(self) -> None:
        if self.should_stop():
            raise JobCancelled(self._reason())

    def should_stop(self) -> bool:
        held = self._held
        return held is None or held.cancel_requested or time.monotonic() > self._deadline

    def _reason(self) -> str:
        held = self._held
        if held is not None and not held.cancel_requested:
            return f"ran past its time limit of {held.time_limit_seconds:g} s"
        return CANCELLED_RUNNING

    def end(self, ending: Any) -> Job | None:
        """End the job as its holder; what is pending (progress, log lines) goes with the
        ending's own write rather than a heartbeat of its own."""
        with self._write:
            held = self._held
            if held is None:
                return None
            self._held = None
            with self._lock:
                progress = list(self._progress.values())
                lines = self._lines
                self._progress, self._lines = {}, []
            return ending(reported(held, progress, lines))  # type: ignore[no-any-return]

    def end_stopped(self) -> Job | None:
        """End a job that stopped because it was cancelled or ran out of time."""
        if self._reason() == CANCELLED_RUNNING:
            return self.end(self._runs.cancelled)
        reason = self._reason()
        return self.end(lambda held: self._runs.fail(held, reason))

    def _beat(self) -> None:
        with self._write:
            held = self._held
            if held is None:
                return
            with self._lock:
                progress = list(self._progress.values())
                lines = self._lines
                self._progress, self._lines = {}, []
            self._last_write = time.monotonic()
            try:
                self._held = self._runs.heartbeat(held, progress=progress, lines=lines)
            except DomainError:
                # The catalog did not answer: try again at the next beat, while the lease holds.
                log.warning("heartbeat of job %s failed", held.id, exc_info=True)
                with self._lock:
                    self._lines[:0] = lines
                    for p in progress:
                        self._progress.setdefault(p.context, p)

    def _beat_until_done(self) -> None:
        interval = max(0.2, min(self._options.lease_seconds / 3, 5.0))
        while not self._done.wait(interval):
            self._beat()
            if not self.should_stop():
                continue
            if self._stop_since is None:
                self._stop_since = time.monotonic()
            elif time.monotonic() - self._stop_since > self._options.cancel_grace_seconds:
                # The app did not stop by itself: end the job now; its thread's later writes
                # are fenced off.
                self.end_stopped()
                return
