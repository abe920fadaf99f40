"""Users: sign-up, accounts made by admins, disabling, password changes, and the first admin.

Every change is stored in one transaction with its audit row; password hashing happens before
that transaction, never inside it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Protocol

from weighthouse.domain.access import Principal, require_admin, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import UnitOfWork, UserCatalog
from weighthouse.domain.errors import InvalidInputError, PermissionDeniedError, UserExistsError
from weighthouse.domain.model import Scope, User
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Clock
from weighthouse.domain.signin import PasswordGate, check_password
from weighthouse.domain.tokens import IssuedToken, Tokens, parse_preset


class AccountCatalog(UserCatalog, UnitOfWork, Protocol):
    """What :class:`Users` uses: users, stored in units with their audit rows. The first
    admin's token joins the admin's unit through :class:`Tokens`, which must be built on the
    same catalog."""


class Users:
    def __init__(
        self,
        catalog: AccountCatalog,
        clock: Clock,
        *,
        gate: PasswordGate,
        tokens: Tokens,
        audit: Audit,
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._gate = gate
        self._tokens = tokens
        self._audit = audit

    def sign_up(self, name: str, password: str, *, client: str | None = None) -> User:
        """Create an account, when sign-up is on. Rate-limited per client address."""
        policy = self._gate.policy
        if not policy.signup_enabled:
            raise PermissionDeniedError("sign-up is switched off on this server")
        self._gate.limit(f"signup:client:{client}", policy.signup_per_client, client)
        check_name(name, what="user name")
        check_password(password)
        user = self._new(name, is_admin=False, password=password)

        def store() -> None:
            self._catalog.add_user(user)
            self._audit.record("user.signup", actor=name, target=name, client=client)

        self._catalog.run_atomic(store)
        return user

    def create(
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
        user = self._new(name, is_admin=is_admin, password=password)

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

    def _new(self, name: str, *, is_admin: bool, password: str | None) -> User:
        """A user not stored yet; the password is hashed here, outside any transaction."""
        return User(
            id=uuid.uuid4().hex,
            name=check_name(name, what="user name"),
            is_admin=is_admin,
            created_at=self._clock(),
            password_hash=self._gate.hash(password) if password is not None else None,
        )

    def list(self, principal: Principal) -> list[User]:
        require_admin(principal)
        return self._catalog.list_users()

    def set_disabled(self, principal: Principal, name: str, disabled: bool) -> User:
        """Disable or enable an account; a disabled user's tokens, sessions and access keys
        stop working at once."""
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
        self._gate.check_current(user, current, client)
        new_hash = self._gate.hash(new)

        def store() -> None:
            self._catalog.set_password_hash(user.id, new_hash)
            self._audit.record("user.password", actor=user.name, target=user.name, client=client)

        self._catalog.run_atomic(store)

    def bootstrap_admin(self, name: str, preset_token: str | None) -> IssuedToken | None:
        """On a catalog with no users, create the admin and its first admin token.

        With ``preset_token`` (a ``wh_<id>_<secret>`` string from the environment) that token is
        registered; otherwise a new one is made. Returns ``None`` when users already exist, also
        when another server process sharing the catalog made the admin at the same time. The
        user, its token and the audit row are stored together or not at all. Raises
        ``InvalidInputError`` when the preset token does not look like ``wh_<id>_<secret>``.
        """
        if preset_token is not None:
            parse_preset(preset_token)  # refuse a malformed preset before anything is stored
        user = self._new(name, is_admin=True, password=None)

        def store() -> IssuedToken | None:
            # Counted inside the unit: two processes starting together cannot both see none.
            if self._catalog.count_users() > 0:
                return None
            self._catalog.add_user(user)
            self._audit.record("user.create", actor=None, target=name, detail={"is_admin": "true"})
            if preset_token is None:
                return self._tokens.issue(user, "bootstrap", Scope.ADMIN, None, ())
            return self._tokens.register(user, "bootstrap", Scope.ADMIN, preset_token)

        try:
            return self._catalog.run_atomic(store)
        except UserExistsError:
            # The other process's admin was committed between our count and our insert.
            return None
