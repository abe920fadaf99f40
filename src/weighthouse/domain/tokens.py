"""API tokens: create, list and revoke them.

A token reads ``wh_<id>_<secret>``: the id finds the row, the 256-bit secret proves possession.
Only SHA-256 of the secret is stored; a slow hash buys nothing for a secret of that entropy.
Checking a presented token is :mod:`weighthouse.domain.authentication`'s job. A new or revoked
token is stored in one transaction with its audit row.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from weighthouse.domain.access import Principal, require_admin, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import TokenCatalog, UnitOfWork, UserCatalog
from weighthouse.domain.credentials import TOKEN_MAX_LENGTH, TOKEN_PREFIX
from weighthouse.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    TokenNotFoundError,
)
from weighthouse.domain.model import Scope, Token, User
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Clock

RESTRICTIONS_MAX = 100
TOKEN_LIFETIME_MAX = timedelta(days=3653)


@dataclass(frozen=True)
class IssuedToken:
    """A token as created: the only moment the full ``secret`` string is known."""

    token: Token
    secret: str = field(repr=False)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_token(value: str) -> tuple[str, str]:
    """Split ``wh_<id>_<secret>``; raise ``AuthenticationError`` on anything else."""
    if len(value) > TOKEN_MAX_LENGTH or not value.startswith(TOKEN_PREFIX):
        raise AuthenticationError("malformed token")
    token_id, sep, secret = value[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not token_id or not secret or not token_id.isalnum() or not token_id.isascii():
        raise AuthenticationError("malformed token")
    return token_id, secret


def parse_preset(value: str) -> tuple[str, str]:
    """Split a token chosen elsewhere (the preset admin token) like :func:`parse_token`; raise
    ``InvalidInputError`` instead, since a bad one is the operator's input, not a credential."""
    try:
        return parse_token(value)
    except AuthenticationError:
        raise InvalidInputError("the preset admin token must look like wh_<id>_<secret>") from None


def check_restrictions(
    entries: list[str] | tuple[str, ...], *, what: str = "token"
) -> tuple[str, ...]:
    """Restrictions are namespaces (``ns``) or repos (``ns/name``)."""
    if len(entries) > RESTRICTIONS_MAX:
        raise InvalidInputError(f"a {what} may name at most {RESTRICTIONS_MAX} restrictions")
    for entry in entries:
        parts = entry.split("/")
        if len(parts) > 2:
            raise InvalidInputError(f"restriction {entry[:100]!r} must be 'ns' or 'ns/name'")
        for part in parts:
            check_name(part)
    return tuple(dict.fromkeys(entries))


def check_label(name: str, *, what: str = "token") -> str:
    if not name or len(name) > 100 or not name.isprintable():
        raise InvalidInputError(f"a {what} name must be 1 to 100 printable characters")
    return name


def check_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInputError("expires_at needs a time zone")
    if expires_at is not None and not (now < expires_at <= now + TOKEN_LIFETIME_MAX):
        raise InvalidInputError("expires_at must be in the future, within ten years")
    return expires_at


def check_narrower(
    principal: Principal, scope: Scope, restrictions: tuple[str, ...], *, what: str = "token"
) -> None:
    """No credential can mint one broader than itself: not a wider scope, and not fewer
    restrictions. Raises ``PermissionDeniedError``."""
    if not principal.scope.allows(scope):
        raise PermissionDeniedError(
            f"a {principal.scope.value} credential cannot create a {scope.value} {what}"
        )
    if principal.restrict_to:
        outside = [r for r in restrictions if not principal.reaches(*split_entry(r))]
        if not restrictions or outside:
            raise PermissionDeniedError(f"a restricted token can only mint narrower {what}s")


def split_entry(entry: str) -> tuple[str, str | None]:
    namespace, _, name = entry.partition("/")
    return namespace, name or None


class TokenIssuerCatalog(UserCatalog, TokenCatalog, UnitOfWork, Protocol):
    """What :class:`Tokens` uses: users and their tokens, stored in units with audit rows."""


class Tokens:
    def __init__(self, catalog: TokenIssuerCatalog, clock: Clock, audit: Audit) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit

    def create(
        self,
        principal: Principal,
        name: str,
        scope: Scope,
        *,
        for_user: str | None = None,
        expires_at: datetime | None = None,
        restrict_to: tuple[str, ...] | list[str] = (),
    ) -> IssuedToken:
        """A new token for the caller (or, for admins, for ``for_user``).

        No credential can mint a token broader than its own: not a wider scope, and not fewer
        restrictions.
        """
        caller = require_user(principal)
        target = caller
        if for_user is not None and for_user != caller.name:
            require_admin(principal)
            target = self._catalog.get_user(for_user)
        if not principal.scope.allows(scope):
            raise PermissionDeniedError(
                f"a {principal.scope.value} credential cannot create a {scope.value} token"
            )
        if scope is Scope.ADMIN and not target.is_admin:
            raise PermissionDeniedError("only site admins can hold admin tokens")
        check_label(name)
        check_expiry(expires_at, self._clock())
        restrictions = check_restrictions(restrict_to)
        check_narrower(principal, scope, restrictions)

        def store() -> IssuedToken:
            issued = self.issue(target, name, scope, expires_at, restrictions)
            self._audit.record(
                "token.create",
                actor=caller.name,
                target=target.name,
                detail={"token": issued.token.id, "scope": scope.value},
            )
            return issued

        return self._catalog.run_atomic(store)

    def issue(
        self,
        user: User,
        name: str,
        scope: Scope,
        expires_at: datetime | None,
        restrict_to: tuple[str, ...],
    ) -> IssuedToken:
        """Store a new token without any check: for callers that made them. Inside a unit of
        work it joins the unit; a new id and secret are drawn on every call."""
        token_id = uuid.uuid4().hex
        secret = secrets.token_urlsafe(32)
        value = f"{TOKEN_PREFIX}{token_id}_{secret}"
        return self._store(user, name, scope, expires_at, restrict_to, token_id, value, secret)

    def register(self, user: User, name: str, scope: Scope, value: str) -> IssuedToken:
        """Store a token whose value was chosen elsewhere (the preset admin token). Raises
        ``InvalidInputError`` when it does not look like ``wh_<id>_<secret>``."""
        token_id, secret = parse_preset(value)
        return self._store(user, name, scope, None, (), token_id, value, secret)

    def _store(
        self,
        user: User,
        name: str,
        scope: Scope,
        expires_at: datetime | None,
        restrict_to: tuple[str, ...],
        token_id: str,
        value: str,
        secret: str,
    ) -> IssuedToken:
        token = Token(
            id=token_id,
            user_id=user.id,
            name=name,
            scope=scope,
            secret_sha256=hash_secret(secret),
            created_at=self._clock(),
            expires_at=expires_at,
            restrict_to=restrict_to,
        )
        self._catalog.add_token(token)
        return IssuedToken(token=token, secret=value)

    def recover_admin(self, name: str, *, operator: str | None = None) -> IssuedToken:
        """A new admin token for the site admin ``name``, for the operator of the server's host
        who lost every admin credential; the caller vouches for that (no principal is asked).
        ``operator`` (who ran it, where) goes to the audit log with the token's id, in the same
        transaction as the token.

        Raises ``UserNotFoundError``, and ``PermissionDeniedError`` when ``name`` is not a
        site admin or is disabled: recovery never raises anyone's rights.
        """
        user = self._catalog.get_user(name)
        if not user.is_admin:
            raise PermissionDeniedError(f"{name} is not a site admin", user=name)
        if user.disabled:
            raise PermissionDeniedError(f"the site admin {name} is disabled", user=name)

        def store() -> IssuedToken:
            issued = self.issue(user, "recovery", Scope.ADMIN, None, ())
            self._audit.record(
                "token.recover",
                actor=None,
                target=name,
                client=operator,
                detail={"token": issued.token.id, "scope": Scope.ADMIN.value},
            )
            return issued

        return self._catalog.run_atomic(store)

    def list(self, principal: Principal, *, for_user: str | None = None) -> list[Token]:
        user = require_user(principal)
        if for_user is not None and for_user != user.name:
            require_admin(principal)
            user = self._catalog.get_user(for_user)
        return self._catalog.list_tokens(user.id)

    def revoke(self, principal: Principal, token_id: str) -> None:
        """Idempotent. Someone else's token is ``TokenNotFoundError`` (unless the caller is a
        site admin), so token ids cannot be probed."""
        user = require_user(principal)
        if len(token_id) > 64:
            raise TokenNotFoundError("no such token", token=token_id[:64])
        try:
            token = self._catalog.get_token(token_id)
        except TokenNotFoundError:
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id) from None
        if token.user_id != user.id and not principal.is_admin:
            # Someone else's token id is not confirmed to exist.
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id)
        if principal.scope is Scope.READ:
            raise PermissionDeniedError("this credential is read-only", scope="read")
        if principal.restrict_to and token_id != principal.token_id:
            raise PermissionDeniedError("a restricted token can only revoke itself")

        def store() -> None:
            self._catalog.revoke_token(token_id, self._clock())
            self._audit.record(
                "token.revoke", actor=user.name, target=token_id, detail={"owner": token.user_id}
            )

        self._catalog.run_atomic(store)
