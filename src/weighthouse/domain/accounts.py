"""Users, passwords, sessions and API tokens, and turning credentials into a principal.

* **API tokens** read ``wh_<id>_<secret>``: the id finds the row, the 256-bit secret proves
  possession. Only SHA-256 of the secret is stored; a slow hash buys nothing for a secret of
  that entropy.
* **Passwords** are hashed with the :class:`PasswordHasher` port (argon2id). Sign-in attempts
  are rate-limited per account and per client address *before* any hashing, and a failure says
  nothing about whether the user exists: unknown users cost one dummy verification too.
* **Session tokens** (``whs.…``) are signed by the server's key ring and name a session row,
  so signing out, or disabling the user, ends them at once.

Every change is stored in one transaction with its audit row; password hashing happens before
that transaction, never inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from weighthouse.domain.access import ANONYMOUS, Principal, require_admin, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import SessionCatalog, TokenCatalog, UnitOfWork, UserCatalog
from weighthouse.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
    SessionNotFoundError,
    TokenNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from weighthouse.domain.model import Scope, Session, Token, User
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Clock, PasswordHasher, RateLimiter, SessionSigner

TOKEN_PREFIX = "wh_"  # noqa: S105 - a public prefix, not a secret
SESSION_PREFIX = "whs."
TOKEN_MAX_LENGTH = 200
SESSION_MAX_LENGTH = 4096
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
RESTRICTIONS_MAX = 100
TOKEN_LIFETIME_MAX = timedelta(days=3653)
# Recording every use would turn each read into a write; once a minute is precise enough.
_TOUCH_EVERY = timedelta(minutes=1)
_SIGNIN_FAILED = "invalid user name or password"


@dataclass(frozen=True)
class AuthPolicy:
    """The knobs of authentication, from the settings."""

    signup_enabled: bool = True
    session_ttl: timedelta = timedelta(hours=12)
    signin_per_account: int = 10
    signin_per_client: int = 10
    signin_window: timedelta = timedelta(minutes=5)
    signup_per_client: int = 10


@dataclass(frozen=True)
class IssuedToken:
    """A token as created: the only moment the full ``secret`` string is known."""

    token: Token
    secret: str


@dataclass(frozen=True)
class IssuedSession:
    """A sign-in: the signed session token is returned once and never stored."""

    user: User
    session: Session
    token: str


@dataclass(frozen=True)
class Credentials:
    """What a request presented: a bearer token, or HTTP Basic user name and secret (a password
    or a token), and the client's address for rate limits and the audit log."""

    bearer: str | None = None
    basic_user: str | None = None
    basic_secret: str | None = None
    client: str | None = None


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


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInputError(f"a password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    return password


def check_restrictions(entries: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Token restrictions are namespaces (``ns``) or repos (``ns/name``)."""
    if len(entries) > RESTRICTIONS_MAX:
        raise InvalidInputError(f"a token may name at most {RESTRICTIONS_MAX} restrictions")
    for entry in entries:
        parts = entry.split("/")
        if len(parts) > 2:
            raise InvalidInputError(f"restriction {entry[:100]!r} must be 'ns' or 'ns/name'")
        for part in parts:
            check_name(part)
    return tuple(dict.fromkeys(entries))


class AccountCatalog(UserCatalog, TokenCatalog, SessionCatalog, UnitOfWork, Protocol):
    """What :class:`Accounts` uses: users, their tokens and their sessions."""


class Accounts:
    def __init__(
        self,
        catalog: AccountCatalog,
        clock: Clock,
        *,
        hasher: PasswordHasher,
        limiter: RateLimiter,
        signer: SessionSigner,
        audit: Audit,
        policy: AuthPolicy | None = None,
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._hasher = hasher
        self._limiter = limiter
        self._signer = signer
        self._audit = audit
        self.policy = policy or AuthPolicy()

    # --- users -----------------------------------------------------------------------------
    def sign_up(self, name: str, password: str, *, client: str | None = None) -> User:
        """Create an account, when sign-up is on. Rate-limited per client address."""
        if not self.policy.signup_enabled:
            raise PermissionDeniedError("sign-up is switched off on this server")
        self._limit(f"signup:client:{client}", self.policy.signup_per_client, client)
        check_name(name, what="user name")
        check_password(password)
        user = self._new_user(name, is_admin=False, password=password)

        def store() -> None:
            self._catalog.add_user(user)
            self._audit.record("user.signup", actor=name, target=name, client=client)

        self._catalog.run_atomic(store)
        return user

    def create_user(
        self,
        principal: Principal,
        name: str,
        *,
        is_admin: bool = False,
        password: str | None = None,
    ) -> User:
        """Admins can always create users, with or without a password."""
        require_admin(principal)
        check_name(name, what="user name")
        if password is not None:
            check_password(password)
        user = self._new_user(name, is_admin=is_admin, password=password)

        def store() -> None:
            self._catalog.add_user(user)
            self._audit.record(
                "user.create",
                actor=self._audit.by(principal),
                target=name,
                detail={"is_admin": str(is_admin).lower()},
            )

        self._catalog.run_atomic(store)
        return user

    def _new_user(self, name: str, *, is_admin: bool, password: str | None) -> User:
        """A user not stored yet; the password is hashed here, outside any transaction."""
        return User(
            id=uuid.uuid4().hex,
            name=check_name(name, what="user name"),
            is_admin=is_admin,
            created_at=self._clock(),
            password_hash=self._hasher.hash(password) if password is not None else None,
        )

    def list_users(self, principal: Principal) -> list[User]:
        require_admin(principal)
        return self._catalog.list_users()

    def set_disabled(self, principal: Principal, name: str, disabled: bool) -> User:
        """Disable or enable an account; a disabled user's tokens and sessions stop working."""
        admin = require_admin(principal)
        user = self._catalog.get_user(name)
        if user.id == admin.id and disabled:
            raise InvalidInputError("an admin cannot disable their own account")

        def store() -> None:
            self._catalog.set_user_disabled(user.id, disabled)
            self._audit.record(
                "user.disable" if disabled else "user.enable", actor=admin.name, target=name
            )

        self._catalog.run_atomic(store)
        return replace(user, disabled=disabled)

    def change_password(
        self, principal: Principal, current: str | None, new: str, *, client: str | None = None
    ) -> None:
        """Change the caller's password; the current one is needed if one is set."""
        user = require_user(principal)
        if principal.scope is Scope.READ or principal.restrict_to:
            # A restricted token must not become a full account through a new password.
            raise PermissionDeniedError("this credential cannot change the password")
        check_password(new)
        stored = self._catalog.get_user_by_id(user.id)
        if stored.password_hash is not None:
            self._limit(
                f"signin:account:{user.name.lower()}", self.policy.signin_per_account, client
            )
            if current is None or not self._hasher.verify(stored.password_hash, current):
                self._audit.record(
                    "user.password", actor=user.name, target=user.name, client=client, success=False
                )
                raise AuthenticationError("the current password is wrong")
        new_hash = self._hasher.hash(new)

        def store() -> None:
            self._catalog.set_password_hash(user.id, new_hash)
            self._audit.record("user.password", actor=user.name, target=user.name, client=client)

        self._catalog.run_atomic(store)

    def bootstrap_admin(self, name: str, preset_token: str | None) -> IssuedToken | None:
        """On a catalog with no users, create the admin and its first admin token.

        With ``preset_token`` (a ``wh_<id>_<secret>`` string from the environment) that token is
        registered; otherwise a new one is made. Returns ``None`` when users already exist, also
        when another server process sharing the catalog made the admin at the same time. The
        user, its token and the audit row are stored together or not at all.
        """
        preset: tuple[str, str] | None = None
        if preset_token is not None:
            try:
                preset = parse_token(preset_token)
            except AuthenticationError:
                raise InvalidInputError(
                    "the preset admin token must look like wh_<id>_<secret>"
                ) from None
        user = self._new_user(name, is_admin=True, password=None)

        def store() -> IssuedToken | None:
            if self._catalog.count_users() > 0:
                return None
            self._catalog.add_user(user)
            self._audit.record("user.create", actor=None, target=name, detail={"is_admin": "true"})
            if preset is None or preset_token is None:
                return self._issue(user, "bootstrap", Scope.ADMIN, None, ())
            token_id, secret = preset
            return self._store(
                user, "bootstrap", Scope.ADMIN, None, (), token_id, preset_token, secret
            )

        try:
            return self._catalog.run_atomic(store)
        except UserExistsError:
            return None

    def recover_admin_token(self, name: str, *, operator: str | None = None) -> IssuedToken:
        """A new admin token for the site admin ``name``, for the operator of the server's host
        who lost every admin credential; the caller vouches for that (no principal is asked).
        ``operator`` (who ran it, where) goes to the audit log with the token's id.

        Raises ``UserNotFoundError``, and ``PermissionDeniedError`` when ``name`` is not a
        site admin or is disabled: recovery never raises anyone's rights.
        """
        user = self._catalog.get_user(name)
        if not user.is_admin:
            raise PermissionDeniedError(f"{name} is not a site admin", user=name)
        if user.disabled:
            raise PermissionDeniedError(f"the site admin {name} is disabled", user=name)
        issued = self._issue(user, "recovery", Scope.ADMIN, None, ())
        self._audit.record(
            "token.recover",
            actor=None,
            target=name,
            client=operator,
            detail={"token": issued.token.id, "scope": Scope.ADMIN.value},
        )
        return issued

    # --- sessions --------------------------------------------------------------------------
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
                expires_at=now + self.policy.session_ttl,
            )

        user = self._check_password(
            name, password, client, then=lambda user: self._catalog.add_session(session_of(user))
        )
        session = session_of(user)
        token = self._signer.sign(
            {"sid": session.id, "sub": user.id, "exp": int(session.expires_at.timestamp())}
        )
        if not token.startswith(SESSION_PREFIX):
            raise AssertionError("session signers must make tokens that start with 'whs.'")
        return IssuedSession(user=user, session=session, token=token)

    def _check_password(
        self,
        name: str,
        password: str,
        client: str | None,
        *,
        then: Callable[[User], None] | None = None,
    ) -> User:
        """The user, when the name and password are right. Failures are audited on their own;
        a success is stored in one transaction with its audit row, the rehashed password (when
        the hash is outdated) and what ``then`` stores for the user."""
        account_key = f"signin:account:{name.lower()[:200]}"
        self._limit(f"signin:client:{client}", self.policy.signin_per_client, client, name)
        self._limit(account_key, self.policy.signin_per_account, client, name)
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
        self._limiter.reset(account_key)
        found = user
        rehashed = None
        if found.password_hash is not None and self._hasher.needs_rehash(found.password_hash):
            rehashed = self._hasher.hash(password)

        def store() -> None:
            if rehashed is not None:
                self._catalog.set_password_hash(found.id, rehashed)
            self._audit.record("user.signin", actor=found.name, target=found.name, client=client)
            if then is not None:
                then(found)

        self._catalog.run_atomic(store)
        return found

    def _limit(self, key: str, limit: int, client: str | None, name: str | None = None) -> None:
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

    def sign_out(self, principal: Principal) -> None:
        """End the caller's session; API tokens are revoked, not signed out."""
        user = require_user(principal)
        if principal.session_id is None:
            raise InvalidInputError("sign-out ends a session; revoke API tokens instead")
        session_id = principal.session_id

        def store() -> None:
            self._catalog.revoke_session(session_id, self._clock())
            self._audit.record("user.signout", actor=user.name, target=user.name)

        self._catalog.run_atomic(store)

    # --- tokens ----------------------------------------------------------------------------
    def create_token(
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
        if not name or len(name) > 100 or not name.isprintable():
            raise InvalidInputError("a token name must be 1 to 100 printable characters")
        if expires_at is not None and expires_at.tzinfo is None:
            raise InvalidInputError("expires_at needs a time zone")
        if expires_at is not None and not (
            self._clock() < expires_at <= self._clock() + TOKEN_LIFETIME_MAX
        ):
            raise InvalidInputError("expires_at must be in the future, within ten years")
        restrictions = check_restrictions(restrict_to)
        if principal.restrict_to:
            outside = [r for r in restrictions if not principal.reaches(*_split(r))]
            if not restrictions or outside:
                raise PermissionDeniedError("a restricted token can only mint narrower tokens")

        def store() -> IssuedToken:
            issued = self._issue(target, name, scope, expires_at, restrictions)
            self._audit.record(
                "token.create",
                actor=caller.name,
                target=target.name,
                detail={"token": issued.token.id, "scope": scope.value},
            )
            return issued

        return self._catalog.run_atomic(store)

    def _issue(
        self,
        user: User,
        name: str,
        scope: Scope,
        expires_at: datetime | None,
        restrict_to: tuple[str, ...],
    ) -> IssuedToken:
        token_id = uuid.uuid4().hex
        secret = secrets.token_urlsafe(32)
        value = f"{TOKEN_PREFIX}{token_id}_{secret}"
        return self._store(user, name, scope, expires_at, restrict_to, token_id, value, secret)

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

    def list_tokens(self, principal: Principal, *, for_user: str | None = None) -> list[Token]:
        user = require_user(principal)
        if for_user is not None and for_user != user.name:
            require_admin(principal)
            user = self._catalog.get_user(for_user)
        return self._catalog.list_tokens(user.id)

    def revoke_token(self, principal: Principal, token_id: str) -> None:
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

    # --- authentication --------------------------------------------------------------------
    def authenticate(self, credentials: Credentials | str | None) -> Principal:
        """The principal for what a request presented; nothing means anonymous.

        Raises ``AuthenticationError`` for malformed, unknown, expired or revoked credentials
        and for disabled users, and ``RateLimitedError`` for Basic passwords over the limit.
        """
        if credentials is None:
            return ANONYMOUS
        if isinstance(credentials, str):
            credentials = Credentials(bearer=credentials)
        if credentials.basic_user is not None:
            return self._basic(credentials)
        if credentials.bearer is None:
            return ANONYMOUS
        if credentials.bearer.startswith(SESSION_PREFIX):
            return self._session(credentials.bearer)
        return self._token(credentials.bearer)

    def _basic(self, credentials: Credentials) -> Principal:
        name = credentials.basic_user or ""
        secret = credentials.basic_secret or ""
        if secret.startswith((TOKEN_PREFIX, SESSION_PREFIX)):
            # The form git and many clients use: the user name, and a token as the password.
            if secret.startswith(SESSION_PREFIX):
                principal = self._session(secret)
            else:
                principal = self._token(secret)
            if principal.user is None or principal.user.name != name:
                raise AuthenticationError("the token does not belong to that user")
            return principal
        user = self._check_password(name, secret, credentials.client)
        return Principal(user=user, scope=Scope.ADMIN if user.is_admin else Scope.WRITE)

    def _session(self, value: str) -> Principal:
        if len(value) > SESSION_MAX_LENGTH:
            raise AuthenticationError("malformed session token")
        claims = self._signer.verify(value)
        session_id, user_id, expires = claims.get("sid"), claims.get("sub"), claims.get("exp")
        if not isinstance(session_id, str) or not isinstance(user_id, str):
            raise AuthenticationError("malformed session token")
        if not isinstance(expires, int) or expires <= self._clock().timestamp():
            raise AuthenticationError("the session has expired; sign in again")
        try:
            session = self._catalog.get_session(session_id)
            user = self._catalog.get_user_by_id(user_id)
        except (SessionNotFoundError, UserNotFoundError):
            raise AuthenticationError("invalid session") from None
        if session.user_id != user.id or not session.is_active(self._clock()):
            raise AuthenticationError("the session has ended; sign in again")
        if user.disabled:
            raise AuthenticationError("this account is disabled")
        scope = Scope.ADMIN if user.is_admin else Scope.WRITE
        return Principal(user=user, scope=scope, session_id=session.id)

    def _token(self, presented: str) -> Principal:
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
        return Principal(
            user=user, scope=token.scope, token_id=token.id, restrict_to=token.restrict_to
        )


def _split(entry: str) -> tuple[str, str | None]:
    namespace, _, name = entry.partition("/")
    return namespace, name or None
