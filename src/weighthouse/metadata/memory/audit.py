"""The audit log of the in-memory catalog."""

from __future__ import annotations

from dataclasses import replace

from weighthouse.domain.model import AuditEvent
from weighthouse.metadata.memory.tables import MemoryTables, in_utc

# The SQL columns' lengths, so both catalogs cut the same fields at the same place.
ACTION_MAX = 64
ACTOR_MAX = 255
CLIENT_MAX = 255


class MemoryAudit(MemoryTables):
    def record_event(self, event: AuditEvent) -> None:
        with self._lock:
            tables = self._tables
            tables.last_event_id += 1
            stored = replace(
                in_utc(event),
                id=tables.last_event_id,
                action=event.action[:ACTION_MAX],
                actor=None if event.actor is None else event.actor[:ACTOR_MAX],
                client=None if event.client is None else event.client[:CLIENT_MAX],
                detail=dict(event.detail),
            )
            tables.events.append(stored)

    def list_events(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEvent]:
        """Events are appended with increasing ids, so the log read backwards is newest first."""
        found: list[AuditEvent] = []
        with self._lock:
            for event in reversed(self._tables.events):
                if len(found) == limit:
                    break
                assert event.id is not None
                if (
                    (before is None or event.id < before)
                    and (actor is None or event.actor == actor)
                    and (action is None or event.action == action)
                ):
                    found.append(replace(event, detail=dict(event.detail)))
        return found
