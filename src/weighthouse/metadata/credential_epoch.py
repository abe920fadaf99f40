"""The credential epoch (see :class:`~weighthouse.domain.catalog.CredentialEpochCatalog`): one
row, replaced by a fresh random value in the same transaction as every change that can end a
credential; mixed into ``SqlCatalog``."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Engine, select

from weighthouse.metadata.prepared_reads import steady_first_row
from weighthouse.metadata.tables import credential_epoch
from weighthouse.metadata.upserts import upsert

_SLOT = 1
# Built once: this runs on every authenticated request.
_READ = select(credential_epoch.c.epoch).where(credential_epoch.c.slot == _SLOT)


class CredentialEpochQueries:
    _engine: Engine

    def credential_epoch(self) -> str:
        row = steady_first_row(self._engine, _READ, {})
        return (row.epoch if row is not None else None) or ""


def bump_credential_epoch(connection: Connection) -> None:
    """Give the epoch a value it never had, inside the caller's transaction, so the change and
    the new epoch commit together. A random value rather than a counter: concurrent bumps need
    no read, and a missing row (an emptied catalog) needs no special case."""
    upsert(connection, credential_epoch, {"slot": _SLOT, "epoch": uuid.uuid4().hex})
