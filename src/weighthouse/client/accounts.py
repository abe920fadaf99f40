"""Identity: sign-up, sign-in and sessions, passwords, users, API tokens and the audit log
(``/api/whoami``, ``/api/signup``, ``/api/signin``, ``/api/signout``, ``/api/password``,
``/api/users``, ``/api/tokens``, ``/api/audit``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from weighthouse.client.models import AuditEventInfo, SessionInfo, TokenInfo, UserInfo, WhoAmI
from weighthouse.client.transport import Transport
from weighthouse.domain.accounts import SESSION_PREFIX
from weighthouse.wire import API_PREFIX


def is_session_token(token: str | None) -> bool:
    """Whether ``token`` is a session token (from ``sign_in``) rather than an API token."""
    return bool(token) and str(token).startswith(SESSION_PREFIX)


class AccountsApi(Transport):
    def whoami(self) -> WhoAmI:
        """Who the token belongs to; an anonymous answer when the client has no token.
        A bad or revoked token raises ``ApiError`` with code ``unauthenticated``."""
        return WhoAmI.from_json(self.request("GET", f"{API_PREFIX}/whoami").json())

    # --- accounts and sessions -----------------------------------------------------------
    def sign_up(self, name: str, password: str) -> UserInfo:
        """Create an account for yourself; no token needed. ``forbidden`` (403) when the
        server has sign-up switched off, ``user_exists`` (409) when the name is taken,
        ``rate_limited`` (429) after too many sign-ups from one address."""
        body = {"name": name, "password": password}
        return UserInfo.from_json(self.request("POST", f"{API_PREFIX}/signup", json=body).json())

    def sign_in(self, name: str, password: str) -> SessionInfo:
        """Exchange a user name and password for a session; its ``token`` (``whs.…``) then
        works like an API token of the user's full powers until it expires or is signed out::

            session = WeighthouseClient(url).sign_in("alice", password)
            hub = WeighthouseClient(url, session.token)

        ``unauthenticated`` (401) for a wrong name or password alike; ``rate_limited`` (429)
        after too many attempts."""
        body = {"name": name, "password": password}
        return SessionInfo.from_json(self.request("POST", f"{API_PREFIX}/signin", json=body).json())

    def sign_out(self) -> None:
        """End the session whose token this client sends (API tokens are revoked instead)."""
        self.request("POST", f"{API_PREFIX}/signout")

    def change_password(self, current: str | None, new: str) -> None:
        """Change the caller's password. ``current`` is needed when one is set; a wrong one
        is ``unauthenticated`` (401)."""
        body = {"current": current, "new": new}
        self.request("PUT", f"{API_PREFIX}/password", json=body)

    # --- users (site admins) -------------------------------------------------------------
    def create_user(
        self, name: str, *, is_admin: bool = False, password: str | None = None
    ) -> UserInfo:
        """Admins only. ``user_exists`` (409) when the name is taken. Without ``password``
        the user signs in with tokens only."""
        body: dict[str, object] = {"name": name, "is_admin": is_admin}
        if password is not None:
            body["password"] = password
        return UserInfo.from_json(self.request("POST", f"{API_PREFIX}/users", json=body).json())

    def list_users(self) -> list[UserInfo]:
        return [UserInfo.from_json(u) for u in self.request("GET", f"{API_PREFIX}/users").json()]

    def set_user_disabled(self, name: str, disabled: bool) -> UserInfo:
        """Disable (or enable again) the account ``name``; a disabled user's tokens and
        sessions stop working at once. Admins only; nobody can disable themselves."""
        path = f"{API_PREFIX}/users/{quote(name, safe='')}"
        return UserInfo.from_json(self.request("PATCH", path, json={"disabled": disabled}).json())

    # --- API tokens ----------------------------------------------------------------------
    def create_token(
        self,
        name: str,
        *,
        scope: str = "read",
        user: str | None = None,
        expires_at: datetime | None = None,
        restrict_to: Iterable[str] = (),
    ) -> TokenInfo:
        """A new token; its ``secret`` is in the result and never shown again. ``user`` makes
        it for someone else (admins only). ``restrict_to`` limits it to namespaces (``ns``)
        and repos (``ns/name``). No token can be broader than the credential minting it."""
        body: dict[str, object] = {"name": name, "scope": scope}
        if user is not None:
            body["user"] = user
        if expires_at is not None:
            # Sent with its offset: a naive datetime is taken as local time, as Python does.
            body["expires_at"] = expires_at.astimezone(UTC).isoformat()
        restrictions = list(restrict_to)
        if restrictions:
            body["restrict_to"] = restrictions
        return TokenInfo.from_json(self.request("POST", f"{API_PREFIX}/tokens", json=body).json())

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        """The caller's tokens, or ``user``'s (admins only); secrets are never listed."""
        params = {"user": user}
        return [
            TokenInfo.from_json(t)
            for t in self.request("GET", f"{API_PREFIX}/tokens", params=params).json()
        ]

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token; ``token_not_found`` (404) for an unknown id."""
        self.request("DELETE", f"{API_PREFIX}/tokens/{quote(token_id, safe='')}")

    # --- audit log (site admins) ---------------------------------------------------------
    def audit(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEventInfo]:
        """Security events, newest first: at most ``limit`` (1 to 1000) with ids below
        ``before``, only those of ``actor`` and/or ``action`` when given. Admins only."""
        params = {"before": before, "limit": limit, "actor": actor, "action": action}
        events = self.request("GET", f"{API_PREFIX}/audit", params=params).json()
        return [AuditEventInfo.from_json(e) for e in events]
