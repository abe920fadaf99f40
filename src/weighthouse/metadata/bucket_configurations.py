"""Bucket configurations, mixed into ``SqlCatalog``."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.bucket_configurations_catalog import ConfigurationDocument
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.metadata.tables import bucket_configurations
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert


class BucketConfigurationQueries:
    _engine: Engine

    @retry_transient
    def put_bucket_configuration(
        self, repo_id: str, name: str, document: ConfigurationDocument
    ) -> None:
        row = {"repo_id": repo_id, "name": name, "document": document}
        try:
            with transaction(self._engine, write=True) as connection:
                upsert(connection, bucket_configurations, row)
        except IntegrityError:
            # The row's reference to its bucket: the bucket is gone.
            raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id) from None

    def get_bucket_configuration(self, repo_id: str, name: str) -> ConfigurationDocument | None:
        query = select(bucket_configurations.c.document).where(
            bucket_configurations.c.repo_id == repo_id, bucket_configurations.c.name == name
        )
        with transaction(self._engine) as connection:
            document = connection.scalar(query)
        return None if document is None else dict(document)

    @retry_transient
    def delete_bucket_configuration(self, repo_id: str, name: str) -> bool:
        statement = delete(bucket_configurations).where(
            bucket_configurations.c.repo_id == repo_id, bucket_configurations.c.name == name
        )
        with transaction(self._engine, write=True) as connection:
            return connection.execute(statement).rowcount == 1
