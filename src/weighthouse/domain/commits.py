"""Commits: many file additions and deletions applied to a branch atomically.

A commit names the blobs it adds by SHA-256; they must be in the blob store already, and the
caller must have proof of them (:mod:`~weighthouse.domain.blob_proof`): uploaded by them through
:meth:`Commits.upload_blob` within the grace period, or held by a repo or bucket they can read.
A blob without proof is refused exactly like one that was never stored. The branch moves by
compare-and-swap: with
``parent_commit`` a stale head is a ``CommitConflictError``; without it, a lost race is retried
on the new head, so concurrent commits never lose each other's work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import MAX_CHECK, BlobProof, BlobRef, check_sha256, unknown_blob
from weighthouse.domain.errors import (
    CommitConflictError,
    DigestMismatchError,
    InvalidInputError,
)
from weighthouse.domain.model import BlobDigest, Commit, RefKind, Repo, RepoId, Role, Tree
from weighthouse.domain.names import check_path, check_ref_name, is_commit_id
from weighthouse.domain.ports import BlobStore, Clock
from weighthouse.domain.repos import find_repo, find_upload_target, require_versioned
from weighthouse.domain.revisions import VersionedCatalog
from weighthouse.domain.space import DiskRoom, NoDiskRoom, freeing_room
from weighthouse.domain.trees import TreeEditor, make_commit_id

GIT_SHA1_MAX_SIZE = 10 * 2**20
MAX_OPERATIONS = 25_000
MESSAGE_MAX = 10_000
_CAS_ATTEMPTS = 20

OnCommit = Callable[[Principal, Repo, Commit, Sequence[str]], None]
"""Called with the pusher, the repo, the new commit and the paths it added or replaced, inside
the unit of work that saves the commit (:class:`~weighthouse.domain.push_jobs.PushJobs`)."""


def wants_git_sha1(size: int | None) -> bool:
    """Git blob ids are worth a third hash only for files git itself would hold.

    The Hub keeps files over 10 MiB in LFS, where the git id is that of the small pointer file
    (computable from SHA-256 and size), so hashing gigabytes again with SHA-1 buys nothing.
    Files of unknown size are treated as large.
    """
    return size is not None and size <= GIT_SHA1_MAX_SIZE


@dataclass(frozen=True)
class AddFile:
    """Put the blob ``sha256`` (of ``size`` bytes) at ``path``, replacing any file there."""

    path: str
    sha256: str
    size: int
    git_sha1: str | None = None


@dataclass(frozen=True)
class DeleteFile:
    """Remove the file or folder at ``path``."""

    path: str


Operation = AddFile | DeleteFile


class Commits:
    def __init__(
        self,
        catalog: VersionedCatalog,
        blobs: BlobStore,
        clock: Clock,
        proof: BlobProof,
        *,
        room: DiskRoom | None = None,
        on_commit: OnCommit | None = None,
    ) -> None:
        self._catalog = catalog
        self._blobs = blobs
        self._clock = clock
        self._proof = proof
        self._room = room or NoDiskRoom()
        self._on_commit = on_commit

    def upload_blob(
        self,
        principal: Principal,
        repo_id: RepoId,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        for_pull_request: bool = False,
    ) -> BlobDigest:
        """Store a blob for a later commit to ``repo_id``, or to any repo the caller may write
        within the grace period (the upload is recorded as the caller's proof). Access is checked
        before any byte is read, so an unauthorised caller's body is never stored: the write
        role, or with ``for_pull_request`` what opening a pull request needs
        (:func:`~weighthouse.domain.repos.find_upload_target`)."""
        find_upload_target(self._catalog, principal, repo_id, for_pull_request=for_pull_request)
        with self._blobs.provisional(
            chunks, size=size, sha256=sha256, git_sha1=wants_git_sha1(size)
        ) as digest:
            self._proof.record_upload(principal, digest)
        return digest

    def assemble_blob(
        self,
        principal: Principal,
        repo_id: RepoId,
        parts: Sequence[BlobRef],
        *,
        size: int,
        sha256: str,
        for_pull_request: bool = False,
    ) -> BlobDigest:
        """Store the concatenation of ``parts`` (blobs uploaded before, in order) as one blob
        for a later commit to ``repo_id``, checked against ``size`` and ``sha256``, and record
        it as the caller's upload. The parts stream through one at a time, so memory stays
        flat whatever the size; they stay stored until the garbage collector finds them
        unreferenced.

        Every part must be available to the caller, as :meth:`check_blobs` decides, else
        ``BlobUnknownError`` names the first that is not (knowing a part's hash is not
        enough). Parts that do not add up to ``size`` are ``InvalidInputError``; bytes that
        do not hash to ``sha256`` are ``DigestMismatchError``, and nothing is stored. Access is
        checked as :meth:`upload_blob` does."""
        check_sha256(sha256)
        if not parts or len(parts) > MAX_CHECK:
            raise InvalidInputError(f"name between 1 and {MAX_CHECK} parts")
        if sum(part.size for part in parts) != size:
            raise InvalidInputError(
                "the parts do not add up to the object's size", size=size, parts=len(parts)
            )
        repo = find_upload_target(
            self._catalog, principal, repo_id, for_pull_request=for_pull_request
        )
        available = self._proof.available(principal, repo, parts)
        for part in parts:
            if part not in available:
                raise unknown_blob(part.sha256)

        def joined() -> Iterable[bytes]:
            for part in parts:
                with self._blobs.reader(part.sha256) as reader:
                    yield from reader.iter_range()

        with self._blobs.provisional(
            joined(), size=size, sha256=sha256, git_sha1=wants_git_sha1(size)
        ) as digest:
            self._proof.record_upload(principal, digest)
        return digest

    def check_blobs(
        self,
        principal: Principal,
        repo_id: RepoId,
        wanted: Sequence[BlobRef],
        *,
        for_pull_request: bool = False,
    ) -> frozenset[BlobRef]:
        """Which of ``wanted`` a commit to ``repo_id`` may add without uploading them first:
        proven for the caller and stored with that size (see
        :meth:`~weighthouse.domain.blob_proof.BlobProof.available`). Unknown, unprovable and
        wrong-sized blobs are all simply absent. Needs the ``write`` role, as a commit does,
        or with ``for_pull_request`` what opening a pull request needs. Raises
        ``InvalidInputError`` for more than ``MAX_CHECK`` blobs or a malformed one."""
        if len(wanted) > MAX_CHECK:
            raise InvalidInputError(f"ask about at most {MAX_CHECK} blobs at once")
        repo = find_upload_target(
            self._catalog, principal, repo_id, for_pull_request=for_pull_request
        )
        return self._proof.available(principal, repo, wanted)

    def upload_file(
        self,
        principal: Principal,
        repo_id: RepoId,
        branch: str,
        path: str,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        message: str | None = None,
        parent_commit: str | None = None,
    ) -> tuple[Commit, BlobDigest]:
        """Stream one file into the store and commit it to ``branch``."""
        repo = find_repo(self._catalog, principal, repo_id, Role.WRITE)
        require_versioned(repo)
        check_path(path)
        check_ref_name(branch)
        with self._blobs.provisional(
            chunks, size=size, sha256=sha256, git_sha1=wants_git_sha1(size)
        ) as digest:
            # Recorded like any upload, so a commit that loses a race can be retried by hash.
            self._proof.record_upload(principal, digest)
            op = AddFile(path, digest.sha256, digest.size, digest.git_sha1)
            commit = self._commit(
                principal,
                repo,
                branch,
                [op],
                message or f"Upload {path}",
                parent_commit,
                received=frozenset({digest.sha256}),
            )
        return commit, digest

    def commit(
        self,
        principal: Principal,
        repo_id: RepoId,
        branch: str,
        operations: Sequence[Operation],
        *,
        message: str,
        parent_commit: str | None = None,
    ) -> Commit:
        repo = find_repo(self._catalog, principal, repo_id, Role.WRITE)
        require_versioned(repo)
        return self._commit(principal, repo, branch, operations, message, parent_commit)

    def commit_to_pull_request(
        self,
        principal: Principal,
        repo: Repo,
        ref: str,
        operations: Sequence[Operation],
        *,
        message: str,
        parent_commit: str | None = None,
    ) -> Commit:
        """A commit to a pull request's branch (``refs/pr/<num>``), a name :meth:`commit`
        refuses. For :class:`~weighthouse.domain.discussions.Discussions` only, which has
        checked who may commit there."""
        require_versioned(repo)
        return self._commit(principal, repo, ref, operations, message, parent_commit, named=True)

    def _commit(
        self,
        principal: Principal,
        repo: Repo,
        branch: str,
        operations: Sequence[Operation],
        message: str,
        parent_commit: str | None,
        received: frozenset[str] = frozenset(),
        *,
        named: bool = False,
    ) -> Commit:
        """``received``: blobs whose bytes came with this very request, which need no proof.
        ``named``: ``branch`` is a pull request's, checked by the caller, not a user's name."""
        assert principal.user is not None
        if not named:
            check_ref_name(branch)
        operations = self._check_operations(principal, repo, operations, received)
        if len(message) > MESSAGE_MAX:
            raise InvalidInputError(f"a commit message must be at most {MESSAGE_MAX} characters")
        if parent_commit is not None and not is_commit_id(parent_commit):
            raise InvalidInputError("parent_commit must be a 40-hex commit id")
        for _ in range(_CAS_ATTEMPTS):
            head = self._catalog.get_ref(repo.id, RefKind.BRANCH, branch)
            if parent_commit is not None and parent_commit != head.commit_id:
                raise CommitConflictError(
                    f"branch {branch!r} is at {head.commit_id}, not {parent_commit}",
                    branch=branch,
                    head=head.commit_id,
                )
            base = self._catalog.get_commit(repo.id, head.commit_id)
            editor = TreeEditor(
                lambda tree_id: self._catalog.get_tree(repo.id, tree_id),
                self._catalog.get_tree(repo.id, base.tree_id),
            )
            for op in operations:
                if isinstance(op, AddFile):
                    editor.put(op.path, op.sha256, op.size, op.git_sha1)
                else:
                    editor.delete(op.path)
            root, trees = editor.finish()
            now = self._clock()
            commit = Commit(
                id=make_commit_id(root.id, base.id, principal.user.name, message, now),
                tree_id=root.id,
                parent_id=base.id,
                author=principal.user.name,
                message=message,
                created_at=now,
            )
            try:
                save = partial(self._save, principal, repo, commit, trees, branch, base, operations)
                if all(isinstance(op, DeleteFile) for op in operations):
                    # How users free space on a full disk, so it may use the reserve.
                    freeing_room(self._room, save)
                else:
                    save()
            except CommitConflictError:
                if parent_commit is not None:
                    raise
                continue
            return commit
        raise CommitConflictError(f"branch {branch!r} kept moving; try again", branch=branch)

    def _save(
        self,
        principal: Principal,
        repo: Repo,
        commit: Commit,
        trees: Sequence[Tree],
        branch: str,
        base: Commit,
        operations: Sequence[Operation],
    ) -> None:
        """Save the commit, and what it triggers in the same unit of work."""
        if self._on_commit is None:
            self._catalog.save_commit(repo.id, commit, trees, branch, base.id)
            return
        added = [op.path for op in operations if isinstance(op, AddFile)]
        with self._catalog.atomic():
            self._catalog.save_commit(repo.id, commit, trees, branch, base.id)
            self._on_commit(principal, repo, commit, added)

    def _check_operations(
        self,
        principal: Principal,
        repo: Repo,
        operations: Sequence[Operation],
        received: frozenset[str],
    ) -> list[Operation]:
        """Validate every operation; small added files get their git blob id if they lack one.

        Every added blob needs proof (one batched check for the whole commit) and must be
        stored; either failure is the same ``BlobUnknownError``. Proven blobs of another size
        are a ``DigestMismatchError``.
        """
        if not operations:
            raise InvalidInputError("a commit needs at least one operation")
        if len(operations) > MAX_OPERATIONS:
            raise InvalidInputError(f"a commit may have at most {MAX_OPERATIONS} operations")
        for op in operations:
            if isinstance(op, DeleteFile):
                check_path(op.path.rstrip("/"))
                continue
            check_path(op.path)
            check_sha256(op.sha256, op.path)
            if op.size < 0:
                raise InvalidInputError("size must not be negative", path=op.path)
        added = {op.sha256 for op in operations if isinstance(op, AddFile)} - received
        proven = received | self._proof.proven(principal, repo, added)
        sizes: dict[str, int | None] = {}
        checked: list[Operation] = []
        for op in operations:
            if isinstance(op, DeleteFile):
                checked.append(op)
                continue
            if op.sha256 not in proven:
                raise unknown_blob(op.sha256, op.path)
            stored = self._proof.stored_size(op.sha256, sizes)
            if stored is None:
                raise unknown_blob(op.sha256, op.path)
            if stored != op.size:
                raise DigestMismatchError(
                    f"{op.path!r}: blob {op.sha256} has {stored} bytes, not {op.size}",
                    path=op.path,
                )
            if op.git_sha1 is None and wants_git_sha1(op.size):
                op = replace(op, git_sha1=self._git_sha1(op.sha256, op.size))
            checked.append(op)
        return checked

    def _git_sha1(self, sha256: str, size: int) -> str:
        """Git's blob id of a small stored blob, read back from the store."""
        digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        with self._blobs.reader(sha256) as reader:
            for piece in reader.iter_range(piece=1 << 20):
                digest.update(piece)
        return digest.hexdigest()
