"""Bucket objects of the in-memory catalog, and the blob references the garbage collector asks
about."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from weighthouse.domain.acls import Acl
from weighthouse.domain.errors import (
    BlobMissingError,
    EntryNotFoundError,
    InvalidBucketStateError,
    PreconditionFailedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import NULL_VERSION, BucketObject, ManifestPart, Repo, RepoType
from weighthouse.domain.object_lock import (
    ObjectLockConfiguration,
    new_version_lock,
    require_removable,
)
from weighthouse.domain.object_lock_catalog import LockChange
from weighthouse.domain.object_versions import (
    Deletion,
    ObjectVersion,
    Versioning,
    VersionPosition,
    new_version_id,
)
from weighthouse.metadata.memory.tables import MemoryTables, in_utc, utc, utf8


class MemoryObjects(MemoryTables):
    def put_object(
        self,
        repo_id: str,
        obj: BucketObject,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> str:
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
            version_id, position = self._make_room(repo_id, obj.key)
            lock = self._tables.object_locks.get(repo_id)
            retention = new_version_lock(lock, obj.retention, obj.modified_at)
            stored = in_utc(_copy(replace(obj, version_id=version_id, retention=retention)))
            self._tables.objects[repo_id, obj.key] = stored
            self._tables.positions[repo_id, obj.key] = position
            replaced = 0 if current is None else current.size
            self._account(repo_id, obj.size - replaced, stored.modified_at)
            return version_id

    def _make_room(self, repo_id: str, key: str) -> tuple[str, int]:
        """Before a new latest version of ``key`` is stored: the version id and position it
        gets, its current object retired as the bucket's versioning says (see
        :mod:`weighthouse.domain.object_versions`)."""
        tables = self._tables
        versioning = tables.versioning.get(repo_id)
        if versioning is None:
            return NULL_VERSION, 0
        position = tables.version_counters.get(repo_id, 0) + 1
        tables.version_counters[repo_id] = position
        suspended = versioning is Versioning.SUSPENDED
        current = tables.objects.pop((repo_id, key), None)
        current_position = tables.positions.pop((repo_id, key), 0)
        if current is not None and not (suspended and current.version_id == NULL_VERSION):
            tables.versions[repo_id, key, current.version_id] = ObjectVersion(
                key=key,
                version_id=current.version_id,
                position=current_position,
                modified_at=current.modified_at,
                latest=False,
                object=current,
            )
        if suspended:
            tables.versions.pop((repo_id, key, NULL_VERSION), None)
            return NULL_VERSION, position
        return new_version_id(position), position

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
    ) -> Deletion:
        when = utc(at or datetime.now(UTC))
        with self._lock:
            tables = self._tables
            current = tables.objects.get((repo_id, key))
            if if_sha256 is not None and (current is None or current.sha256 != if_sha256):
                return Deletion(removed=False)
            if repo_id not in tables.versioning:
                if current is None:
                    return Deletion(removed=False)
                del tables.objects[(repo_id, key)]
                tables.positions.pop((repo_id, key), None)
                self._account(repo_id, -current.size, when)
                return Deletion(removed=True)
            version_id, position = self._make_room(repo_id, key)
            tables.versions[repo_id, key, version_id] = ObjectVersion(
                key=key, version_id=version_id, position=position, modified_at=when, latest=False
            )
            self._account(repo_id, 0 if current is None else -current.size, when)
            return Deletion(removed=current is not None, marker=version_id)

    # --- versions -------------------------------------------------------------------------
    def bucket_versioning(self, repo_id: str) -> Versioning | None:
        with self._lock:
            return self._tables.versioning.get(repo_id)

    def set_bucket_versioning(self, repo_id: str, versioning: Versioning) -> None:
        with self._lock:
            self._require_bucket(repo_id)
            if versioning is not Versioning.ENABLED and repo_id in self._tables.object_locks:
                raise InvalidBucketStateError(
                    "versioning cannot be suspended while object lock is enabled",
                    repo_id=repo_id,
                )
            self._tables.versioning[repo_id] = versioning

    def _require_bucket(self, repo_id: str) -> None:
        repo = self._tables.repos.get(repo_id)
        if repo is None or repo.type is not RepoType.BUCKET:
            raise RepoNotFoundError(f"no bucket with id {repo_id!r}", repo_id=repo_id)

    def bucket_object_lock(self, repo_id: str) -> ObjectLockConfiguration | None:
        with self._lock:
            return self._tables.object_locks.get(repo_id)

    def set_bucket_object_lock(
        self, repo_id: str, configuration: ObjectLockConfiguration, *, enable_versioning: bool
    ) -> None:
        with self._lock:
            tables = self._tables
            self._require_bucket(repo_id)
            if enable_versioning:
                tables.versioning[repo_id] = Versioning.ENABLED
            elif (
                repo_id not in tables.object_locks
                and tables.versioning.get(repo_id) is not Versioning.ENABLED
            ):
                raise InvalidBucketStateError(
                    "object lock needs the bucket's versioning enabled", repo_id=repo_id
                )
            tables.object_locks[repo_id] = configuration

    def change_object_lock(
        self, repo_id: str, key: str, version_id: str, change: LockChange
    ) -> BucketObject | None:
        with self._lock:
            tables = self._tables
            found = self._find_version(repo_id, key, version_id)
            if found is None or found.object is None:
                return None
            retention, legal_hold = change(found.object)
            if retention is not None:
                retention = replace(retention, until=utc(retention.until))
            changed = replace(found.object, retention=retention, legal_hold=legal_hold)
            current = tables.objects.get((repo_id, key))
            if current is not None and current.version_id == version_id:
                tables.objects[repo_id, key] = replace(
                    current, retention=retention, legal_hold=legal_hold
                )
            else:
                stored = tables.versions[repo_id, key, version_id]
                assert stored.object is not None
                kept = replace(stored.object, retention=retention, legal_hold=legal_hold)
                tables.versions[repo_id, key, version_id] = replace(stored, object=kept)
            return changed

    def get_object_version(self, repo_id: str, key: str, version_id: str) -> ObjectVersion | None:
        with self._lock:
            return self._find_version(repo_id, key, version_id)

    def _find_version(self, repo_id: str, key: str, version_id: str) -> ObjectVersion | None:
        tables = self._tables
        current = tables.objects.get((repo_id, key))
        if current is not None and current.version_id == version_id:
            position = tables.positions.get((repo_id, key), 0)
            return ObjectVersion(
                key=key,
                version_id=version_id,
                position=position,
                modified_at=current.modified_at,
                latest=True,
                object=_copy(current),
            )
        found = tables.versions.get((repo_id, key, version_id))
        if found is None:
            return None
        return _version_copy(found, latest=current is None and self._top(repo_id, key) is found)

    def _top(self, repo_id: str, key: str) -> ObjectVersion | None:
        """The newest of the key's versions other than its latest object."""
        older = [v for (r, k, _), v in self._tables.versions.items() if r == repo_id and k == key]
        return max(older, key=lambda version: version.position, default=None)

    def delete_object_version(
        self,
        repo_id: str,
        key: str,
        version_id: str,
        at: datetime,
        *,
        bypass_governance: bool = False,
    ) -> ObjectVersion | None:
        with self._lock:
            tables = self._tables
            found = self._find_version(repo_id, key, version_id)
            if found is None:
                return None
            if found.object is not None:
                require_removable(
                    found.object.retention,
                    found.object.legal_hold,
                    utc(at),
                    bypass_governance=bypass_governance,
                    key=key,
                )
            change = 0
            if found.latest and found.object is not None:
                del tables.objects[(repo_id, key)]
                tables.positions.pop((repo_id, key), None)
                change -= found.object.size
            else:
                del tables.versions[(repo_id, key, version_id)]
            if found.latest:
                top = self._top(repo_id, key)
                if top is not None and top.object is not None:
                    del tables.versions[(repo_id, key, top.version_id)]
                    tables.objects[repo_id, key] = top.object
                    tables.positions[repo_id, key] = top.position
                    change += top.object.size
            self._account(repo_id, change, utc(at))
            return found

    def set_object_version_tags(
        self, repo_id: str, key: str, version_id: str, tags: Mapping[str, str]
    ) -> bool:
        with self._lock:
            tables = self._tables
            current = tables.objects.get((repo_id, key))
            if current is not None and current.version_id == version_id:
                tables.objects[repo_id, key] = replace(current, tags=dict(tags))
                return True
            found = tables.versions.get((repo_id, key, version_id))
            if found is None or found.object is None:
                return False
            tagged = replace(found.object, tags=dict(tags))
            tables.versions[repo_id, key, version_id] = replace(found, object=tagged)
            return True

    def set_object_version_acl(
        self, repo_id: str, key: str, version_id: str, acl: Acl, *, read: BucketObject
    ) -> bool:
        with self._lock:
            tables = self._tables
            current = tables.objects.get((repo_id, key))
            if current is not None and current.version_id == version_id:
                if current != read:
                    return False
                tables.objects[repo_id, key] = replace(current, acl=acl)
                return True
            found = tables.versions.get((repo_id, key, version_id))
            if found is None or found.object is None or found.object != read:
                return False
            changed = replace(found.object, acl=acl)
            tables.versions[repo_id, key, version_id] = replace(found, object=changed)
            return True

    def list_object_versions(
        self, repo_id: str, prefix: str, after: VersionPosition | None, limit: int
    ) -> list[ObjectVersion]:
        start = utf8(prefix)
        with self._lock:
            tables = self._tables
            found: list[tuple[bytes, int, ObjectVersion]] = []
            for (repo, key), obj in tables.objects.items():
                if repo == repo_id:
                    position = tables.positions.get((repo, key), 0)
                    found.append((utf8(key), position, _latest(obj, position)))
            tops: dict[str, ObjectVersion | None] = {}
            for (repo, key, _), version in tables.versions.items():
                if repo != repo_id:
                    continue
                if key not in tops:
                    tops[key] = None if (repo, key) in tables.objects else self._top(repo, key)
                top = tops[key]
                listed = _version_copy(version, latest=top is not None and top is version)
                found.append((utf8(key), version.position, listed))
        chosen = [
            (key, position, version)
            for key, position, version in found
            if key.startswith(start) and _is_after(key, position, after)
        ]
        chosen.sort(key=lambda item: (item[0], -item[1]))
        return [version for _, _, version in chosen[:limit]]

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
            for obj in self._every_object():
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
            named = {obj.sha256 for obj in self._every_object() if obj.joined}
            old = [
                manifest_id
                for manifest_id, at in tables.manifest_times.items()
                if at < cutoff and manifest_id not in named
            ]
            for manifest_id in old:
                del tables.manifests[manifest_id]
                del tables.manifest_times[manifest_id]
        return len(old)

    def _every_object(self) -> list[BucketObject]:
        """The latest objects and every older object version (not the delete markers)."""
        tables = self._tables
        older = [v.object for v in tables.versions.values() if v.object is not None]
        return [*tables.objects.values(), *older]

    def is_referenced(self, sha256: str) -> bool:
        with self._lock:
            tables = self._tables
            return (
                any(
                    (obj.sha256 == sha256 and not obj.joined)
                    or any(part.sha256 == sha256 for part in tables.manifests.get(obj.sha256, ()))
                    for obj in self._every_object()
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


def _version_copy(version: ObjectVersion, *, latest: bool) -> ObjectVersion:
    obj = None if version.object is None else _copy(version.object)
    return replace(version, latest=latest, object=obj)


def _latest(obj: BucketObject, position: int) -> ObjectVersion:
    return ObjectVersion(
        key=obj.key,
        version_id=obj.version_id,
        position=position,
        modified_at=obj.modified_at,
        latest=True,
        object=_copy(obj),
    )


def _is_after(key: bytes, position: int, after: VersionPosition | None) -> bool:
    if after is None:
        return True
    after_key, after_position = after
    if after_position is None:
        return key > after_key
    return key > after_key or (key == after_key and position < after_position)
