"""S3 access keys, mixed into ``SqlCatalog``. Only sealed secrets reach these rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import AccessKeyNotFoundError, UserNotFoundError
from weighthouse.domain.model import AccessKey
from weighthouse.metadata.credential_epoch import bump_credential_epoch
from weighthouse.metadata.rows import access_key_from, access_key_row
from weighthouse.metadata.tables import access_keys, users
from weighthouse.metadata.transactions import retry_transient, transaction


def _missing(key_id: str) -> AccessKeyNotFoundError:
    return AccessKeyNotFoundError(f"no access key {key_id!r}", access_key=key_id)


class AccessKeyQueries:
    _engine: Engine

    @retry_transient
    def add_access_key(self, key: AccessKey) -> None:
        """Raises ``UserNotFoundError`` when ``key.user_id`` names no user."""
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(insert(access_keys).values(access_key_row(key)))
        except IntegrityError:
            with transaction(self._engine) as connection:
                owner = connection.scalar(select(users.c.id).where(users.c.id == key.user_id))
            if owner is None:
                raise UserNotFoundError(
                    f"no user with id {key.user_id!r}", user_id=key.user_id
                ) from None
            raise

    def get_access_key(self, key_id: str) -> AccessKey:
        query = select(access_keys).where(access_keys.c.id == key_id)
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            raise _missing(key_id)
        return access_key_from(row)

    def list_access_keys(self, user_id: str) -> list[AccessKey]:
        query = (
            select(access_keys)
            .where(access_keys.c.user_id == user_id)
            .order_by(access_keys.c.created_at, access_keys.c.id)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [access_key_from(row) for row in rows]

    @retry_transient
    def revoke_access_key(self, key_id: str, at: datetime) -> None:
        """Idempotent: revoking again keeps the first revocation time."""
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(access_keys)
                .where(access_keys.c.id == key_id, access_keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            bump_credential_epoch(connection)
            found = connection.scalar(select(access_keys.c.id).where(access_keys.c.id == key_id))
        if found is None:
            raise _missing(key_id)

    @retry_transient
    def touch_access_key(self, key_id: str, at: datetime) -> None:
        with transaction(self._engine, write=True) as connection:
            connection.execute(
                update(access_keys).where(access_keys.c.id == key_id).values(last_used_at=at)
            )
