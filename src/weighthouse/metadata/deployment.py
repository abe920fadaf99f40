"""``SqlDeploymentCatalog``: the catalog's side of the deployment identity
(:class:`~weighthouse.domain.ports.DeploymentCatalog`), one row in ``deployment``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.model import DeploymentRecord
from weighthouse.metadata.tables import deployment, repos
from weighthouse.metadata.transactions import retry_transient, transaction

_SLOT = 1


class SqlDeploymentCatalog:
    """The deployment row of the catalog behind ``engine`` (migrated by the caller)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def deployment(self) -> DeploymentRecord | None:
        with transaction(self._engine) as connection:
            row = connection.execute(select(deployment)).first()
        if row is None:
            return None
        return DeploymentRecord(
            id=row.id, created_at=row.created_at, store_marked_at=row.store_marked_at
        )

    @retry_transient
    def claim_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        """An insert against the one-row primary key: the first to commit wins, and the loser
        reads the winner's row."""
        try:
            with transaction(self._engine, write=True) as connection:
                connection.execute(
                    insert(deployment).values(
                        slot=_SLOT,
                        id=record.id,
                        created_at=record.created_at,
                        store_marked_at=record.store_marked_at,
                    )
                )
        except IntegrityError:
            pass  # claimed by another process first
        stored = self.deployment()
        assert stored is not None, "the deployment row vanished"
        return stored

    @retry_transient
    def mark_store(self, deployment_id: str, at: datetime) -> None:
        statement = (
            update(deployment)
            .where(
                deployment.c.slot == _SLOT,
                deployment.c.id == deployment_id,
                deployment.c.store_marked_at.is_(None),
            )
            .values(store_marked_at=at)
        )
        with transaction(self._engine, write=True) as connection:
            connection.execute(statement)

    def holds_repos(self) -> bool:
        with transaction(self._engine) as connection:
            return bool(connection.scalar(select(exists().select_from(repos))))
