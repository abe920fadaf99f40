"""Bucket configurations of the in-memory catalog."""

from __future__ import annotations

import copy
from dataclasses import replace

from weighthouse.domain.bucket_configurations_catalog import ConfigurationDocument
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.model import Repo
from weighthouse.metadata.memory.tables import MemoryTables


class MemoryBucketConfigurations(MemoryTables):
    def put_bucket_configuration(
        self, repo_id: str, name: str, document: ConfigurationDocument
    ) -> None:
        with self._lock:
            if repo_id not in self._tables.repos:
                raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id)
            self._tables.bucket_configurations[repo_id, name] = copy.deepcopy(document)
            self._revise(repo_id)

    def get_bucket_configuration(
        self, repo_id: str, name: str, *, revision: int | None = None
    ) -> ConfigurationDocument | None:
        if revision == 0:
            return None
        with self._lock:
            document = self._tables.bucket_configurations.get((repo_id, name))
        return None if document is None else copy.deepcopy(document)

    def delete_bucket_configuration(self, repo_id: str, name: str) -> bool:
        with self._lock:
            removed = self._tables.bucket_configurations.pop((repo_id, name), None) is not None
            if removed:
                self._revise(repo_id)
            return removed

    def _revise(self, repo_id: str) -> None:
        repo = self._tables.repos[repo_id]
        self._tables.repos[repo_id] = replace(
            repo, configuration_revision=(repo.configuration_revision or 0) + 1
        )

    def list_configured_buckets(
        self, name: str, after: str | None, limit: int
    ) -> list[tuple[Repo, ConfigurationDocument]]:
        with self._lock:
            found = sorted(
                (repo_id, document)
                for (repo_id, named), document in self._tables.bucket_configurations.items()
                if named == name and (after is None or repo_id > after)
            )[:limit]
            return [(self._tables.repos[repo_id], copy.deepcopy(doc)) for repo_id, doc in found]
