"""Versions of bucket objects (see :mod:`weighthouse.domain.object_versions`), mixed into
``SqlCatalog``, and the statements every object write runs under its bucket's lock.

A key's latest object is its row of ``objects``; its other versions (older objects, delete
markers, and a delete marker that is the latest) are rows of ``object_versions``. A versioned
write moves the replaced object there and stores the new one, all under the bucket's lock,
which every object write takes first (the bucket's row ``FOR UPDATE``; SQLite's one writer), so
each decision below reads a state no other writer can change before the commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    exists,
    false,
    insert,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from weighthouse.domain.acls import acl_document
from weighthouse.domain.errors import InvalidBucketStateError, RepoNotFoundError
from weighthouse.domain.model import NULL_VERSION, Acl, BucketObject, RepoType
from weighthouse.domain.object_lock import (
    ObjectLockConfiguration,
    configuration_document,
    configuration_from,
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
from weighthouse.metadata.prepared_writes import first_on, rowcount_on
from weighthouse.metadata.rows import lock_columns, object_from, object_row
from weighthouse.metadata.tables import object_versions, objects, repos
from weighthouse.metadata.transactions import retry_transient, transaction


@dataclass(frozen=True)
class BucketState:
    """What an object write reads first, under the bucket's lock: its versioning, the position
    of its newest version, the size of the object at the key (``None``: none), and its object
    lock."""

    versioning: Versioning | None
    counter: int
    size: int | None
    object_lock: ObjectLockConfiguration | None = None


# The statements every object write runs, built once (and prepared on SQLite).
_LOCK = (
    select(repos.c.versioning, repos.c.version_counter, repos.c.object_lock)
    .where(repos.c.id == bindparam("repo_id", type_=repos.c.id.type))
    .with_for_update()
)
_OBJECT_SIZE = select(objects.c.size).where(
    objects.c.repo_id == bindparam("repo_id", type_=objects.c.repo_id.type),
    objects.c.key == bindparam("key", type_=objects.c.key.type),
)
# SQLite: one statement (there the write transaction is the lock).
_STATE_AND_SIZE = (
    select(repos.c.versioning, repos.c.version_counter, repos.c.object_lock, objects.c.size)
    .select_from(
        repos.outerjoin(
            objects,
            and_(
                objects.c.repo_id == repos.c.id,
                objects.c.key == bindparam("key", type_=objects.c.key.type),
            ),
        )
    )
    .where(repos.c.id == bindparam("repo_id", type_=repos.c.id.type))
)
_ACCOUNT = (
    update(repos)
    .where(repos.c.id == bindparam("bucket_id", type_=repos.c.id.type))
    .values(
        size=repos.c.size + bindparam("change", type_=repos.c.size.type),
        updated_at=bindparam("at", type_=repos.c.updated_at.type),
    )
)


def lock_bucket(connection: Connection, repo_id: str, key: str) -> BucketState:
    """Lock the bucket's row, then read its state and the size of the object at ``key``.

    Every write of the bucket takes the lock first, so what is read here is what the write
    replaces and the bucket's total stays exact under concurrent writers of a key. Raises
    ``RepoNotFoundError`` (having changed nothing) when the bucket is gone."""
    parameters = {"repo_id": repo_id, "key": key}
    if connection.dialect.name == "sqlite":
        row = first_on(connection, _STATE_AND_SIZE, parameters)
        size = None if row is None or row.size is None else int(row.size)
    else:
        row = connection.execute(_LOCK, {"repo_id": repo_id}).first()
        found = None if row is None else first_on(connection, _OBJECT_SIZE, parameters)
        size = None if found is None else int(found.size)
    if row is None:
        raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id)
    versioning = None if row.versioning is None else Versioning(row.versioning)
    lock = configuration_from(row.object_lock)
    return BucketState(versioning, int(row.version_counter), size, lock)


def account(
    connection: Connection, repo_id: str, change: int, at: datetime, counter: int | None = None
) -> None:
    """Add ``change`` bytes to the bucket's size and make ``at`` its last update; with
    ``counter``, also make it the position of the bucket's newest version."""
    parameters = {"bucket_id": repo_id, "change": change, "at": at}
    if counter is None:
        rowcount_on(connection, _ACCOUNT, parameters)
        return
    connection.execute(_ACCOUNT.values(version_counter=counter), parameters)


def put_version(
    connection: Connection,
    repo_id: str,
    obj: BucketObject,
    state: BucketState,
    *,
    if_none_match: bool,
    if_match: str | None,
) -> str | None:
    """Store ``obj`` as the key's new latest version in a bucket whose versioning is set; its
    version id, or ``None`` when a condition does not hold (then nothing changed). A delete
    marker as the latest means the key holds no object. In a bucket whose object lock is
    enabled the version gets its default retention unless ``obj`` has one."""
    current = _current(connection, repo_id, obj.key)
    if if_none_match and current is not None:
        return None
    if if_match is not None and (current is None or current["sha256"] != if_match):
        return None
    position = state.counter + 1
    version_id = _next_id(state, position)
    _retire(connection, repo_id, obj.key, current, state.versioning)
    retention = new_version_lock(state.object_lock, obj.retention, obj.modified_at)
    stored = replace(obj, version_id=version_id, retention=retention)
    connection.execute(insert(objects).values(object_row(repo_id, stored, position)))
    replaced = 0 if current is None else int(current["size"])
    account(connection, repo_id, obj.size - replaced, obj.modified_at, position)
    return version_id


def hide_object(
    connection: Connection,
    repo_id: str,
    key: str,
    state: BucketState,
    *,
    if_sha256: str | None,
    at: datetime,
) -> Deletion:
    """Put a delete marker on top of ``key`` in a bucket whose versioning is set. With
    ``if_sha256``, only when the key's object has that SHA-256."""
    current = _current(connection, repo_id, key)
    if if_sha256 is not None and (current is None or current["sha256"] != if_sha256):
        return Deletion(removed=False)
    position = state.counter + 1
    version_id = _next_id(state, position)
    _retire(connection, repo_id, key, current, state.versioning)
    marker = _marker_row(repo_id, key, version_id, position, at)
    connection.execute(insert(object_versions).values(marker))
    removed = 0 if current is None else int(current["size"])
    account(connection, repo_id, -removed, at, position)
    return Deletion(removed=current is not None, marker=version_id)


def holds_locked_version(connection: Connection, repo_id: str, at: datetime) -> bool:
    """Whether any object version of the bucket is under a legal hold or a retention running
    past ``at``; the caller holds the bucket's lock."""

    def locked(table: Any) -> Any:
        return exists().where(
            table.c.repo_id == repo_id,
            or_(table.c.legal_hold == true(), table.c.retain_until > at),
        )

    return bool(connection.scalar(select(or_(locked(objects), locked(object_versions)))))


def _next_id(state: BucketState, position: int) -> str:
    if state.versioning is Versioning.ENABLED:
        return new_version_id(position)
    return NULL_VERSION


def _current(connection: Connection, repo_id: str, key: str) -> dict[str, Any] | None:
    """The row of the key's latest object, as a dict, or ``None``."""
    row = connection.execute(
        select(objects).where(objects.c.repo_id == repo_id, objects.c.key == key)
    ).first()
    return None if row is None else dict(row._mapping)


def _retire(
    connection: Connection,
    repo_id: str,
    key: str,
    current: Mapping[str, Any] | None,
    versioning: Versioning | None,
) -> None:
    """Make room for a new latest version of ``key``: the current object becomes an older
    version, except that with versioning suspended the ``null`` version (current or older)
    is replaced, so it goes."""
    suspended = versioning is Versioning.SUSPENDED
    if current is not None:
        if not (suspended and current["version_id"] == NULL_VERSION):
            connection.execute(insert(object_versions).values(_archived_row(current)))
        connection.execute(
            delete(objects).where(objects.c.repo_id == repo_id, objects.c.key == key)
        )
    if suspended:
        connection.execute(
            delete(object_versions).where(
                object_versions.c.repo_id == repo_id,
                object_versions.c.key == key,
                object_versions.c.version_id == NULL_VERSION,
            )
        )


_OBJECT_COLUMNS = (
    "sha256",
    "size",
    "md5",
    "content_type",
    "metadata",
    "content_headers",
    "checksums",
    "modified_at",
    "part_sizes",
    "parts_md5",
    "tags",
    "encryption",
    "lock_mode",
    "retain_until",
    "legal_hold",
    "acl",
)


def _archived_row(current: Mapping[str, Any]) -> dict[str, Any]:
    """The ``object_versions`` row of an object that stops being the latest."""
    row = {name: current[name] for name in _OBJECT_COLUMNS}
    row.update(
        repo_id=current["repo_id"],
        key=current["key"],
        version_id=current["version_id"],
        position=current["position"],
        marker=False,
    )
    return row


def _marker_row(
    repo_id: str, key: str, version_id: str, position: int, at: datetime
) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "key": key,
        "version_id": version_id,
        "position": position,
        "marker": True,
        "sha256": None,
        "size": 0,
        "md5": "",
        "content_type": "",
        "metadata": {},
        "content_headers": None,
        "checksums": None,
        "modified_at": at,
        "part_sizes": None,
        "parts_md5": None,
        "tags": None,
        "encryption": None,
        **lock_columns(None, legal_hold=None),
        "acl": None,
    }


def _version_from(row: Any, latest: bool) -> ObjectVersion:
    """An ``ObjectVersion`` from a row of ``objects`` or ``object_versions`` (or the listing's
    union of both)."""
    marker = bool(getattr(row, "marker", False))
    return ObjectVersion(
        key=row.key,
        version_id=row.version_id,
        position=int(row.position),
        modified_at=row.modified_at,
        latest=latest,
        object=None if marker else object_from(row),
    )


def _newer_exists(repo_id: str, key: Any, position: Any) -> ColumnElement[bool]:
    """Whether the key has a version newer than ``position``: its latest object (always the
    newest when there is one) or a newer row of ``object_versions``."""
    newer = object_versions.alias("newer")
    return or_(
        exists().where(objects.c.repo_id == repo_id, objects.c.key == key),
        exists().where(newer.c.repo_id == repo_id, newer.c.key == key, newer.c.position > position),
    )


class ObjectVersionQueries:
    _engine: Engine

    def bucket_versioning(self, repo_id: str) -> Versioning | None:
        query = select(repos.c.versioning).where(repos.c.id == repo_id)
        with transaction(self._engine) as connection:
            value = connection.scalar(query)
        return None if value is None else Versioning(value)

    @retry_transient
    def set_bucket_versioning(self, repo_id: str, versioning: Versioning) -> None:
        bucket = (repos.c.id == repo_id, repos.c.type == RepoType.BUCKET.value)
        statement = update(repos).where(*bucket).values(versioning=versioning.value)
        if versioning is not Versioning.ENABLED:
            statement = statement.where(repos.c.object_lock.is_(None))
        with transaction(self._engine, write=True) as connection:
            if connection.execute(statement).rowcount == 0:
                if connection.scalar(select(repos.c.id).where(*bucket)) is not None:
                    raise InvalidBucketStateError(
                        "versioning cannot be suspended while object lock is enabled",
                        repo_id=repo_id,
                    )
                raise RepoNotFoundError(f"no bucket with id {repo_id!r}", repo_id=repo_id)

    def bucket_object_lock(self, repo_id: str) -> ObjectLockConfiguration | None:
        query = select(repos.c.object_lock).where(repos.c.id == repo_id)
        with transaction(self._engine) as connection:
            return configuration_from(connection.scalar(query))

    @retry_transient
    def set_bucket_object_lock(
        self, repo_id: str, configuration: ObjectLockConfiguration, *, enable_versioning: bool
    ) -> None:
        document = configuration_document(configuration)
        with transaction(self._engine, write=True) as connection:
            row = connection.execute(
                select(repos.c.type, repos.c.versioning, repos.c.object_lock)
                .where(repos.c.id == repo_id)
                .with_for_update()
            ).first()
            if row is None or row.type != RepoType.BUCKET.value:
                raise RepoNotFoundError(f"no bucket with id {repo_id!r}", repo_id=repo_id)
            changes: dict[str, Any] = {"object_lock": document}
            if enable_versioning:
                changes["versioning"] = Versioning.ENABLED.value
            elif row.object_lock is None and row.versioning != Versioning.ENABLED.value:
                raise InvalidBucketStateError(
                    "object lock needs the bucket's versioning enabled", repo_id=repo_id
                )
            connection.execute(update(repos).where(repos.c.id == repo_id).values(changes))

    @retry_transient
    def change_object_lock(
        self, repo_id: str, key: str, version_id: str, change: LockChange
    ) -> BucketObject | None:
        with transaction(self._engine, write=True) as connection:
            found = _locked_version(connection, repo_id, key, version_id)
            if found is None or found.object is None:
                return None
            retention, legal_hold = change(found.object)
            _update_version(connection, repo_id, found, lock_columns(retention, legal_hold))
            return replace(found.object, retention=retention, legal_hold=legal_hold)

    def get_object_version(self, repo_id: str, key: str, version_id: str) -> ObjectVersion | None:
        with transaction(self._engine) as connection:
            return _find_version(connection, repo_id, key, version_id)

    @retry_transient
    def delete_object_version(
        self,
        repo_id: str,
        key: str,
        version_id: str,
        at: datetime,
        *,
        bypass_governance: bool = False,
    ) -> ObjectVersion | None:
        with transaction(self._engine, write=True) as connection:
            found = _locked_version(connection, repo_id, key, version_id)
            if found is None:
                return None
            if found.object is not None:
                require_removable(
                    found.object.retention,
                    found.object.legal_hold,
                    at,
                    bypass_governance=bypass_governance,
                    key=key,
                )
            change = 0
            if found.latest and found.object is not None:
                connection.execute(
                    delete(objects).where(objects.c.repo_id == repo_id, objects.c.key == key)
                )
                change -= found.object.size
            else:
                connection.execute(
                    delete(object_versions).where(
                        object_versions.c.repo_id == repo_id,
                        object_versions.c.key == key,
                        object_versions.c.version_id == version_id,
                    )
                )
            if found.latest:
                change += _promote(connection, repo_id, key)
            account(connection, repo_id, change, at)
            return found

    @retry_transient
    def set_object_version_tags(
        self, repo_id: str, key: str, version_id: str, tags: Mapping[str, str]
    ) -> bool:
        value = dict(tags) or None
        latest = (
            update(objects)
            .where(
                objects.c.repo_id == repo_id,
                objects.c.key == key,
                objects.c.version_id == version_id,
            )
            .values(tags=value)
        )
        older = (
            update(object_versions)
            .where(
                object_versions.c.repo_id == repo_id,
                object_versions.c.key == key,
                object_versions.c.version_id == version_id,
                object_versions.c.marker == false(),
            )
            .values(tags=value)
        )
        with transaction(self._engine, write=True) as connection:
            if connection.execute(latest).rowcount == 1:
                return True
            return connection.execute(older).rowcount == 1

    @retry_transient
    def set_object_version_acl(
        self, repo_id: str, key: str, version_id: str, acl: Acl, *, read: BucketObject
    ) -> bool:
        # Under the bucket's lock: the version cannot move between objects and
        # object_versions (a newer write, a removal promoting it) or be replaced between the
        # read and the update.
        with transaction(self._engine, write=True) as connection:
            found = _locked_version(connection, repo_id, key, version_id)
            if found is None or found.object != read:
                return False
            _update_version(connection, repo_id, found, {"acl": acl_document(acl)})
            return True

    def list_object_versions(
        self, repo_id: str, prefix: str, after: VersionPosition | None, limit: int
    ) -> list[ObjectVersion]:
        """The latest objects and the other versions as one union, ordered by key bytes, then
        position descending; a version of ``object_versions`` is the latest when its key has
        no object and no newer version."""
        current = select(
            *(objects.c[name] for name in _OBJECT_COLUMNS),
            objects.c.key,
            objects.c.version_id,
            objects.c.position,
            false().label("marker"),
            true().label("latest"),
        ).where(objects.c.repo_id == repo_id)
        older = select(
            *(object_versions.c[name] for name in _OBJECT_COLUMNS),
            object_versions.c.key,
            object_versions.c.version_id,
            object_versions.c.position,
            object_versions.c.marker,
            ~_newer_exists(repo_id, object_versions.c.key, object_versions.c.position),
        ).where(object_versions.c.repo_id == repo_id)
        if prefix:
            start = prefix.encode("utf-8")
            end = prefix_successor(start)
            current = current.where(objects.c.key >= start)
            older = older.where(object_versions.c.key >= start)
            if end is not None:
                current = current.where(objects.c.key < end)
                older = older.where(object_versions.c.key < end)
        if after is not None:
            key, position = after
            current = current.where(_after(objects.c.key, objects.c.position, key, position))
            older = older.where(
                _after(object_versions.c.key, object_versions.c.position, key, position)
            )
        both = union_all(current, older).subquery()
        query = select(both).order_by(both.c.key, both.c.position.desc()).limit(limit)
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [_version_from(row, bool(row.latest)) for row in rows]


def _after(key_column: Any, position_column: Any, key: bytes, position: int | None) -> Any:
    if position is None:
        return key_column > key
    return or_(key_column > key, and_(key_column == key, position_column < position))


def _update_version(
    connection: Connection, repo_id: str, found: ObjectVersion, values: dict[str, Any]
) -> None:
    """Set ``values`` on the row of ``found``: the object's own while it is the latest, else
    its row among the older versions."""
    table = objects if found.latest else object_versions
    connection.execute(
        update(table)
        .where(
            table.c.repo_id == repo_id,
            table.c.key == found.key,
            table.c.version_id == found.version_id,
        )
        .values(values)
    )


def _locked_version(
    connection: Connection, repo_id: str, key: str, version_id: str
) -> ObjectVersion | None:
    """That version of ``key`` read under the bucket's lock (:func:`lock_bucket`), so that it
    stays as read until the write ends; ``None`` when there is no such version or bucket."""
    try:
        lock_bucket(connection, repo_id, key)
    except RepoNotFoundError:
        return None
    return _find_version(connection, repo_id, key, version_id)


def _find_version(
    connection: Connection, repo_id: str, key: str, version_id: str
) -> ObjectVersion | None:
    current = connection.execute(
        select(objects).where(objects.c.repo_id == repo_id, objects.c.key == key)
    ).first()
    if current is not None and current.version_id == version_id:
        return _version_from(current, latest=True)
    row = connection.execute(
        select(object_versions).where(
            object_versions.c.repo_id == repo_id,
            object_versions.c.key == key,
            object_versions.c.version_id == version_id,
        )
    ).first()
    if row is None:
        return None
    if current is not None:
        return _version_from(row, latest=False)
    newer = connection.scalar(
        select(
            exists().where(
                object_versions.c.repo_id == repo_id,
                object_versions.c.key == key,
                object_versions.c.position > row.position,
            )
        )
    )
    return _version_from(row, latest=not newer)


def _promote(connection: Connection, repo_id: str, key: str) -> int:
    """After the latest version of ``key`` went: when the newest version left is an object,
    make it the key's latest object; the bytes the key's object gained."""
    top = connection.execute(
        select(object_versions)
        .where(object_versions.c.repo_id == repo_id, object_versions.c.key == key)
        .order_by(object_versions.c.position.desc())
        .limit(1)
    ).first()
    if top is None or top.marker:
        return 0
    row = dict(top._mapping)
    del row["marker"]
    connection.execute(insert(objects).values(row))
    connection.execute(
        delete(object_versions).where(
            object_versions.c.repo_id == repo_id,
            object_versions.c.key == key,
            object_versions.c.version_id == top.version_id,
        )
    )
    return int(top.size)


def prefix_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``, or None
    when there is none (an empty prefix, or one of only 0xFF bytes)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])
