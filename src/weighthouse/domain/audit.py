"""The audit log of security events: sign-ins, tokens, memberships, visibility, admin actions.

Events are appended by the use cases that cause them and read by site admins only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from weighthouse.domain.access import Principal, require_admin
from weighthouse.domain.catalog import AuditCatalog
from weighthouse.domain.model import AuditEvent
from weighthouse.domain.paging import check_limit
from weighthouse.domain.ports import Clock


class Audit:
    def __init__(self, log: AuditCatalog, clock: Clock) -> None:
        self._log = log
        self._clock = clock

    def record(
        self,
        action: str,
        *,
        actor: str | None,
        target: str,
        client: str | None = None,
        success: bool = True,
        detail: Mapping[str, str] | None = None,
    ) -> None:
        self._log.record_event(
            AuditEvent(
                id=None,
                at=self._clock(),
                action=action,
                actor=actor,
                target=target[:300],
                client=client,
                success=success,
                detail=dict(detail or {}),
            )
        )

    def by(self, principal: Principal) -> str | None:
        return principal.user.name if principal.user else None

    def events(self, action: str) -> Iterator[AuditEvent]:
        """Every event of ``action``, newest first, read a page at a time."""
        before: int | None = None
        while True:
            page = self._log.list_events(before=before, limit=100, action=action)
            yield from page
            if len(page) < 100 or page[-1].id is None:
                return
            before = page[-1].id

    def list(
        self,
        principal: Principal,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEvent]:
        """Newest first. Site admins only."""
        require_admin(principal)
        check_limit(limit)
        return self._log.list_events(before=before, limit=limit, actor=actor, action=action)
