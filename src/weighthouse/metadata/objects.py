"""Bucket objects, and the blob references the garbage collector asks about; mixed into
``SqlCatalog``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    delete,
    exists,
    func,
    not_,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from weighthouse.domain.errors import (
    BlobMissingError,
    EntryNotFoundError,
    PreconditionFailedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import (
    MANIFEST_PREFIX,
    NULL_VERSION,
    BucketObject,
    ManifestPart,
    Repo,
    RepoType,
)
from weighthouse.domain.object_versions import Deletion
from weighthouse.metadata import group_commit
from weighthouse.metadata.object_versions import (
    account,
    hide_object,
    lock_bucket,
    prefix_successor,
    put_version,
)
from weighthouse.metadata.prepared_reads import first_row
from weighthouse.metadata.rows import object_from, object_row, repo_from
from weighthouse.metadata.tables import (
    multipart_parts,
    object_manifests,
    object_versions,
    objects,
    repos,
    tree_entries,
)
from weighthouse.metadata.transactions import in_unit, retry_transient, transaction
from weighthouse.metadata.upserts import insert_new, upsert, upsert_prepared, upsert_rows

# Rows fetched per round trip while streaming referenced blobs.
STREAM_BATCH = 1000

# The repo's columns and the object's (the two the tables share are renamed, so one row builds
# both), as one statement built once: a small GET runs it on every request.
_REPO_AND_OBJECT = (
    select(
        *(c for c in repos.c if c.name not in ("size", "updated_at")),
        repos.c.size.label("repo_size"),
        repos.c.updated_at.label("repo_updated_at"),
        *(c for c in objects.c if c.name != "repo_id"),
    )
    .select_from(
        repos.outerjoin(
            objects,
            and_(
                objects.c.repo_id == repos.c.id,
                objects.c.key == bindparam("key", type_=objects.c.key.type),
            ),
        )
    )
    .where(
        repos.c.type == bindparam("type", type_=repos.c.type.type),
        repos.c.namespace == bindparam("namespace", type_=repos.c.namespace.type),
        repos.c.name == bindparam("name", type_=repos.c.name.type),
    )
)


# An object (or an older version of one) naming a blob, not a manifest; a manifest some
# object or version names (manifests none names any more are left behind, a few rows each,
# and keep nothing). A delete marker names nothing (its sha256 is NULL).
_PLAIN_OBJECT = not_(objects.c.sha256.startswith(MANIFEST_PREFIX, autoescape=True))
_PLAIN_VERSION = and_(
    object_versions.c.sha256.is_not(None),
    not_(object_versions.c.sha256.startswith(MANIFEST_PREFIX, autoescape=True)),
)
_NAMED_MANIFEST = or_(
    exists().where(objects.c.sha256 == object_manifests.c.manifest_id),
    exists().where(object_versions.c.sha256 == object_manifests.c.manifest_id),
)


class ObjectQueries:
    _engine: Engine

    @retry_transient
    def put_object(
        self,
        repo_id: str,
        obj: BucketObject,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> str:
        """One statement each way, so the database decides every race on the key's row:

        * no condition: an upsert; concurrent writers never collide, the last to commit wins;
        * ``if_none_match``: an insert that skips an existing key; only one creator inserts;
        * ``if_match``: ``UPDATE … WHERE sha256 = :expected``; a writer waiting on the row lock
          re-reads the row when it gets it, so after a winner changed it the update matches
          nothing (rows are counted as matched on every database, MariaDB included).

        In a bucket whose versioning is set, the write is several statements instead (see
        :func:`~weighthouse.metadata.object_versions.put_version`), decided under the bucket's
        lock, which every object write takes first.
        """
        if if_none_match and if_match is not None:
            raise ValueError("put_object takes if_none_match or if_match, not both")
        row = object_row(repo_id, obj)
        row["version_id"] = NULL_VERSION  # a bucket without versioning; see put_version

        # Prepared on the hot path only: a write sharing a group commit. Inside a unit of work
        # (a multipart completion, with its manifest) the statement goes the usual way, where
        # the engine's events see it as they see the unit's other statements.
        grouped = group_commit.for_engine(self._engine) is not None and not in_unit(self._engine)

        def write(connection: Connection) -> bool:
            if if_none_match:
                return insert_new(connection, objects, row)
            if if_match is not None:
                changes = {k: v for k, v in row.items() if k not in ("repo_id", "key")}
                return (
                    connection.execute(
                        update(objects)
                        .where(
                            objects.c.repo_id == repo_id,
                            objects.c.key == row["key"],
                            objects.c.sha256 == if_match,
                        )
                        .values(changes)
                    ).rowcount
                    == 1
                )
            if grouped:
                upsert_prepared(connection, objects, row)
            else:
                upsert(connection, objects, row)
            return True

        def store(connection: Connection) -> str | None:
            state = lock_bucket(connection, repo_id, obj.key)
            if state.versioning is not None:
                return put_version(
                    connection, repo_id, obj, state, if_none_match=if_none_match, if_match=if_match
                )
            if not write(connection):
                return None
            account(connection, repo_id, obj.size - (state.size or 0), obj.modified_at)
            return NULL_VERSION

        # Concurrent object writes share commits where the database gains from it (SQLite).
        group = group_commit.for_engine(self._engine)
        if group is not None and grouped:
            # Reads, then the one write that may fail alone, then the bucket's figures.
            stored = self._store_or_find_no_bucket(
                repo_id, lambda: group.run(store, fails_cleanly=True)
            )
        else:

            def alone() -> str | None:
                with transaction(self._engine, write=True) as connection:
                    return store(connection)

            stored = self._store_or_find_no_bucket(repo_id, alone)
        if stored is None:
            state = "exists" if if_none_match else "is not at the expected version"
            raise PreconditionFailedError(f"{obj.key!r} {state}", key=obj.key)
        return stored

    def _store_or_find_no_bucket(self, repo_id: str, write: Callable[[], str | None]) -> str | None:
        """Run ``write``; a constraint it breaks because its bucket was deleted meanwhile (the
        object's reference to it) is that bucket not being found, as on the in-memory catalog."""
        try:
            return write()
        except IntegrityError:
            if not self._repo_exists(repo_id):
                raise RepoNotFoundError(f"no repo with id {repo_id!r}", repo_id=repo_id) from None
            raise

    def _repo_exists(self, repo_id: str) -> bool:
        with transaction(self._engine) as connection:
            return connection.scalar(select(repos.c.id).where(repos.c.id == repo_id)) is not None

    def get_object(self, repo_id: str, key: str) -> BucketObject:
        query = select(objects).where(objects.c.repo_id == repo_id, objects.c.key == key)
        with transaction(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            raise EntryNotFoundError(f"no object {key!r}", key=key)
        return object_from(row)

    def find_object(
        self, type: RepoType, namespace: str, name: str, key: str
    ) -> tuple[Repo, BucketObject | None]:
        parameters = {"type": type.value, "namespace": namespace, "name": name, "key": key}
        row = first_row(self._engine, _REPO_AND_OBJECT, parameters)
        if row is None:
            raise RepoNotFoundError.named(f"{namespace}/{name}")
        repo = repo_from(row, size="repo_size", updated_at="repo_updated_at")
        return repo, None if row.sha256 is None else object_from(row)

    @retry_transient
    def delete_object(
        self,
        repo_id: str,
        key: str,
        *,
        if_sha256: str | None = None,
        at: datetime | None = None,
    ) -> Deletion:
        statement = delete(objects).where(objects.c.repo_id == repo_id, objects.c.key == key)
        if if_sha256 is not None:
            statement = statement.where(objects.c.sha256 == if_sha256)
        when = at or datetime.now(UTC)
        with transaction(self._engine, write=True) as connection:
            try:
                state = lock_bucket(connection, repo_id, key)
            except RepoNotFoundError:
                return Deletion(removed=False)
            if state.versioning is not None:
                return hide_object(connection, repo_id, key, state, if_sha256=if_sha256, at=when)
            if state.size is None or connection.execute(statement).rowcount == 0:
                return Deletion(removed=False)
            account(connection, repo_id, -state.size, when)
            return Deletion(removed=True)

    @retry_transient
    def set_object_tags(self, repo_id: str, key: str, tags: Mapping[str, str]) -> bool:
        statement = (
            update(objects)
            .where(objects.c.repo_id == repo_id, objects.c.key == key)
            .values(tags=dict(tags) or None)
        )
        with transaction(self._engine, write=True) as connection:
            return connection.execute(statement).rowcount == 1

    def list_objects(
        self, repo_id: str, prefix: str, after: bytes | None, limit: int
    ) -> list[BucketObject]:
        """The prefix is a byte range, ``prefix <= key < successor(prefix)``, so the primary
        key's index serves it and no LIKE wildcard in a key can misfire."""
        query = select(objects).where(objects.c.repo_id == repo_id)
        if prefix:
            start = prefix.encode("utf-8")
            query = query.where(objects.c.key >= start)
            end = prefix_successor(start)
            if end is not None:
                query = query.where(objects.c.key < end)
        if after is not None:
            query = query.where(objects.c.key > after)
        query = query.order_by(objects.c.key).limit(limit)
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        return [object_from(row) for row in rows]

    @retry_transient
    def put_manifest(self, manifest_id: str, parts: Sequence[ManifestPart], at: datetime) -> None:
        """The rows are content-addressed (the id is a digest of them), so rows already
        stored hold the same values and only their time is set, in one statement. Setting it
        locks the rows until the unit of work ends, so a pruning that reached them first waits
        and then finds them young."""
        rows = [
            {
                "manifest_id": manifest_id,
                "number": number,
                "sha256": part.sha256,
                "size": part.size,
                "recorded_at": at,
            }
            for number, part in enumerate(parts, start=1)
        ]
        with transaction(self._engine, write=True) as connection:
            upsert_rows(connection, object_manifests, rows, update=("recorded_at",))

    def manifest(self, manifest_id: str) -> list[ManifestPart]:
        query = (
            select(object_manifests.c.sha256, object_manifests.c.size)
            .where(object_manifests.c.manifest_id == manifest_id)
            .order_by(object_manifests.c.number)
        )
        with transaction(self._engine) as connection:
            rows = connection.execute(query).all()
        if not rows:
            raise BlobMissingError(f"no manifest {manifest_id}", sha256=manifest_id)
        return [ManifestPart(sha256=row.sha256, size=int(row.size)) for row in rows]

    # --- maintenance ----------------------------------------------------------------------
    def referenced_blobs(self) -> Iterator[tuple[str, int]]:
        """Streamed in batches through one read transaction, which stays open until the
        iterator is exhausted or closed. A joined object references its manifest's blobs,
        not its manifest id (no blob)."""
        references = union_all(
            select(tree_entries.c.sha256, tree_entries.c.size).where(
                tree_entries.c.sha256.is_not(None)
            ),
            select(objects.c.sha256, objects.c.size).where(_PLAIN_OBJECT),
            select(object_versions.c.sha256, object_versions.c.size).where(_PLAIN_VERSION),
            select(object_manifests.c.sha256, object_manifests.c.size).where(_NAMED_MANIFEST),
            select(multipart_parts.c.sha256, multipart_parts.c.size),
        ).subquery()
        query = select(references.c.sha256, func.max(references.c.size)).group_by(
            references.c.sha256
        )
        with transaction(self._engine) as connection:
            streaming = connection.execution_options(yield_per=STREAM_BATCH)
            # Closing the result before the transaction ends frees a server-side cursor even
            # when the caller abandons the iterator.
            with streaming.execute(query) as result:
                for sha256, size in result:
                    yield sha256, int(size)

    @retry_transient
    def prune_manifests(self, before: datetime) -> int:
        """A row is removed only if, when the deletion reaches it, its time is still older
        than ``before`` and no object names its manifest. The first parts go first, so their
        count is the manifests'; the rest follow in the same transaction (a manifest's rows
        share their time and the objects naming them, so they go together)."""
        old = and_(object_manifests.c.recorded_at < before, not_(_NAMED_MANIFEST))
        first = object_manifests.c.number == 1
        with transaction(self._engine, write=True) as connection:
            manifests = connection.execute(delete(object_manifests).where(old, first)).rowcount
            connection.execute(delete(object_manifests).where(old, not_(first)))
        return int(manifests)

    def is_referenced(self, sha256: str) -> bool:
        query = select(
            or_(
                exists().where(tree_entries.c.sha256 == sha256),
                exists().where(objects.c.sha256 == sha256, _PLAIN_OBJECT),
                exists().where(object_versions.c.sha256 == sha256, _PLAIN_VERSION),
                exists().where(object_manifests.c.sha256 == sha256, _NAMED_MANIFEST),
                exists().where(multipart_parts.c.sha256 == sha256),
            )
        )
        with transaction(self._engine) as connection:
            return bool(connection.scalar(query))
