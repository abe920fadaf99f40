"""Pushing local files as one commit: hash each file, upload each blob, commit them all at
once, and optionally tag the commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weighthouse.client.hashing import sha256_file
from weighthouse.client.local_files import LocalFile
from weighthouse.client.models import CommitInfo, RefInfo
from weighthouse.client.progress import ProgressFactory, no_progress
from weighthouse.domain.commits import AddFile
from weighthouse.domain.model import RepoType

if TYPE_CHECKING:
    from weighthouse.client.client import WeighthouseClient


@dataclass(frozen=True)
class PushResult:
    commit: CommitInfo
    added: tuple[AddFile, ...]
    tag: RefInfo | None = None


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


def push_files(
    client: WeighthouseClient,
    repo: str,
    files: Sequence[LocalFile],
    *,
    message: str,
    branch: str = "main",
    tag: str | None = None,
    repo_type: RepoType | str = RepoType.MODEL,
    progress: ProgressFactory = no_progress,
) -> PushResult:
    """Push ``files`` to ``branch`` as ONE commit, then tag it when ``tag`` is given.

    Each blob is uploaded with its SHA-256 declared, so a file changed between hashing and
    uploading fails with ``digest_mismatch`` instead of committing bytes nobody hashed.
    Nothing is committed unless every upload succeeded.
    """
    added = hash_files(files, progress)
    bar = progress("uploading", sum(op.size for op in added))
    try:
        for file, op in zip(files, added, strict=True):
            client.upload_blob_file(
                repo, file.local, sha256=op.sha256, repo_type=repo_type, on_bytes=bar.update
            )
    finally:
        bar.close()
    commit = client.commit(repo, added, message=message, branch=branch, repo_type=repo_type)
    ref = client.create_tag(repo, tag, revision=commit.id, repo_type=repo_type) if tag else None
    return PushResult(commit, tuple(added), ref)
