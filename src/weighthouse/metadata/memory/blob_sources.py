"""Upload records and blob holders of the in-memory catalog: the sources of proof that a caller
may reference a stored blob by hash (see :mod:`weighthouse.domain.blob_proof`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from weighthouse.domain.catalog import BlobSourceQuery, BlobSources, RepoQuery
from weighthouse.domain.model import Repo
from weighthouse.metadata.memory.repos import visible
from weighthouse.metadata.memory.tables import MemoryTables, utc


class MemoryBlobSources(MemoryTables):
    def record_blob_upload(self, user_id: str, sha256: str, size: int, at: datetime) -> None:
        with self._lock:
            self._tables.blob_uploads[user_id, sha256] = (size, utc(at))

    def find_blob_sources(self, sha256s: Collection[str], query: BlobSourceQuery) -> BlobSources:
        wanted = set(sha256s)
        since = utc(query.uploaded_since)
        visibility = RepoQuery(
            viewer_id=query.user_id, see_all=query.see_all, restrict_to=query.restrict_to
        )
        with self._lock:
            tables = self._tables
            uploaded = {
                sha256
                for sha256 in wanted
                if query.user_id is not None
                and (record := tables.blob_uploads.get((query.user_id, sha256))) is not None
                and record[1] >= since
            }
            holding: dict[str, set[str]] = {}
            if query.per_blob > 0:
                for (repo_id, _), entries in tables.trees.items():
                    for entry in entries:
                        if entry.sha256 in wanted and entry.sha256 not in uploaded:
                            holding.setdefault(entry.sha256, set()).add(repo_id)
                for (repo_id, _), obj in tables.objects.items():
                    if obj.sha256 in wanted and obj.sha256 not in uploaded:
                        holding.setdefault(obj.sha256, set()).add(repo_id)
            holders: dict[str, tuple[Repo, ...]] = {}
            for sha256, repo_ids in holding.items():
                seen = [
                    repo
                    for repo_id in repo_ids
                    if (repo := tables.repos.get(repo_id)) is not None
                    and visible(tables, visibility, repo)
                ]
                # The preferred repo first, then by id, as the SQL catalog ranks them.
                seen.sort(key=lambda repo: (repo.id != query.prefer_repo_id, repo.id))
                if seen:
                    holders[sha256] = tuple(seen[: query.per_blob])
        return BlobSources(uploaded=frozenset(uploaded), holders=holders)

    def prune_blob_uploads(self, before: datetime) -> int:
        cutoff = utc(before)
        with self._lock:
            uploads = self._tables.blob_uploads
            old = [key for key, (_, at) in uploads.items() if at < cutoff]
            for key in old:
                del uploads[key]
            xorbs = self._tables.xorbs
            old_xorbs = [key for key, (_, _, at) in xorbs.items() if at < cutoff]
            for key in old_xorbs:
                del xorbs[key]
        return len(old) + len(old_xorbs)

    def record_xorb(
        self, user_id: str, xorb_hash: str, sha256: str, size: int, at: datetime
    ) -> None:
        with self._lock:
            self._tables.xorbs[user_id, xorb_hash] = (sha256, size, utc(at))

    def find_xorb(self, user_id: str, xorb_hash: str, since: datetime) -> tuple[str, int] | None:
        with self._lock:
            record = self._tables.xorbs.get((user_id, xorb_hash))
        if record is None or record[2] < utc(since):
            return None
        return record[0], record[1]
