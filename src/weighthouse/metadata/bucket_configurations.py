"""Bucket configurations, mixed into ``SqlCatalog``.

A bucket's policy and ACL are consulted on every request to the bucket, and its CORS rules on
every request from a browser. Each change raises the bucket's ``configuration_revision`` in
the same transaction, and a request reads that revision with the bucket: a bucket without
configurations (revision 0) costs no read, and one with some is read once per revision and
process, then answered from :class:`RevisionCache`. Reads that give no revision are prepared
ones (see :mod:`~weighthouse.metadata.prepared_reads`).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict

from sqlalchemy import Engine, Update, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.bucket_configurations_catalog import ConfigurationDocument
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.model import Repo
from weighthouse.metadata.prepared_reads import first_row
from weighthouse.metadata.rows import repo_from
from weighthouse.metadata.tables import bucket_configurations, repos
from weighthouse.metadata.transactions import retry_transient, transaction
from weighthouse.metadata.upserts import upsert

_DOCUMENT = select(bucket_configurations.c.document).where(
    bucket_configurations.c.repo_id
    == bindparam("repo_id", type_=bucket_configurations.c.repo_id.type),
    bucket_configurations.c.name == bindparam("name", type_=bucket_configurations.c.name.type),
)

# Buckets whose configurations one process keeps; a few hundred bytes each.
CACHED_CONFIGURATIONS = 4096


class RevisionCache:
    """Configurations as read at a bucket's revision, the least recently used dropped first.

    An entry read at a revision is right for every request that read the bucket at that
    revision: a change raises the revision in its own transaction, so a read that saw the old
    revision began before the change committed, and one that sees the new one misses here.
    Documents are handed out as copies, as the catalog's reads are."""

    def __init__(self, size: int = CACHED_CONFIGURATIONS) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], tuple[int, ConfigurationDocument | None]]
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, repo_id: str, name: str, revision: int
    ) -> tuple[bool, ConfigurationDocument | None]:
        """(found, document) for the configuration as it was at ``revision``."""
        with self._lock:
            entry = self._entries.get((repo_id, name))
            if entry is None or entry[0] != revision:
                return False, None
            self._entries.move_to_end((repo_id, name))
        return True, copy.deepcopy(entry[1])

    def put(
        self, repo_id: str, name: str, revision: int, document: ConfigurationDocument | None
    ) -> None:
        with self._lock:
            self._entries[repo_id, name] = (revision, copy.deepcopy(document))
            self._entries.move_to_end((repo_id, name))
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def _revise(repo_id: str) -> Update:
    return (
        update(repos)
        .where(repos.c.id == repo_id)
        .values(configuration_revision=repos.c.configuration_revision + 1)
    )


class BucketConfigurationQueries:
    _engine: Engine
    _configurations: RevisionCache

    @retry_transient
    def put_bucket_configuration(
        self, repo_id: str, name: str, document: ConfigurationDocument
    ) -> None:
        row = {"repo_id": repo_id, "name": name, "document": document}
        try:
            with transaction(self._engine, write=True) as connection:
                upsert(connection, bucket_configurations, row)
                connection.execute(_revise(repo_id))
        except IntegrityError:
            # The row's reference to its bucket: the bucket is gone.
            raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id) from None

    def get_bucket_configuration(
        self, repo_id: str, name: str, *, revision: int | None = None
    ) -> ConfigurationDocument | None:
        if revision == 0:
            return None
        if revision is not None:
            found, document = self._configurations.get(repo_id, name, revision)
            if found:
                return document
        row = first_row(self._engine, _DOCUMENT, {"repo_id": repo_id, "name": name})
        document = None if row is None else dict(row.document)
        if revision is not None:
            # Read after the bucket's revision was: as new as that revision or newer, which a
            # request that saw the older revision may take as well (see RevisionCache).
            self._configurations.put(repo_id, name, revision, document)
        return document

    @retry_transient
    def delete_bucket_configuration(self, repo_id: str, name: str) -> bool:
        statement = delete(bucket_configurations).where(
            bucket_configurations.c.repo_id == repo_id, bucket_configurations.c.name == name
        )
        with transaction(self._engine, write=True) as connection:
            removed = connection.execute(statement).rowcount == 1
            if removed:
                connection.execute(_revise(repo_id))
            return removed

    def list_configured_buckets(
        self, name: str, after: str | None, limit: int
    ) -> list[tuple[Repo, ConfigurationDocument]]:
        statement = (
            select(repos, bucket_configurations.c.document)
            .join(bucket_configurations, bucket_configurations.c.repo_id == repos.c.id)
            .where(bucket_configurations.c.name == name)
            .order_by(repos.c.id)
            .limit(limit)
        )
        if after is not None:
            statement = statement.where(repos.c.id > after)
        with transaction(self._engine) as connection:
            rows = connection.execute(statement).all()
        return [(repo_from(row), dict(row.document)) for row in rows]
