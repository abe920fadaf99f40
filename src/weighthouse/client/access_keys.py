"""S3 access keys (``/api/access-keys``): an id and a secret for S3 clients, which sign their
requests with them (AWS Signature Version 4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from weighthouse.client.models import AccessKeyInfo
from weighthouse.client.transport import Transport
from weighthouse.wire import ACCESS_KEYS_PREFIX


class AccessKeysApi(Transport):
    def create_access_key(
        self,
        name: str,
        *,
        scope: str = "read",
        user: str | None = None,
        expires_at: datetime | None = None,
        buckets: Iterable[str] = (),
    ) -> AccessKeyInfo:
        """A new access key; its ``secret`` is in the result and never shown again.

        ``scope`` is ``read`` or ``write``; ``buckets`` limits it to namespaces (``ns``) and
        buckets (``ns/name``); ``user`` makes it for someone else (admins only). No key can be
        broader than the credential making it (``forbidden``, 403)."""
        body: dict[str, object] = {"name": name, "scope": scope}
        if user is not None:
            body["user"] = user
        if expires_at is not None:
            # Sent with its offset: a naive datetime is taken as local time, as Python does.
            body["expires_at"] = expires_at.astimezone(UTC).isoformat()
        restrictions = list(buckets)
        if restrictions:
            body["buckets"] = restrictions
        response = self.request("POST", ACCESS_KEYS_PREFIX, json=body)
        return AccessKeyInfo.from_json(response.json())

    def list_access_keys(self, user: str | None = None) -> list[AccessKeyInfo]:
        """The caller's access keys, or ``user``'s (admins only); secrets are never listed."""
        response = self.request("GET", ACCESS_KEYS_PREFIX, params={"user": user})
        return [AccessKeyInfo.from_json(k) for k in response.json()]

    def revoke_access_key(self, key_id: str) -> None:
        """Revoke an access key at once; ``access_key_not_found`` (404) for an unknown id."""
        self.request("DELETE", f"{ACCESS_KEYS_PREFIX}/{quote(key_id, safe='')}")
