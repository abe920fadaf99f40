"""The audit log: append-only security events, mixed into ``SqlCatalog``."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from weighthouse.domain.model import AuditEvent
from weighthouse.metadata.rows import event_from, event_row
from weighthouse.metadata.tables import audit_events
from weighthouse.metadata.transactions import retry_transient, transaction


class AuditQueries:
    _engine: Engine

    @retry_transient
    def record_event(self, event: AuditEvent) -> None:
        """``event.id`` is ignored: the database numbers events in increasing order."""
        with transaction(self._engine, write=True) as connection:
            connection.execute(insert(audit_events).values(event_row(event)))

    def list_events(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEvent]:
        """Newest (highest id) first. The primary key serves the plain listing; the
        ``(actor, id)`` and ``(action, id)`` indexes serve the filtered ones."""
        query = select(audit_events)
        if before is not None:
            query = query.where(audit_events.c.id < before)
        if actor is not None:
            query = query.where(audit_events.c.actor == actor)
        if action is not None:
            query = query.where(audit_events.c.action == action)
        query = query.order_by(audit_events.c.id.desc()).limit(limit)
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [event_from(row) for row in rows]
