"""Jobs a push queues: the ``inspect`` and ``scan`` apps on the weight files a commit adds or
changes, owned by the pusher (who may read the repo, as the runner checks again when the job
runs) and pinned to the new commit.

Called by :class:`~weighthouse.domain.commits.Commits` inside the unit of work that saves the
commit, so the commit and its jobs are stored together or not at all. A job that cannot be
queued never fails the push: :meth:`Jobs.submit` raises before it writes, and the commit stands.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from weighthouse.domain.access import Principal
from weighthouse.domain.errors import DomainError
from weighthouse.domain.jobs import JobRequest, Jobs
from weighthouse.domain.model import Commit, Repo, RepoId

# The files each app reads, by suffix (as the apps' own selection, lower-cased).
INSPECTED = (".safetensors", ".gguf", ".onnx", ".bin", ".pt", ".pth", ".ckpt")
SCANNED = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
APPS = {"inspect": INSPECTED, "scan": SCANNED}
# Beyond this many files a job looks at every weight file of the commit instead of a list.
MAX_LISTED = 100


class PushJobs:
    def __init__(self, jobs: Jobs, installed: Collection[str]) -> None:
        self._jobs = jobs
        self._apps = {app: suffixes for app, suffixes in APPS.items() if app in installed}

    def __call__(
        self, principal: Principal, repo: Repo, commit: Commit, added: Sequence[str]
    ) -> None:
        """Queue each enabled app for the files of ``added`` (paths the commit added or
        replaced) it reads; nothing when there are none."""
        repo_id = RepoId(repo.type, repo.namespace, repo.name)
        for app, suffixes in self._apps.items():
            paths = sorted({p for p in added if p.lower().endswith(suffixes)})
            if not paths:
                continue
            # A push names no results repo: the findings are the job's output.
            params: dict[str, object] = {"result_files": False}
            if len(paths) <= MAX_LISTED:
                params["paths"] = paths
            request = JobRequest(
                app,
                inputs={"model": (repo_id, commit.id)},
                params=params,
                label=f"push {commit.id[:12]}",
            )
            try:
                self._jobs.submit(principal, request)
            except DomainError:
                continue
