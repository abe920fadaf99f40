"""Users: sign-up, accounts made by admins, disabling, password changes, and the first admin."""

from __future__ import annotations

import uuid
from dataclasses import replace

from weighthouse.domain.access import Principal, require_admin, require_user
from weighthouse.domain.audit import Audit
from weighthouse.domain.errors import InvalidInputError, PermissionDeniedError
from weighthouse.domain.model import Scope, User
from weighthouse.domain.names import check_name
from weighthouse.domain.ports import Catalog, Clock
from weighthouse.domain.signin import PasswordGate, check_password
from weighthouse.domain.tokens import IssuedToken, Tokens


class Users:
    def __init__(
        self, catalog: Catalog, clock: Clock, *, gate: PasswordGate, tokens: Tokens, audit: Audit
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
        user = self._add(name, is_admin=False, password=password)
        self._audit.record("user.signup", actor=name, target=name, client=client)
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
        user = self._add(name, is_admin=is_admin, password=password)
        self._audit.record(
            "user.create",
            actor=self._audit.by(principal),
            target=name,
            detail={"is_admin": str(is_admin).lower()},
        )
        return user

    def _add(self, name: str, *, is_admin: bool, password: str | None) -> User:
        user = User(
            id=uuid.uuid4().hex,
            name=check_name(name, what="user name"),
            is_admin=is_admin,
            created_at=self._clock(),
            password_hash=self._gate.hash(password) if password is not None else None,
        )
        self._catalog.add_user(user)
        return user

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
        self._catalog.set_user_disabled(user.id, disabled)
        self._audit.record(
            "user.disable" if disabled else "user.enable", actor=admin.name, target=name
        )
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
        self._catalog.set_password_hash(user.id, self._gate.hash(new))
        self._audit.record("user.password", actor=user.name, target=user.name, client=client)

    def bootstrap_admin(self, name: str, preset_token: str | None) -> IssuedToken | None:
        """On a catalog with no users, create the admin and its first admin token.

        With ``preset_token`` (a ``wh_<id>_<secret>`` string from the environment) that token is
        registered; otherwise a new one is made. Returns ``None`` when users already exist.
        """
        if self._catalog.count_users() > 0:
            return None
        user = self._add(name, is_admin=True, password=None)
        self._audit.record("user.create", actor=None, target=name, detail={"is_admin": "true"})
        if preset_token is None:
            return self._tokens.issue(user, "bootstrap", Scope.ADMIN, None, ())
        return self._tokens.register(user, "bootstrap", Scope.ADMIN, preset_token)
