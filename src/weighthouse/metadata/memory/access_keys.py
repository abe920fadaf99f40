"""S3 access keys of the in-memory catalog. Only sealed secrets reach these rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from weighthouse.domain.errors import AccessKeyNotFoundError, UserNotFoundError
from weighthouse.domain.model import AccessKey
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc


def _missing(key_id: str) -> AccessKeyNotFoundError:
    return AccessKeyNotFoundError(f"no access key {key_id!r}", access_key=key_id)


class MemoryAccessKeys(MemoryTables):
    def add_access_key(self, key: AccessKey) -> None:
        with self._lock:
            tables = self._tables
            if key.user_id not in tables.users:
                raise UserNotFoundError(f"no user with id {key.user_id!r}", user_id=key.user_id)
            if key.id in tables.access_keys:
                raise ValueError(f"an access key with id {key.id!r} exists")
            stored = replace(key, buckets=tuple(key.buckets))
            tables.access_keys[key.id] = in_utc(stored)

    def get_access_key(self, key_id: str) -> AccessKey:
        with self._lock:
            key = self._tables.access_keys.get(key_id)
        if key is None:
            raise _missing(key_id)
        return key

    def list_access_keys(self, user_id: str) -> list[AccessKey]:
        with self._lock:
            mine = [k for k in self._tables.access_keys.values() if k.user_id == user_id]
        return sorted(mine, key=lambda key: (key.created_at, key.id))

    def revoke_access_key(self, key_id: str, at: datetime) -> None:
        """Idempotent: revoking again keeps the first revocation time."""
        with self._lock:
            key = self.get_access_key(key_id)
            if key.revoked_at is None:
                self._tables.access_keys[key_id] = replace(key, revoked_at=utc(at))
            self._bump_credential_epoch()

    def touch_access_key(self, key_id: str, at: datetime) -> None:
        with self._lock:
            key = self._tables.access_keys.get(key_id)
            if key is not None:
                self._tables.access_keys[key_id] = replace(key, last_used_at=utc(at))
