"""Gated repos: users ask for a repo's files, its admins accept or reject.

The gate itself is checked by the permission service (:func:`~weighthouse.domain.access.
require_files`); this module keeps the requests. A repo admin turns gating on with
:meth:`~weighthouse.domain.repos.Repos.update` (``gated=auto`` accepts every request as it is
made; ``manual`` waits for an admin). Requests outlive a change of gating, so turning it off
and on again keeps who was accepted.
"""

from __future__ import annotations

from typing import Protocol

from weighthouse.domain.access import Principal, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import AccessRequestCatalog, UnitOfWork, UserCatalog
from weighthouse.domain.errors import InvalidInputError, NotFoundError
from weighthouse.domain.model import (
    AccessRequest,
    AccessRequestStatus,
    Gating,
    Repo,
    RepoId,
    Role,
)
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import RepoLookup, find_repo

REASON_MAX = 1000


class GatingCatalog(RepoLookup, AccessRequestCatalog, UserCatalog, UnitOfWork, Protocol):
    """What :class:`AccessRequests` uses."""


class AccessRequests:
    def __init__(self, catalog: GatingCatalog, clock: Clock, audit: Audit) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit

    def ask(self, principal: Principal, repo_id: RepoId) -> AccessRequest:
        """Ask for the files of a gated repo the caller can see. Asking again changes
        nothing: a rejected request stays rejected until an admin says otherwise.

        Raises ``InvalidInputError`` when the repo is not gated, ``AuthenticationError`` for
        anonymous callers, and the errors of :func:`find_repo`."""
        repo = find_repo(self._catalog, principal, repo_id)
        user = require_user(principal)
        _require_gated(repo)
        existing = self._catalog.access_request(repo.id, user.id)
        if existing is not None:
            return existing
        now = self._clock()
        accepted = repo.gated is Gating.AUTO
        request = AccessRequest(
            repo_id=repo.id,
            user_id=user.id,
            status=AccessRequestStatus.ACCEPTED if accepted else AccessRequestStatus.PENDING,
            created_at=now,
            updated_at=now,
            user=user.name,
        )
        self._catalog.save_access_request(request)
        return request

    def mine(self, principal: Principal, repo_id: RepoId) -> AccessRequest | None:
        """The caller's own request for the repo, if any."""
        user = require_user(principal)
        repo = find_repo(self._catalog, principal, repo_id)
        return self._catalog.access_request(repo.id, user.id)

    def list(
        self, principal: Principal, repo_id: RepoId, status: AccessRequestStatus
    ) -> list[AccessRequest]:
        """The repo's requests in ``status``, oldest first; for repo admins."""
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)
        return self._catalog.list_access_requests(repo.id, status)

    def decide(
        self,
        principal: Principal,
        repo_id: RepoId,
        user_name: str,
        status: AccessRequestStatus,
        reason: str = "",
    ) -> AccessRequest:
        """Accept, reject or return to pending the request ``user_name`` made; repo admins.
        Accepting a user who made no request grants access as :meth:`grant` does.

        Raises ``UserNotFoundError`` when no user has that name, ``NotFoundError`` when a
        request to reject or put back does not exist, ``InvalidInputError`` for a reason over
        :data:`REASON_MAX` characters."""
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)
        if len(reason) > REASON_MAX:
            raise InvalidInputError(f"a reason must be at most {REASON_MAX} characters")
        user = self._catalog.get_user(user_name)
        existing = self._catalog.access_request(repo.id, user.id)
        if existing is None and status is AccessRequestStatus.ACCEPTED:
            return self.grant(principal, repo_id, user_name)
        if existing is None:
            raise NotFoundError(
                f"{user_name!r} has no access request for {repo.full_name!r}", user=user_name
            )
        return self._store(principal, repo, existing, status, reason)

    def grant(self, principal: Principal, repo_id: RepoId, user_name: str) -> AccessRequest:
        """Accept ``user_name`` without a request of theirs; repo admins.

        Raises ``InvalidInputError`` when the repo is not gated or the user's request is
        already accepted, ``UserNotFoundError`` when no user has that name."""
        repo = find_repo(self._catalog, principal, repo_id, Role.ADMIN)
        _require_gated(repo)
        user = self._catalog.get_user(user_name)
        existing = self._catalog.access_request(repo.id, user.id)
        if existing is not None and existing.status is AccessRequestStatus.ACCEPTED:
            raise InvalidInputError(f"{user_name!r} already has access to {repo.full_name!r}")
        now = self._clock()
        request = existing or AccessRequest(
            repo_id=repo.id,
            user_id=user.id,
            status=AccessRequestStatus.PENDING,
            created_at=now,
            updated_at=now,
            user=user.name,
        )
        return self._store(principal, repo, request, AccessRequestStatus.ACCEPTED, "")

    def _store(
        self,
        principal: Principal,
        repo: Repo,
        request: AccessRequest,
        status: AccessRequestStatus,
        reason: str,
    ) -> AccessRequest:
        decided = AccessRequest(
            repo_id=request.repo_id,
            user_id=request.user_id,
            status=status,
            created_at=request.created_at,
            updated_at=self._clock(),
            user=request.user,
            decided_by=self._audit.by(principal),
            reason=reason if status is AccessRequestStatus.REJECTED else "",
        )

        def store() -> None:
            self._catalog.save_access_request(decided)
            self._audit.record(
                "repo.access_request",
                actor=self._audit.by(principal),
                target=f"{repo.type.value}:{repo.full_name}",
                detail={"user": request.user, "status": status.value},
            )

        self._catalog.run_atomic(store)
        return decided


def _require_gated(repo: Repo) -> None:
    if repo.gated is Gating.OFF:
        raise InvalidInputError(f"{repo.full_name!r} is not gated")
