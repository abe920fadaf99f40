"""Signing in and out: a right name and password buy a session.

A session token (``whs.…``) is signed by the server's key ring and names a session row, so
signing out, or disabling the user, ends it at once. The token itself is never stored.
A sign-in stores its session in one transaction with the audit row (and a rehashed password).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from weighthouse.domain.access import Principal, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import SessionCatalog, UnitOfWork
from weighthouse.domain.credentials import SESSION_PREFIX
from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.model import Session, User
from weighthouse.domain.ports import Clock, SessionSigner
from weighthouse.domain.signin import PasswordGate


@dataclass(frozen=True)
class IssuedSession:
    """A sign-in: the signed session token is returned once and never stored."""

    user: User
    session: Session
    token: str = field(repr=False)


class SignInCatalog(SessionCatalog, UnitOfWork, Protocol):
    """What :class:`Sessions` uses: sessions, stored in units with their audit rows."""


class Sessions:
    def __init__(
        self,
        catalog: SignInCatalog,
        clock: Clock,
        *,
        gate: PasswordGate,
        signer: SessionSigner,
        audit: Audit,
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._gate = gate
        self._signer = signer
        self._audit = audit

    def sign_in(self, name: str, password: str, *, client: str | None = None) -> IssuedSession:
        """A session for the right name and password.

        Raises ``RateLimitedError`` (checked before any hashing) and ``AuthenticationError``
        with the same message whether the user is unknown, disabled or the password is wrong.
        """
        now = self._clock()
        session_id = uuid.uuid4().hex

        def session_of(user: User) -> Session:
            return Session(
                id=session_id,
                user_id=user.id,
                created_at=now,
                expires_at=now + self._gate.policy.session_ttl,
            )

        user = self._gate.sign_in(
            name, password, client, then=lambda user: self._catalog.add_session(session_of(user))
        )
        session = session_of(user)
        token = self._signer.sign(
            {"sid": session.id, "sub": user.id, "exp": int(session.expires_at.timestamp())}
        )
        if not token.startswith(SESSION_PREFIX):
            raise AssertionError("session signers must make tokens that start with 'whs.'")
        return IssuedSession(user=user, session=session, token=token)

    def sign_out(self, principal: Principal) -> None:
        """End the caller's session; API tokens are revoked, not signed out. Idempotent."""
        user = require_user(principal)
        if principal.session_id is None:
            raise InvalidInputError("sign-out ends a session; revoke API tokens instead")
        session_id = principal.session_id

        def store() -> None:
            self._catalog.revoke_session(session_id, self._clock())
            self._audit.record("user.signout", actor=user.name, target=user.name)

        self._catalog.run_atomic(store)
