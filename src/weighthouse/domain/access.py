"""The one permission service. Every front-end asks here; none decides access on its own.

Rules:

* Anyone may read a public repo. A private repo is visible only to its owner's namespace and to
  site admins; to everyone else it does not exist (``RepoNotFoundError``, never a 403).
* Writing needs a signed-in user whose credential has the ``write`` scope and who owns the
  namespace (or is a site admin). Anonymous writers get ``AuthenticationError`` (401); known
  users without the right get ``PermissionDeniedError`` (403).
* Administration (users, tokens of others, maintenance) needs a site admin with ``admin`` scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from weighthouse.domain.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import Repo, Scope, User


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with what scope. ``user`` is ``None`` for anonymous callers."""

    user: User | None = None
    scope: Scope = Scope.READ
    token_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.is_admin and self.scope is Scope.ADMIN

    @property
    def viewer_id(self) -> str | None:
        return self.user.id if self.user else None


ANONYMOUS = Principal()


def _sees_all(principal: Principal) -> bool:
    # Admin users see everything with any scope: reading is not escalation.
    return principal.user is not None and principal.user.is_admin


def _owns(principal: Principal, namespace: str) -> bool:
    return principal.user is not None and principal.user.name == namespace


def can_read(principal: Principal, repo: Repo) -> bool:
    if not repo.private:
        return True
    return _sees_all(principal) or _owns(principal, repo.namespace)


def require_read(principal: Principal, repo: Repo) -> None:
    """Raise ``RepoNotFoundError`` when the caller may not see the repo."""
    if not can_read(principal, repo):
        raise RepoNotFoundError(f"repo {repo.full_name!r} not found", repo=repo.full_name)


def require_write(principal: Principal, repo: Repo) -> None:
    """Raise 404, 401 or 403 as the module docstring says."""
    require_read(principal, repo)
    require_namespace_write(principal, repo.namespace)


def require_namespace_write(principal: Principal, namespace: str) -> None:
    """The caller may create and change repos in ``namespace``."""
    user = _require_user(principal)
    if not principal.scope.allows(Scope.WRITE):
        raise PermissionDeniedError("this token is read-only", scope=principal.scope.value)
    if not (user.is_admin or user.name == namespace):
        raise PermissionDeniedError(
            f"{user.name!r} may not write in namespace {namespace!r}", namespace=namespace
        )


def require_admin(principal: Principal) -> None:
    """The caller is a site admin using an ``admin``-scoped credential."""
    user = _require_user(principal)
    if not (user.is_admin and principal.scope is Scope.ADMIN):
        raise PermissionDeniedError("this needs a site admin with an admin-scoped token")


def require_user(principal: Principal) -> User:
    """The signed-in user; raise ``AuthenticationError`` for anonymous callers."""
    return _require_user(principal)


def _require_user(principal: Principal) -> User:
    if principal.user is None:
        raise AuthenticationError("this needs a token: send 'Authorization: Bearer <token>'")
    return principal.user
