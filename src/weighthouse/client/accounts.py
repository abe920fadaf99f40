"""Identity, users and API tokens (``/api/whoami``, ``/api/users``, ``/api/tokens``)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from weighthouse.client.models import TokenInfo, UserInfo, WhoAmI
from weighthouse.client.transport import Transport


class AccountsApi(Transport):
    def whoami(self) -> WhoAmI:
        """Who the token belongs to; an anonymous answer when the client has no token.
        A bad or revoked token raises ``ApiError`` with code ``unauthenticated``."""
        return WhoAmI.from_json(self.request("GET", "/api/whoami").json())

    def create_user(self, name: str, *, is_admin: bool = False) -> UserInfo:
        """Admins only. ``user_exists`` (409) when the name is taken."""
        body = {"name": name, "is_admin": is_admin}
        return UserInfo.from_json(self.request("POST", "/api/users", json=body).json())

    def list_users(self) -> list[UserInfo]:
        return [UserInfo.from_json(u) for u in self.request("GET", "/api/users").json()]

    def create_token(
        self,
        name: str,
        *,
        scope: str = "read",
        user: str | None = None,
        expires_at: datetime | None = None,
    ) -> TokenInfo:
        """A new token; its ``secret`` is in the result and never shown again. ``user`` makes
        it for someone else (admins only)."""
        body: dict[str, object] = {"name": name, "scope": scope}
        if user is not None:
            body["user"] = user
        if expires_at is not None:
            body["expires_at"] = expires_at.isoformat()
        return TokenInfo.from_json(self.request("POST", "/api/tokens", json=body).json())

    def list_tokens(self) -> list[TokenInfo]:
        """The caller's tokens (an admin sees everyone's); secrets are never listed."""
        return [TokenInfo.from_json(t) for t in self.request("GET", "/api/tokens").json()]

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token; ``token_not_found`` (404) for an unknown id."""
        self.request("DELETE", f"/api/tokens/{quote(token_id, safe='')}")
