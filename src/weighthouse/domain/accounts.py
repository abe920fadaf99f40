"""Users and API tokens.

A token reads ``wh_<id>_<secret>``: the id finds the row, the 256-bit secret proves possession.
Only SHA-256 of the secret is stored; a slow hash buys nothing for a secret of that entropy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from weighthouse.domain.access import ANONYMOUS, Principal, require_admin, require_user
from weighthouse.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    TokenNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import Scope, Token, User
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Catalog, Clock

TOKEN_PREFIX = "wh_"  # noqa: S105 - a public prefix, not a secret
TOKEN_MAX_LENGTH = 200
# Recording every use would turn each read into a write; once a minute is precise enough.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token as created: the only moment the full ``secret`` string is known."""

    token: Token
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_token(value: str) -> tuple[str, str]:
    """Split ``wh_<id>_<secret>``; raise ``AuthenticationError`` on anything else."""
    if len(value) > TOKEN_MAX_LENGTH or not value.startswith(TOKEN_PREFIX):
        raise AuthenticationError("malformed token")
    token_id, sep, secret = value[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not token_id or not secret or not token_id.isalnum():
        raise AuthenticationError("malformed token")
    return token_id, secret


class Accounts:
    """Create users and tokens, and turn a presented token into a :class:`Principal`."""

    def __init__(self, catalog: Catalog, clock: Clock) -> None:
        self._catalog = catalog
        self._clock = clock

    def create_user(self, principal: Principal, name: str, *, is_admin: bool = False) -> User:
        require_admin(principal)
        return self._add_user(name, is_admin=is_admin)

    def _add_user(self, name: str, *, is_admin: bool) -> User:
        user = User(
            id=uuid.uuid4().hex,
            name=check_name(name, what="user name"),
            is_admin=is_admin,
            created_at=self._clock(),
        )
        self._catalog.add_user(user)
        return user

    def list_users(self, principal: Principal) -> list[User]:
        require_admin(principal)
        return self._catalog.list_users()

    def bootstrap_admin(self, name: str, preset_token: str | None) -> IssuedToken | None:
        """On a catalog with no users, create the admin and its first admin token.

        With ``preset_token`` (a ``wh_<id>_<secret>`` string from the environment) that token is
        registered; otherwise a new one is made. Returns ``None`` when users already exist.
        """
        if self._catalog.count_users() > 0:
            return None
        user = self._add_user(name, is_admin=True)
        if preset_token is None:
            return self._issue(user, "bootstrap", Scope.ADMIN, None)
        try:
            token_id, secret = parse_token(preset_token)
        except AuthenticationError:
            raise InvalidInputError(
                "the preset admin token must look like wh_<id>_<secret>"
            ) from None
        return self._store(user, "bootstrap", Scope.ADMIN, None, token_id, preset_token, secret)

    def create_token(
        self,
        principal: Principal,
        name: str,
        scope: Scope,
        *,
        for_user: str | None = None,
        expires_at: datetime | None = None,
    ) -> IssuedToken:
        """A new token for the caller (or, for admins, for ``for_user``).

        No credential can mint a token with a broader scope than its own.
        """
        caller = require_user(principal)
        target = caller
        if for_user is not None and for_user != caller.name:
            require_admin(principal)
            target = self._catalog.get_user(for_user)
        if not principal.scope.allows(scope):
            raise PermissionDeniedError(
                f"a {principal.scope.value} token cannot create a {scope.value} token"
            )
        if scope is Scope.ADMIN and not target.is_admin:
            raise PermissionDeniedError("only site admins can hold admin tokens")
        if not name or len(name) > 100:
            raise InvalidInputError("a token name must be 1 to 100 characters")
        if expires_at is not None and expires_at <= self._clock():
            raise InvalidInputError("expires_at must be in the future")
        return self._issue(target, name, scope, expires_at)

    def _issue(
        self, user: User, name: str, scope: Scope, expires_at: datetime | None
    ) -> IssuedToken:
        token_id = uuid.uuid4().hex
        secret = secrets.token_urlsafe(32)
        value = f"{TOKEN_PREFIX}{token_id}_{secret}"
        return self._store(user, name, scope, expires_at, token_id, value, secret)

    def _store(
        self,
        user: User,
        name: str,
        scope: Scope,
        expires_at: datetime | None,
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
        )
        self._catalog.add_token(token)
        return IssuedToken(token=token, secret=value)

    def list_tokens(self, principal: Principal) -> list[Token]:
        user = require_user(principal)
        return self._catalog.list_tokens(user.id)

    def revoke_token(self, principal: Principal, token_id: str) -> None:
        user = require_user(principal)
        try:
            token = self._catalog.get_token(token_id)
        except TokenNotFoundError:
            raise TokenNotFoundError(f"no token {token_id!r}", token=token_id) from None
        if token.user_id != user.id:
            try:
                require_admin(principal)
            except PermissionDeniedError:
                # Someone else's token id is not confirmed to exist.
                raise TokenNotFoundError(f"no token {token_id!r}", token=token_id) from None
        self._catalog.revoke_token(token_id, self._clock())

    def authenticate(self, presented: str | None) -> Principal:
        """The principal for a presented token; ``None`` means anonymous.

        Raises ``AuthenticationError`` for a malformed, unknown, expired or revoked token, or
        one whose user is disabled. The secret is compared in constant time.
        """
        if presented is None:
            return ANONYMOUS
        token_id, secret = parse_token(presented)
        try:
            token = self._catalog.get_token(token_id)
            user = self._catalog.get_user_by_id(token.user_id)
        except (TokenNotFoundError, UserNotFoundError):
            raise AuthenticationError("invalid token") from None
        if not hmac.compare_digest(token.secret_sha256, hash_secret(secret)):
            raise AuthenticationError("invalid token")
        now = self._clock()
        if not token.is_active(now):
            raise AuthenticationError("token expired or revoked")
        if user.disabled:
            raise AuthenticationError("this account is disabled")
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            self._catalog.touch_token(token.id, now)
            token = replace(token, last_used_at=now)
        return Principal(user=user, scope=token.scope, token_id=token.id)
