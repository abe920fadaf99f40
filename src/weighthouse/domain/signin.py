"""Passwords: the length rule, and checking one against its hash behind rate limits.

Sign-in attempts are rate-limited per client address, then per account, *before* any hashing.
An address over its limit is refused before its attempt counts against the account, and the
account's limit is the higher one, so a stranger guessing from one address cannot lock the
owner out; it takes many addresses together to reach it. A failure says nothing about whether
the user exists: unknown users cost one dummy verification too. Sign-in, HTTP Basic with a
password and changing a password all pass here.
A successful sign-in is stored in one transaction with its audit row; the password is hashed
before that transaction, never inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import UnitOfWork, UserCatalog
from weighthouse.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    RateLimitedError,
    UserNotFoundError,
)
from weighthouse.domain.model import User
from weighthouse.domain.ports import PasswordHasher, RateLimiter

PASSWORD_MIN = 8
PASSWORD_MAX = 1024
_SIGNIN_FAILED = "invalid user name or password"


@dataclass(frozen=True)
class AuthPolicy:
    """The knobs of authentication, from the settings."""

    signup_enabled: bool = True
    session_ttl: timedelta = timedelta(hours=12)
    signin_per_account: int = 100
    signin_per_client: int = 10
    signin_window: timedelta = timedelta(minutes=5)
    signup_per_client: int = 10


def check_password(password: str) -> str:
    """A new password's length rule; raises ``InvalidInputError``."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInputError(f"a password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    return password


def account_key(name: str) -> str:
    """The rate limiter's key for sign-in attempts on one account."""
    return f"signin:account:{name.lower()[:200]}"


class PasswordGateCatalog(UserCatalog, UnitOfWork, Protocol):
    """What :class:`PasswordGate` uses: users, and a unit to store a sign-in in."""


class PasswordGate:
    """Checks passwords behind the rate limits, and records what happened in the audit log."""

    def __init__(
        self,
        catalog: PasswordGateCatalog,
        *,
        hasher: PasswordHasher,
        limiter: RateLimiter,
        audit: Audit,
        policy: AuthPolicy,
    ) -> None:
        self._catalog = catalog
        self._hasher = hasher
        self._limiter = limiter
        self._audit = audit
        self.policy = policy

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def sign_in(
        self,
        name: str,
        password: str,
        client: str | None,
        *,
        then: Callable[[User], None] | None = None,
    ) -> User:
        """The user of that name, if the password is right and the account enabled.

        Raises ``RateLimitedError`` (checked before any hashing) and ``AuthenticationError``
        with the same message whether the user is unknown, disabled or the password is wrong.
        Failures are audited on their own; a success is stored in one unit of work with its
        audit row, the rehashed password (when the hash is outdated) and whatever ``then``
        stores for the user (it runs inside the unit, so it must only call the catalog).
        """
        key = account_key(name)
        self.limit(f"signin:client:{client}", self.policy.signin_per_client, client, name)
        self.limit(key, self.policy.signin_per_account, client, name)
        user: User | None
        try:
            user = self._catalog.get_user(name) if len(password) <= PASSWORD_MAX else None
        except UserNotFoundError:
            user = None
        ok = False
        if user is None or user.password_hash is None:
            self._hasher.dummy_verify(password[:PASSWORD_MAX])
        else:
            ok = self._hasher.verify(user.password_hash, password)
        if not ok or user is None or user.disabled:
            self._audit.record(
                "user.signin", actor=None, target=name[:100], client=client, success=False
            )
            raise AuthenticationError(_SIGNIN_FAILED)
        self._limiter.reset(key)
        found = user
        rehashed = None
        if found.password_hash is not None and self._hasher.needs_rehash(found.password_hash):
            rehashed = self._hasher.hash(password)

        def store() -> None:
            if rehashed is not None:
                self._catalog.set_password_hash(found.id, rehashed)
            if then is not None:
                then(found)
            self._audit.record("user.signin", actor=found.name, target=found.name, client=client)

        self._catalog.run_atomic(store)
        return found

    def check_current(self, user: User, current: str | None, client: str | None) -> None:
        """Before a password change: the user's current password, if one is set, within the
        account's sign-in limit. Raises ``RateLimitedError`` and ``AuthenticationError``."""
        stored = self._catalog.get_user_by_id(user.id)
        if stored.password_hash is None:
            return
        self.limit(account_key(user.name), self.policy.signin_per_account, client)
        if current is None or not self._hasher.verify(stored.password_hash, current):
            self._audit.record(
                "user.password", actor=user.name, target=user.name, client=client, success=False
            )
            raise AuthenticationError("the current password is wrong")

    def limit(self, key: str, limit: int, client: str | None, name: str | None = None) -> None:
        """Count one attempt under ``key``; raise ``RateLimitedError`` past ``limit``."""
        wait = self._limiter.attempt(key, limit, self.policy.signin_window)
        if wait is not None:
            self._audit.record(
                "user.signin.limited",
                actor=None,
                target=(name or key)[:100],
                client=client,
                success=False,
            )
            raise RateLimitedError("too many attempts; try again later", retry_after=wait)
