"""Bucket objects of the in-memory catalog, and the blob references the garbage collector asks
about."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from weighthouse.domain.errors import (
    BlobMissingError,
    EntryNotFoundError,
    PreconditionFailedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import BucketObject, ManifestPart, Repo, RepoType
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc, utf8


class MemoryObjects(MemoryTables):
    def put_object(
        self,
        repo_id: str,
        obj: BucketObject,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> None:
        """Preconditions are checked and the object written under one hold of the lock: a
        compare-and-swap."""
        if if_none_match and if_match is not None:
            raise ValueError("give if_none_match or if_match, not both")
        with self._lock:
            if repo_id not in self._tables.repos:
                raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id)
            current = self._tables.objects.get((repo_id, obj.key))
            if if_none_match and current is not None:
                raise PreconditionFailedError(f"{obj.key!r} already exists", key=obj.key)
            if if_match is not None and (current is None or current.sha256 != if_match):
                raise PreconditionFailedError(f"{obj.key!r} does not match If-Match", key=obj.key)
            stored = in_utc(_copy(obj))
            self._tables.objects[repo_id, obj.key] = stored
            replaced = 0 if current is None else current.size
            self._account(repo_id, obj.size - replaced, stored.modified_at)

    def get_object(self, repo_id: str, key: str) -> BucketObject:
        with self._lock:
            obj = self._tables.objects.get((repo_id, key))
        if obj is None:
            raise EntryNotFoundError(f"no object {key!r}", key=key)
        return _copy(obj)

    def find_object(
        self, type: RepoType, namespace: str, name: str, key: str
    ) -> tuple[Repo, BucketObject | None]:
        with self._lock:
            repo_id = self._tables.repo_ids.get((type, namespace, name))
            if repo_id is None:
                raise RepoNotFoundError.named(f"{namespace}/{name}")
            obj = self._tables.objects.get((repo_id, key))
            return self._tables.repos[repo_id], None if obj is None else _copy(obj)

    def delete_object(
        self,
        repo_id: str,
        key: str,
        *,
        if_sha256: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        with self._lock:
            current = self._tables.objects.get((repo_id, key))
            if current is None or (if_sha256 is not None and current.sha256 != if_sha256):
                return False
            del self._tables.objects[(repo_id, key)]
            self._account(repo_id, -current.size, utc(at or datetime.now(UTC)))
            return True

    def set_object_tags(self, repo_id: str, key: str, tags: Mapping[str, str]) -> bool:
        with self._lock:
            current = self._tables.objects.get((repo_id, key))
            if current is None:
                return False
            self._tables.objects[repo_id, key] = replace(current, tags=dict(tags))
            return True

    def _account(self, repo_id: str, change: int, at: datetime) -> None:
        """Add ``change`` bytes to the bucket's size and make ``at`` its last update."""
        repo = self._tables.repos[repo_id]
        self._tables.repos[repo_id] = replace(repo, size=repo.size + change, updated_at=at)

    def list_objects(
        self, repo_id: str, prefix: str, after: bytes | None, limit: int
    ) -> list[BucketObject]:
        start = utf8(prefix)
        with self._lock:
            found = [
                (key, obj)
                for (repo, _), obj in self._tables.objects.items()
                if repo == repo_id
                and (key := utf8(obj.key)).startswith(start)
                and (after is None or key > after)
            ]
        found.sort(key=lambda item: item[0])
        return [_copy(obj) for _, obj in found[:limit]]

    def put_manifest(self, manifest_id: str, parts: Sequence[ManifestPart], at: datetime) -> None:
        with self._lock:
            self._tables.manifests.setdefault(manifest_id, tuple(parts))
            self._tables.manifest_times[manifest_id] = utc(at)

    def manifest(self, manifest_id: str) -> list[ManifestPart]:
        with self._lock:
            parts = self._tables.manifests.get(manifest_id)
        if parts is None:
            raise BlobMissingError(f"no manifest {manifest_id}", sha256=manifest_id)
        return list(parts)

    # --- maintenance ------------------------------------------------------------------------
    def referenced_blobs(self) -> Iterator[tuple[str, int]]:
        """Collected under the lock, yielded after it is released, so an abandoned iterator
        holds nothing."""
        with self._lock:
            sizes: dict[str, int] = {}
            for entries in self._tables.trees.values():
                for entry in entries:
                    if entry.sha256 is not None:
                        sizes[entry.sha256] = max(entry.size, sizes.get(entry.sha256, entry.size))
            for obj in self._tables.objects.values():
                held = self._tables.manifests.get(obj.sha256, ()) if obj.joined else (obj,)
                for blob in held:
                    sizes[blob.sha256] = max(blob.size, sizes.get(blob.sha256, blob.size))
            for part in self._tables.parts.values():
                sizes[part.sha256] = max(part.size, sizes.get(part.sha256, part.size))
        return _each(list(sizes.items()))

    def prune_manifests(self, before: datetime) -> int:
        """Waits for open units of work, as a database's deletion waits for the rows a
        recording locked; a unit's own copy would otherwise bring the rows back unnoticed."""
        cutoff = utc(before)
        with self._unit_lock, self._lock:
            tables = self._tables
            named = {obj.sha256 for obj in tables.objects.values() if obj.joined}
            old = [
                manifest_id
                for manifest_id, at in tables.manifest_times.items()
                if at < cutoff and manifest_id not in named
            ]
            for manifest_id in old:
                del tables.manifests[manifest_id]
                del tables.manifest_times[manifest_id]
        return len(old)

    def is_referenced(self, sha256: str) -> bool:
        with self._lock:
            tables = self._tables
            return (
                any(
                    (obj.sha256 == sha256 and not obj.joined)
                    or any(part.sha256 == sha256 for part in tables.manifests.get(obj.sha256, ()))
                    for obj in tables.objects.values()
                )
                or any(part.sha256 == sha256 for part in tables.parts.values())
                or any(
                    entry.sha256 == sha256 for entries in tables.trees.values() for entry in entries
                )
            )


def _each(references: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    """A generator, so the caller may ``close()`` it midway as it may a database cursor."""
    yield from references


def _copy(obj: BucketObject) -> BucketObject:
    """A caller may change the dicts it gets; the stored ones must not change."""
    return replace(
        obj,
        metadata=dict(obj.metadata),
        content_headers=dict(obj.content_headers),
        checksums=dict(obj.checksums),
        tags=dict(obj.tags),
    )
