"""The prepared SQLite reads of the hot requests: the same rows as SQLAlchemy's, the unit of
work's own writes inside a unit, and driver failures as ``StorageError``."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy import exc as sa_exc
from tests.contract.catalog.samples import make_object, make_repo, make_user

from weighthouse.domain.errors import StorageError
from weighthouse.domain.model import BucketObject, Repo, RepoType
from weighthouse.metadata import prepared_reads
from weighthouse.metadata.bucket_configurations import _DOCUMENT
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.credential_epoch import bump_credential_epoch
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import upgrade
from weighthouse.metadata.objects import _REPO_AND_OBJECT
from weighthouse.metadata.prepared_reads import prepared
from weighthouse.metadata.tables import repos

pytestmark = pytest.mark.integration

KEY = "dir/ünï.bin"
WHERE = {"type": "bucket", "namespace": "alice", "name": "data", "key": KEY}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'catalog.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _bucket(catalog: SqlCatalog) -> Repo:
    owner = make_user()
    catalog.add_user(owner)
    bucket = make_repo(owner, name="data", type=RepoType.BUCKET, private=True)
    catalog.add_repo(bucket)
    return bucket


def _read_both(engine: Engine, catalog: SqlCatalog, stored: BucketObject) -> tuple[Any, Any]:
    """``stored`` put in a new bucket, then read by the prepared read and by SQLAlchemy."""
    bucket = _bucket(catalog)
    catalog.put_object(bucket.id, stored)
    read = prepared(engine, _REPO_AND_OBJECT)
    assert read is not None
    row = read.first(WHERE)
    with engine.connect() as connection:
        expected = connection.execute(_REPO_AND_OBJECT, WHERE).one()
    assert row is not None
    return row, expected


def test_rows_read_as_sqlalchemy_reads_them(engine: Engine) -> None:
    catalog = SqlCatalog(engine)
    stored = replace(make_object(KEY, "bytes"), metadata={"colour": "blue"})
    row, expected = _read_both(engine, catalog, stored)
    bucket = catalog.get_repo(RepoType.BUCKET, "alice", "data")
    read = prepared(engine, _REPO_AND_OBJECT)
    assert read is not None
    for name in expected._fields:
        assert getattr(row, name) == getattr(expected, name), name
    assert row.modified_at.tzinfo is not None
    assert row.private is True and row.metadata == {"colour": "blue"}
    with pytest.raises(AttributeError):
        _ = row.no_such_column
    assert read.first({**WHERE, "name": "other"}) is None
    assert catalog.find_object(RepoType.BUCKET, "alice", "data", KEY) == (bucket, stored)


@pytest.mark.parametrize(
    "changes",
    [
        {},  # the common object: empty documents, null ones, a time with microseconds
        {"modified_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},  # none
        {"metadata": {"a": "[]"}, "tags": {"t": "{}"}, "checksums": {"crc32": "null"}},
        {"part_sizes": (5, 7), "content_headers": {"cache-control": "no-cache"}},
    ],
)
def test_documents_and_times_read_as_sqlalchemy_reads_them(
    engine: Engine, changes: dict[str, Any]
) -> None:
    # The prepared read answers the commonest values of these columns without SQLAlchemy's
    # processors; every value must still be the one those would give.
    catalog = SqlCatalog(engine)
    stored = replace(make_object(KEY, "bytes"), **{"metadata": {}, **changes})
    row, expected = _read_both(engine, catalog, stored)
    bucket = catalog.get_repo(RepoType.BUCKET, "alice", "data")
    read = prepared(engine, _REPO_AND_OBJECT)
    assert read is not None
    for name in expected._fields:
        value = getattr(row, name)
        assert value == getattr(expected, name), name
        assert type(value) is type(getattr(expected, name)), name
        if isinstance(value, datetime):
            assert value.tzinfo is UTC, name
    again = read.first(WHERE)
    for name in ("metadata", "content_headers", "checksums", "tags"):
        value = getattr(row, name)
        assert value is None or value is not getattr(again, name), name  # never shared
    assert catalog.find_object(RepoType.BUCKET, "alice", "data", KEY) == (bucket, stored)


def test_a_bucket_configuration_reads_as_sqlalchemy_reads_it(engine: Engine) -> None:
    # Every request to a bucket reads its policy this way.
    catalog = SqlCatalog(engine)
    bucket = _bucket(catalog)
    document = {"text": '{"Statement": [{"Sid": "ü\\n"}]}', "n": [1, 2.5, None, True]}
    catalog.put_bucket_configuration(bucket.id, "policy", document)
    read = prepared(engine, _DOCUMENT)
    assert read is not None
    row = read.first({"repo_id": bucket.id, "name": "policy"})
    assert row is not None and row.document == document
    assert read.first({"repo_id": bucket.id, "name": "cors"}) is None
    assert catalog.get_bucket_configuration(bucket.id, "policy") == document


def test_inside_a_unit_of_work_reads_see_its_own_writes(engine: Engine) -> None:
    catalog = SqlCatalog(engine)
    bucket = _bucket(catalog)
    with catalog.atomic():
        catalog.put_object(bucket.id, make_object(KEY))
        assert prepared(engine, _REPO_AND_OBJECT) is None
        assert catalog.find_object(RepoType.BUCKET, "alice", "data", KEY)[1] == make_object(KEY)


def test_a_database_that_fails_gives_storage_errors(engine: Engine, tmp_path: Path) -> None:
    catalog = SqlCatalog(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE credential_epoch")
    with pytest.raises(StorageError):
        catalog.credential_epoch()
    gone = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        with pytest.raises(StorageError):
            SqlCatalog(gone).find_object(RepoType.BUCKET, "alice", "data", "k")
    finally:
        gone.dispose()


def test_each_statement_is_prepared_once_per_engine(engine: Engine, tmp_path: Path) -> None:
    statement = select(repos.c.id)
    assert prepared(engine, statement) is prepared(engine, statement) is not None
    other = create_engine_for(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert prepared(other, statement) is not prepared(engine, statement)
    finally:
        other.dispose()


def _checkouts(engine: Engine) -> list[int]:
    """Counts the connections the engine's pool hands out from now on."""
    seen: list[int] = []
    event.listen(engine, "checkout", lambda *_: seen.append(1))
    return seen


def test_a_loop_thread_reads_on_a_connection_of_its_own_and_sees_every_commit(
    engine: Engine,
) -> None:
    catalog = SqlCatalog(engine)
    bucket = _bucket(catalog)
    catalog.put_object(bucket.id, make_object(KEY, size=1))
    checkouts = _checkouts(engine)

    async def reads() -> list[int]:
        sizes = []
        for size in (2, 3, 4):
            found = catalog.find_object(RepoType.BUCKET, "alice", "data", KEY)[1]
            assert found is not None
            sizes.append(found.size)
            # Written through the pool, committed: the next read on the loop must see it.
            catalog.put_object(bucket.id, make_object(KEY, size=size))
        return sizes

    assert asyncio.run(reads()) == [1, 2, 3]
    writes = len(checkouts)
    assert writes == 4  # one connection for the reads, made once and kept; the writes' own
    # No read left a snapshot open: a checkpoint folds the whole log into the file.
    with engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy == 0
    # Off the loop, every read takes a pooled connection, as before.
    catalog.find_object(RepoType.BUCKET, "alice", "data", KEY)
    assert len(checkouts) == writes + 2


def test_a_loop_threads_connection_is_replaced_after_a_failure_and_a_disposal(
    engine: Engine,
) -> None:
    catalog = SqlCatalog(engine)
    catalog.credential_epoch()
    checkouts = _checkouts(engine)

    async def reads() -> None:
        catalog.credential_epoch()
        assert len(checkouts) == 1
        held = prepared_reads._held(engine).connection
        held.close()  # as if the driver had lost it
        with pytest.raises(sa_exc.DBAPIError):
            catalog.credential_epoch()
        catalog.credential_epoch()  # a new connection, not the broken one
        assert len(checkouts) == 2
        held = prepared_reads._held(engine).connection
        held.execute("SELECT 1")
        engine.dispose()
        catalog.credential_epoch()  # made again from the new pool
        assert len(checkouts) == 3
        with pytest.raises(sqlite3.ProgrammingError):  # the disposed engine's one was closed
            held.execute("SELECT 1")

    asyncio.run(reads())


def test_a_steady_read_is_answered_again_until_any_connection_commits(
    engine: Engine, tmp_path: Path
) -> None:
    catalog = SqlCatalog(engine)
    # Another engine on the same file: a connection of its own, as another process has.
    other = create_engine_for(f"sqlite:///{tmp_path / 'catalog.db'}")

    def bump(on: Engine) -> None:
        with on.begin() as connection:
            bump_credential_epoch(connection)

    async def reads() -> list[tuple[str, int]]:
        first = catalog.credential_epoch()
        statements: list[str] = []
        prepared_reads._held(engine).connection.set_trace_callback(statements.append)
        seen = []

        def read() -> None:
            before = sum("credential_epoch" in s for s in statements)
            epoch = catalog.credential_epoch()
            seen.append((epoch, sum("credential_epoch" in s for s in statements) - before))

        read()  # nothing committed since the first read: answered again, not read
        bump(other)
        read()  # another connection's commit: read anew
        read()
        bump(engine)  # through this engine's pool, not the loop thread's own connection
        read()
        catalog.add_user(make_user("carol"))  # a commit of another table: read anew too
        read()
        assert seen[0][0] == first
        return seen

    try:
        seen = asyncio.run(reads())
    finally:
        other.dispose()
    assert [reads for _, reads in seen] == [0, 1, 0, 1, 1]
    epochs = [epoch for epoch, _ in seen]
    assert epochs[1] != epochs[0] and epochs[2] == epochs[1] and epochs[3] != epochs[2]
    assert epochs[4] == epochs[3] == catalog.credential_epoch()  # off the loop: a plain read


def test_a_steady_read_off_the_loop_always_reads(engine: Engine) -> None:
    catalog = SqlCatalog(engine)
    first = catalog.credential_epoch()
    with engine.begin() as connection:
        bump_credential_epoch(connection)
    assert catalog.credential_epoch() != first
