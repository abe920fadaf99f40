"""Bucket configurations, mixed into ``SqlCatalog``. A bucket's policy is read on every
request to the bucket, so the read is a prepared one (see
:mod:`~weighthouse.metadata.prepared_reads`)."""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.bucket_configurations_catalog import ConfigurationDocument
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.metadata.prepared_reads import first_row
from weighthouse.metadata.tables import bucket_configurations
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert

_DOCUMENT = select(bucket_configurations.c.document).where(
    bucket_configurations.c.repo_id
    == bindparam("repo_id", type_=bucket_configurations.c.repo_id.type),
    bucket_configurations.c.name == bindparam("name", type_=bucket_configurations.c.name.type),
)


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
        row = first_row(self._engine, _DOCUMENT, {"repo_id": repo_id, "name": name})
        return None if row is None else dict(row.document)

    @retry_transient
    def delete_bucket_configuration(self, repo_id: str, name: str) -> bool:
        statement = delete(bucket_configurations).where(
            bucket_configurations.c.repo_id == repo_id, bucket_configurations.c.name == name
        )
        with transaction(self._engine, write=True) as connection:
            return connection.execute(statement).rowcount == 1
