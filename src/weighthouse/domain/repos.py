"""Repo lifecycle: create, find, list, change visibility and description, delete."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from weighthouse.domain.access import (
    BucketAccessCatalog,
    NamespaceCatalog,
    Principal,
    require_bucket_access,
    require_namespace_role,
    require_repo,
    require_writing_user,
)
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import (
    HistoryCatalog,
    RepoCatalog,
    RepoQuery,
    UnitOfWork,
)
from weighthouse.domain.errors import InvalidInputError, RepoNotFoundError
from weighthouse.domain.likes_catalog import LikeCatalog
from weighthouse.domain.model import (
    Commit,
    Gating,
    Page,
    Repo,
    RepoId,
    RepoOrder,
    RepoType,
    Role,
)
from weighthouse.domain.names import check_name
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import Clock
from weighthouse.domain.space import DiskRoom, NoDiskRoom, freeing_room
from weighthouse.domain.trees import EMPTY_TREE, make_commit_id

DEFAULT_BRANCH = "main"
DESCRIPTION_MAX = 2000


class RepoLookup(RepoCatalog, BucketAccessCatalog, Protocol):
    """What :func:`find_repo` reads: the repo, the caller's grants on it, and a bucket's
    policy."""


class RepoLifecycleCatalog(
    RepoLookup, HistoryCatalog, NamespaceCatalog, LikeCatalog, UnitOfWork, Protocol
):
    """What :class:`Repos` uses: repos, the first commit of a versioned repo, the namespace
    check for creating one, and likes (for the order by them)."""


def stored_repo(catalog: RepoCatalog, repo_id: RepoId) -> Repo:
    """The repo, before any access check, which the caller makes: a missing one raises the
    ``RepoNotFoundError`` that a repo the caller may not see raises."""
    check_name(repo_id.namespace, what="namespace")
    check_name(repo_id.name, what="repo name")
    try:
        return catalog.get_repo(repo_id.type, repo_id.namespace, repo_id.name)
    except RepoNotFoundError:
        # Rebuilt here, not passed on: whatever a catalog says about a missing repo, the
        # caller must read the same words as for a private one (require_repo).
        raise RepoNotFoundError.named(f"{repo_id.namespace}/{repo_id.name}") from None


def find_repo(
    catalog: RepoLookup, principal: Principal, repo_id: RepoId, need: Role = Role.READ
) -> Repo:
    """The repo, if the caller has the ``need`` role on it (see :mod:`~weighthouse.domain.access`).

    A private repo the caller may not see raises ``RepoNotFoundError``, exactly like a missing
    one, so its existence does not leak.
    """
    repo = stored_repo(catalog, repo_id)
    if repo.type is RepoType.BUCKET:
        require_bucket_access(catalog, principal, repo, need)
    else:
        require_repo(catalog, principal, repo, need)
    return repo


class Repos:
    """``default_private`` is what ``create`` does when the caller does not say: private
    unless the site chose otherwise, so that nothing is published by accident."""

    def __init__(
        self,
        catalog: RepoLifecycleCatalog,
        clock: Clock,
        audit: Audit,
        *,
        default_private: bool = True,
        room: DiskRoom | None = None,
    ) -> None:
        self._room = room or NoDiskRoom()
        self._catalog = catalog
        self._clock = clock
        self._audit = audit
        self.default_private = default_private

    def create(
        self,
        principal: Principal,
        repo_id: RepoId,
        *,
        private: bool | None = None,
        description: str = "",
    ) -> Repo:
        """Create a repo; versioned repos start with an empty commit on ``main``. ``private``
        left as ``None`` takes the site's ``default_private``.

        Raises ``RepoExistsError`` when taken, and the access errors of
        ``require_namespace_role``.
        """
        check_name(repo_id.namespace, what="namespace")
        check_name(repo_id.name, what="repo name")
        _check_description(description)
        require_namespace_role(self._catalog, principal, repo_id.namespace)
        assert principal.user is not None
        now = self._clock()
        repo = Repo(
            id=uuid.uuid4().hex,
            type=repo_id.type,
            namespace=repo_id.namespace,
            name=repo_id.name,
            private=self.default_private if private is None else private,
            created_at=now,
            owner_id=principal.user.id,
            description=description,
        )
        self._catalog.run_atomic(lambda: self._store_new(principal, repo))
        return repo

    def _store_new(self, principal: Principal, repo: Repo) -> None:
        """The repo, its first commit on ``main`` and the audit row: one transaction, so no
        repo is ever seen without its branch."""
        assert principal.user is not None
        self._catalog.add_repo(repo)
        if repo.type.versioned:
            author = principal.user.name
            message = "Initial commit"
            commit = Commit(
                id=make_commit_id(EMPTY_TREE.id, None, author, message, repo.created_at),
                tree_id=EMPTY_TREE.id,
                parent_id=None,
                author=author,
                message=message,
                created_at=repo.created_at,
            )
            self._catalog.save_commit(repo.id, commit, [EMPTY_TREE], DEFAULT_BRANCH, None)
        self._audit.record(
            "repo.create",
            actor=self._audit.by(principal),
            target=_audit_target(repo),
            detail={"private": str(repo.private).lower()},
        )

    def get(self, principal: Principal, repo_id: RepoId) -> Repo:
        return find_repo(self._catalog, principal, repo_id)

    def list(
        self,
        principal: Principal,
        *,
        type: RepoType | None = None,
        namespace: str | None = None,
        search: str | None = None,
        after: str | None = None,
        limit: int = 50,
        order: RepoOrder = RepoOrder.NAME,
    ) -> Page[Repo]:
        """Repos the caller may see, in ``order`` (see :class:`RepoOrder`), ties by
        ``namespace/name`` then type. ``after`` is the ``next_after`` of the previous page of
        the same order (``<type>:<namespace>/<name>``, with ``<key>:`` in front for the orders
        by update or creation time, in microseconds since 1970, by size and by likes); a
        cursor this server did not make raises ``InvalidInputError``."""
        check_limit(limit)
        if search is not None and len(search) > 200:
            raise InvalidInputError("search must be at most 200 characters")
        if namespace is not None:
            check_name(namespace, what="namespace")
        query = RepoQuery(
            type=type,
            namespace=namespace,
            search=search or None,
            limit=limit + 1,
            viewer_id=principal.viewer_id,
            see_all=principal.is_admin,
            restrict_to=principal.restrict_to,
            order=order,
        )
        if after is not None:
            after_key, position = _parse_cursor(order, after)
            query = replace(query, after=position, after_key=after_key)
        repos = self._catalog.list_repos(query)
        more = len(repos) > limit
        repos = repos[:limit]
        last = repos[-1] if more else None
        return Page(
            items=tuple(repos),
            next_after=self._cursor(order, last) if last else None,
        )

    def _cursor(self, order: RepoOrder, last: Repo) -> str:
        likes = self._catalog.count_likes(last.id) if order is RepoOrder.LIKES else 0
        return _cursor(order, last, likes)

    def update(
        self,
        principal: Principal,
        repo_id: RepoId,
        *,
        private: bool | None = None,
        description: str | None = None,
        gated: Gating | None = None,
    ) -> Repo:
        """Change what is given; repo admins. ``gated`` applies to models and datasets only
        (``InvalidInputError`` for buckets), see :mod:`~weighthouse.domain.gating`."""
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)
        if description is not None:
            _check_description(description)
        if gated is not None and gated is not Gating.OFF and not repo.type.versioned:
            raise InvalidInputError("only models and datasets can be gated")
        changed = replace(
            repo,
            private=repo.private if private is None else private,
            description=repo.description if description is None else description,
            gated=repo.gated if gated is None else gated,
        )

        def store() -> None:
            self._catalog.update_repo(changed)
            if changed.gated != repo.gated:
                self._audit.record(
                    "repo.gating",
                    actor=self._audit.by(principal),
                    target=_audit_target(repo),
                    detail={"gated": changed.gated.value},
                )
            if changed.private != repo.private:
                self._audit.record(
                    "repo.visibility",
                    actor=self._audit.by(principal),
                    target=_audit_target(repo),
                    detail={"private": str(changed.private).lower()},
                )

        self._catalog.run_atomic(store)
        return changed

    def move(self, principal: Principal, repo_id: RepoId, to: RepoId) -> Repo:
        """Rename a repo or move it to another namespace, keeping its history, refs,
        collaborators and visibility. Needs the ``admin`` role on the repo and the right to
        create repos in the target namespace. The old name is free afterwards: nothing
        redirects from it, and a token restricted to a repo by name follows the name, not
        the repo.

        Moving a repo to the name it has changes nothing. Raises ``InvalidInputError`` when
        the types differ, ``RepoExistsError`` when the target name is taken, and the access
        errors of :func:`find_repo` and ``require_namespace_role``."""
        check_name(to.namespace, what="namespace")
        check_name(to.name, what="repo name")
        if to.type != repo_id.type:
            raise InvalidInputError("a repo keeps its type when it moves")
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)
        require_namespace_role(self._catalog, principal, to.namespace)
        if (to.namespace, to.name) == (repo.namespace, repo.name):
            return repo  # already there: a retried move changes nothing
        moved = replace(repo, namespace=to.namespace, name=to.name)

        def store() -> None:
            self._catalog.rename_repo(repo.id, to.namespace, to.name)
            self._audit.record(
                "repo.move",
                actor=self._audit.by(principal),
                target=_audit_target(repo),
                detail={"to": moved.full_name},
            )

        self._catalog.run_atomic(store)
        return moved

    def delete(self, principal: Principal, repo_id: RepoId) -> None:
        """Delete a repo and everything in it. Its blobs go at the next garbage collection.
        A bucket holding a locked object version stays (``ObjectLockedError``)."""
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)

        def remove() -> None:
            self._catalog.delete_repo(repo.id, at=self._clock())
            self._audit.record(
                "repo.delete", actor=self._audit.by(principal), target=_audit_target(repo)
            )

        freeing_room(self._room, lambda: self._catalog.run_atomic(remove))


def _audit_target(repo: Repo) -> str:
    return f"{repo.type.value}:{repo.full_name}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BIGGEST = 2**63 - 1  # what the catalog's integer columns hold


def _cursor(order: RepoOrder, last: Repo, likes: int = 0) -> str:
    """Where the page after ``last`` starts (``likes``: its count, for that order); read
    back by :func:`_parse_cursor`."""
    position = f"{last.type.value}:{last.full_name}"
    if order is RepoOrder.NAME:
        return position
    if order is RepoOrder.SIZE:
        return f"{last.size}:{position}"
    if order is RepoOrder.LIKES:
        return f"{likes}:{position}"
    at = last.created_at if order is RepoOrder.CREATED else last.updated_at or last.created_at
    return f"{(at - _EPOCH) // timedelta(microseconds=1)}:{position}"


def _parse_cursor(
    order: RepoOrder, after: str
) -> tuple[datetime | int | None, tuple[str, RepoType]]:
    key: datetime | int | None = None
    try:
        if order is not RepoOrder.NAME:
            number, _, after = after.partition(":")
            if not number.isascii() or not number.isdigit() or int(number) > _BIGGEST:
                raise ValueError(number)
            key = int(number)
            if order in (RepoOrder.UPDATED, RepoOrder.CREATED):
                key = _EPOCH + timedelta(microseconds=key)
        kind, _, full_name = after.partition(":")
        return key, (full_name, RepoType(kind))
    except (ValueError, OverflowError):
        raise InvalidInputError("the cursor is not one this server made") from None


def _check_description(description: str) -> None:
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInputError(f"description must be at most {DESCRIPTION_MAX} characters")


def require_versioned(repo: Repo) -> None:
    if not repo.type.versioned:
        raise RepoNotFoundError(
            f"{repo.full_name!r} is a bucket; it has no revisions", repo=repo.full_name
        )


def find_upload_target(
    catalog: RepoLookup, principal: Principal, repo_id: RepoId, *, for_pull_request: bool
) -> Repo:
    """The versioned repo bytes are uploaded for, if the caller may upload them.

    Bytes for a branch need the ``write`` role. Bytes for a pull request need only what
    opening one needs (:class:`~weighthouse.domain.discussions.Discussions`): seeing the repo,
    signed in with a credential that may change things. That is safe because uploaded bytes
    change no branch: they become files only through a commit, and every commit a reader can
    make lands on the branch of a pull request they opened. The upload proves possession
    for its uploader alone (:mod:`~weighthouse.domain.blob_proof`), as any upload does.
    """
    if not for_pull_request:
        repo = find_repo(catalog, principal, repo_id, Role.WRITE)
    else:
        repo = find_repo(catalog, principal, repo_id)
        require_writing_user(principal)
    require_versioned(repo)
    return repo


def require_bucket(repo: Repo) -> None:
    if repo.type is not RepoType.BUCKET:
        raise RepoNotFoundError(f"{repo.full_name!r} is not a bucket", repo=repo.full_name)


def find_bucket(catalog: RepoLookup, principal: Principal, bucket: RepoId, need: Role) -> Repo:
    """The bucket, if the caller has the ``need`` role on it, as :func:`find_repo` finds it:
    an id of another repo type is ``InvalidInputError``, a repo that is no bucket
    ``RepoNotFoundError``."""
    if bucket.type is not RepoType.BUCKET:
        raise InvalidInputError("not a bucket id")
    repo = find_repo(catalog, principal, bucket, need)
    require_bucket(repo)
    return repo
