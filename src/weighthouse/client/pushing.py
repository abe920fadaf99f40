"""Pushing local files as one commit, sending only what the server lacks.

A push hashes the files locally, compares them with the branch (``push_plan``), asks the
server which of the new blobs a commit may name without uploading them (``reusable_blobs``,
under the blob-proof rules), uploads the rest, and commits every change at once with the
branch head it compared against as ``parent_commit``. A folder the branch already holds makes
no commit. A tag is checked before anything is hashed or sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weighthouse.client.errors import RefExistsError
from weighthouse.client.hashing import sha256_file
from weighthouse.client.local_files import LocalFile
from weighthouse.client.models import CommitInfo, RefInfo
from weighthouse.client.progress import ProgressFactory, no_progress
from weighthouse.client.push_plan import PushPlan, plan_push
from weighthouse.domain.commits import AddFile, Operation
from weighthouse.domain.model import RepoType
from weighthouse.domain.names import check_ref_name

if TYPE_CHECKING:
    from weighthouse.client.client import WeighthouseClient


@dataclass(frozen=True)
class PushResult:
    """``commit``: the new commit, ``None`` when the branch already held every file.
    ``head``: the commit the branch is at afterwards. ``sent``: bytes uploaded;
    ``reused``: blobs the server already had and let this push name without uploading."""

    commit: CommitInfo | None
    head: str
    plan: PushPlan
    sent: int = 0
    reused: tuple[AddFile, ...] = ()
    tag: RefInfo | None = None

    @property
    def added(self) -> tuple[AddFile, ...]:
        return self.plan.uploads


def hash_files(
    files: Sequence[LocalFile], progress: ProgressFactory = no_progress
) -> list[AddFile]:
    """One ``AddFile`` per file, with the SHA-256 and size read now (not at walk time, so a
    file that grew since is described as it is)."""
    bar = progress("hashing", sum(f.size for f in files))
    try:
        added = []
        for file in files:
            sha256, size = sha256_file(file.local, bar.update)
            added.append(AddFile(file.repo_path, sha256, size))
        return added
    finally:
        bar.close()


def check_new_tag(
    client: WeighthouseClient, repo: str, tag: str, *, repo_type: RepoType | str
) -> None:
    """Raise ``InvalidNameError`` for a name no tag may have, ``RefExistsError`` for a tag
    the repo already has (tags never move), before a push spends any time or bytes."""
    check_ref_name(tag)
    for existing in client.refs(repo, repo_type=repo_type).tags:
        if existing.name == tag:
            raise RefExistsError(repo, tag, existing.commit)


def push_files(
    client: WeighthouseClient,
    repo: str,
    files: Sequence[LocalFile],
    *,
    message: str,
    branch: str = "main",
    tag: str | None = None,
    delete_under: str | None = None,
    selected: Callable[[str], bool] = lambda _: True,
    repo_type: RepoType | str = RepoType.MODEL,
    progress: ProgressFactory = no_progress,
) -> PushResult:
    """Make ``branch`` hold ``files`` in ONE commit, then tag the branch head with ``tag``.

    Only files whose path, SHA-256 or size differ from the branch are committed, and only
    blobs the server does not let this caller reuse are uploaded. With ``delete_under`` (a
    repo folder, ``""`` for all) branch files below it that ``files`` lack are deleted in
    the same commit, except those ``selected`` rejects (see ``plan_push``). When nothing
    differs no commit is made and ``tag`` names the current head.

    Each blob is uploaded with its SHA-256 declared, so a file changed between hashing and
    uploading fails with ``digest_mismatch``. The commit names the head it was compared
    with, so a branch that moved meanwhile fails with ``commit_conflict`` instead of losing
    the other change. Raises ``RefExistsError`` before any work for an existing ``tag``.
    """
    if tag is not None:
        check_new_tag(client, repo, tag, repo_type=repo_type)
    head, remote = client.list_tree(repo, revision=branch, recursive=True, repo_type=repo_type)
    local = hash_files(files, progress)
    plan = plan_push(local, remote, delete_under=delete_under, selected=selected)
    commit: CommitInfo | None = None
    sent = 0
    reused: tuple[AddFile, ...] = ()
    if not plan.is_empty:
        sent, reused = _upload_missing(client, repo, files, plan, repo_type, progress)
        operations: list[Operation] = [*plan.uploads, *plan.deleted]
        commit = client.commit(
            repo,
            operations,
            message=message,
            branch=branch,
            parent_commit=head,
            repo_type=repo_type,
        )
        head = commit.id
    ref = client.create_tag(repo, tag, revision=head, repo_type=repo_type) if tag else None
    return PushResult(commit, head, plan, sent, reused, ref)


def _upload_missing(
    client: WeighthouseClient,
    repo: str,
    files: Sequence[LocalFile],
    plan: PushPlan,
    repo_type: RepoType | str,
    progress: ProgressFactory,
) -> tuple[int, tuple[AddFile, ...]]:
    """Upload the blobs of ``plan`` the server will not take by hash; ``(bytes sent, the
    operations that needed no upload)``."""
    reusable = client.reusable_blobs(
        repo, ((op.sha256, op.size) for op in plan.uploads), repo_type=repo_type
    )
    local_of = {f.repo_path: f.local for f in files}
    pending: dict[tuple[str, int], AddFile] = {}
    for op in plan.uploads:
        if (op.sha256, op.size) not in reusable:
            # Two paths with the same bytes need one upload.
            pending.setdefault((op.sha256, op.size), op)
    reused = tuple(op for op in plan.uploads if (op.sha256, op.size) in reusable)
    total = sum(op.size for op in pending.values())
    bar = progress("uploading", total)
    try:
        for op in pending.values():
            client.upload_blob_file(
                repo, local_of[op.path], sha256=op.sha256, repo_type=repo_type, on_bytes=bar.update
            )
    finally:
        bar.close()
    return total, reused
