"""Access requests to gated repos, mixed into ``SqlCatalog``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import RepoNotFoundError, UserNotFoundError
from weighthouse.domain.model import AccessRequest, AccessRequestStatus
from weighthouse.metadata.rows import access_request_from, access_request_row
from weighthouse.metadata.tables import access_requests, repos, users
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert

_DECISION = ("status", "updated_at", "decided_by", "reason")


def _named() -> Select[Any]:
    return select(access_requests, users.c.name.label("user_name")).join(
        users, users.c.id == access_requests.c.user_id
    )


class AccessRequestQueries:
    _engine: Engine

    def access_request(self, repo_id: str, user_id: str) -> AccessRequest | None:
        query = _named().where(
            access_requests.c.repo_id == repo_id, access_requests.c.user_id == user_id
        )
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else access_request_from(row)

    @retry_transient
    def save_access_request(self, request: AccessRequest) -> None:
        """One upsert, so concurrent first requests of one user never collide; a stored
        request keeps its ``created_at``."""
        try:
            with transaction(self._engine, write=True) as connection:
                upsert(connection, access_requests, access_request_row(request), update=_DECISION)
        except IntegrityError:
            with transaction(self._engine) as connection:
                repo = connection.scalar(select(repos.c.id).where(repos.c.id == request.repo_id))
            if repo is None:
                raise RepoNotFoundError(f"no repo with id {request.repo_id!r}") from None
            raise UserNotFoundError(
                f"no user with id {request.user_id!r}", user_id=request.user_id
            ) from None

    def list_access_requests(
        self, repo_id: str, status: AccessRequestStatus
    ) -> list[AccessRequest]:
        query = (
            _named()
            .where(access_requests.c.repo_id == repo_id, access_requests.c.status == status.value)
            .order_by(access_requests.c.created_at, access_requests.c.user_id)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [access_request_from(row) for row in rows]
