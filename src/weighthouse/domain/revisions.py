"""Refs, revision resolution and history.

A revision is a branch, a tag, a full 40-hex commit id, or ``latest``: the highest version
tag (see :mod:`weighthouse.domain.versions`), else the head of ``main``. Branch and tag names
share one namespace per repo, so a name always means one thing.

Tags never move: a tag is a published version. A repo admin may delete one (as on the Hub
and in git); the deletion is audited, and ``latest`` then names the highest remaining version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from weighthouse.domain.access import Principal, repo_role
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import HistoryCatalog, UnitOfWork
from weighthouse.domain.errors import (
    InvalidInputError,
    PermissionDeniedError,
    RevisionNotFoundError,
)
from weighthouse.domain.model import Commit, Page, Ref, RefKind, Repo, RepoId, Role
from weighthouse.domain.names import LATEST, check_ref_name, check_revision, is_commit_id
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import DEFAULT_BRANCH, RepoLookup, find_repo, require_versioned
from weighthouse.domain.space import DiskRoom, NoDiskRoom, freeing_room
from weighthouse.domain.versions import latest_version


class VersionedCatalog(RepoLookup, HistoryCatalog, UnitOfWork, Protocol):
    """What the use cases of versioned repos (:class:`Revisions`, ``Files``, ``Commits``) use:
    finding a repo with the caller's access to it, and its refs, commits and trees."""


@dataclass(frozen=True)
class Resolved:
    """A revision resolved to a commit; ``ref`` is the branch or tag it came through, if any."""

    commit: Commit
    ref: Ref | None


def resolve(history: HistoryCatalog, repo: Repo, revision: str) -> Resolved:
    """Raise ``InvalidRevisionError`` for a malformed revision, ``RevisionNotFoundError`` for
    one that names nothing."""
    require_versioned(repo)
    check_revision(revision)
    if is_commit_id(revision):
        return Resolved(history.get_commit(repo.id, revision), None)
    if revision == LATEST:
        ref = latest_version(history.list_refs(repo.id))
        if ref is None:
            ref = history.get_ref(repo.id, RefKind.BRANCH, DEFAULT_BRANCH)
        return Resolved(history.get_commit(repo.id, ref.commit_id), ref)
    for kind in (RefKind.BRANCH, RefKind.TAG):
        try:
            ref = history.get_ref(repo.id, kind, revision)
        except RevisionNotFoundError:
            continue
        return Resolved(history.get_commit(repo.id, ref.commit_id), ref)
    raise RevisionNotFoundError(
        f"no branch, tag or commit {revision!r} in {repo.full_name!r}",
        repo=repo.full_name,
        revision=revision,
    )


class Revisions:
    def __init__(
        self,
        catalog: VersionedCatalog,
        clock: Clock,
        audit: Audit,
        *,
        room: DiskRoom | None = None,
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit
        self._room = room or NoDiskRoom()

    def resolve(self, principal: Principal, repo_id: RepoId, revision: str) -> Resolved:
        repo = find_repo(self._catalog, principal, repo_id)
        return resolve(self._catalog, repo, revision)

    def refs(self, principal: Principal, repo_id: RepoId) -> list[Ref]:
        repo = find_repo(self._catalog, principal, repo_id)
        require_versioned(repo)
        return self._catalog.list_refs(repo.id)

    def create_ref(
        self, principal: Principal, repo_id: RepoId, kind: RefKind, name: str, revision: str
    ) -> Ref:
        """A new branch or tag at ``revision``. Raises ``RefExistsError``: tags never move.

        Re-creating a deleted tag on another commit than it named is for repo admins only
        (``PermissionDeniedError`` for writers), so a writer cannot make a published version
        name different bytes.
        """
        repo = find_repo(self._catalog, principal, repo_id, Role.WRITE)
        check_ref_name(name)
        target = resolve(self._catalog, repo, revision)
        if kind is RefKind.TAG and self._moves_a_deleted_tag(principal, repo, name, target):
            raise PermissionDeniedError(
                f"tag {name!r} was deleted from another commit; only a repo admin may re-create"
                " it elsewhere",
                repo=repo.full_name,
            )
        ref = Ref(kind=kind, name=name, commit_id=target.commit.id, created_at=self._clock())
        self._catalog.create_ref(repo.id, ref)
        return ref

    def _moves_a_deleted_tag(
        self, principal: Principal, repo: Repo, name: str, target: Resolved
    ) -> bool:
        role = repo_role(self._catalog, principal, repo)
        if role is not None and role.allows(Role.ADMIN):
            return False
        named = self._catalog.deleted_tag_commits(repo.id, name)
        return bool(named - {target.commit.id})

    def delete_branch(self, principal: Principal, repo_id: RepoId, name: str) -> None:
        """Delete a branch other than ``main``; a tag is deleted with :meth:`delete_tag`.
        Works on a full disk: it may use the reserve."""
        repo = find_repo(self._catalog, principal, repo_id, Role.WRITE)
        check_ref_name(name)
        if name == DEFAULT_BRANCH:
            raise InvalidInputError(f"the default branch {DEFAULT_BRANCH!r} cannot be deleted")
        freeing_room(self._room, lambda: self._catalog.delete_ref(repo.id, RefKind.BRANCH, name))

    def delete_tag(self, principal: Principal, repo_id: RepoId, name: str) -> Ref:
        """Delete a tag; repo admins only. Returns the deleted tag.

        The deletion and its audit row are one transaction. Raises ``RevisionNotFoundError``
        when no tag has that name (also when it is a branch), and the errors of
        :func:`find_repo` (a private repo the caller may not see reads as missing). Works
        on a full disk: it may use the reserve.
        """
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)
        require_versioned(repo)
        check_ref_name(name)

        def delete() -> Ref:
            ref = self._catalog.get_ref(repo.id, RefKind.TAG, name)
            self._catalog.delete_ref(repo.id, RefKind.TAG, name)
            self._catalog.record_deleted_tag(repo.id, name, ref.commit_id, self._clock())
            self._audit.record(
                "tag.delete",
                actor=self._audit.by(principal),
                target=f"{repo.type.value}:{repo.full_name}",
                detail={"tag": name, "commit": ref.commit_id, "repo_id": repo.id},
            )
            return ref

        return freeing_room(self._room, lambda: self._catalog.run_atomic(delete))

    def log(
        self,
        principal: Principal,
        repo_id: RepoId,
        revision: str,
        *,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[Commit]:
        """Commits from ``revision`` back through first parents, newest first.

        ``after`` is the last commit id of the previous page.
        """
        check_limit(limit)
        repo = find_repo(self._catalog, principal, repo_id)
        commit: Commit | None = resolve(self._catalog, repo, revision).commit
        if after is not None:
            if not is_commit_id(after):
                raise RevisionNotFoundError("bad cursor", cursor=after[:100])
            commit = self._catalog.get_commit(repo.id, after)
            commit = self._parent(repo, commit)
        items: list[Commit] = []
        while commit is not None and len(items) < limit:
            items.append(commit)
            commit = self._parent(repo, commit)
        more = commit is not None
        return Page(items=tuple(items), next_after=items[-1].id if more and items else None)

    def _parent(self, repo: Repo, commit: Commit) -> Commit | None:
        if commit.parent_id is None:
            return None
        return self._catalog.get_commit(repo.id, commit.parent_id)
