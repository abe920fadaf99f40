"""The prepared SQLite writes of an object PUT: the stored rows are byte for byte the ones
SQLAlchemy's statements store, they join the caller's transaction (and its rollback), and a
broken constraint is still SQLAlchemy's ``IntegrityError``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy import exc as sa_exc
from tests.catalogs import open_sql_backend
from tests.contract.catalog.samples import make_object, make_repo, make_user

from weighthouse.domain.model import BucketObject, Repo, RepoType
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import upgrade
from weighthouse.metadata.prepared_writes import prepared_write
from weighthouse.metadata.rows import object_row
from weighthouse.metadata.tables import objects
from weighthouse.metadata.transactions import transaction
from weighthouse.metadata.upserts import upsert, upsert_prepared

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'catalog.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _bucket(catalog: SqlCatalog, name: str = "data") -> Repo:
    owner = make_user(name=f"owner-{name}")
    catalog.add_user(owner)
    # One id in every database, so their rows can be compared.
    bucket = replace(make_repo(owner, name=name, type=RepoType.BUCKET), id=f"bucket-{name}")
    catalog.add_repo(bucket)
    return bucket


def _stored(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    """Every column of every row with its SQLite storage class, as the file holds them."""
    with engine.connect() as connection:
        names = [r[1] for r in connection.exec_driver_sql(f"PRAGMA table_info({table})")]
        columns = ", ".join(f'typeof("{n}"), "{n}"' for n in names)
        query = f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3, 4"
        return [tuple(row) for row in connection.exec_driver_sql(query)]


OBJECTS = [
    make_object("plain.bin", "bytes"),
    replace(
        make_object("dir/ünï cödé.bin", "more bytes"),
        metadata={"colour": "blue", "note": "é"},
        content_headers={"Content-Encoding": "gzip"},
        checksums={"crc32": "AAAAAA=="},
    ),
    replace(
        make_object("joined.bin", "parts"),
        part_sizes=(5, 5),
        parts_md5="0" * 32,
        modified_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    ),
]


def _write(engine: Engine, bucket: Repo, obj: BucketObject, *, prepared: bool) -> None:
    with transaction(engine, write=True) as connection:
        (upsert_prepared if prepared else upsert)(connection, objects, object_row(bucket.id, obj))


def test_an_object_is_stored_exactly_as_sqlalchemy_stores_it(
    engine: Engine, tmp_path: Path
) -> None:
    usual = create_engine_for(f"sqlite:///{tmp_path / 'usual.db'}")
    try:
        upgrade(usual)
        for target, prepared in ((engine, True), (usual, False)):
            bucket = _bucket(SqlCatalog(target))
            for obj in OBJECTS:
                _write(target, bucket, obj, prepared=prepared)
            # Replacing goes through the conflict clause: every column is overwritten.
            _write(target, bucket, replace(OBJECTS[2], key=OBJECTS[0].key), prepared=prepared)
        assert _stored(engine, "objects") == _stored(usual, "objects")
        assert len(_stored(engine, "objects")) == len(OBJECTS)
    finally:
        usual.dispose()


def test_a_put_keeps_its_bucket_size_and_reads_back(engine: Engine) -> None:
    catalog = SqlCatalog(engine)
    bucket = _bucket(catalog)
    for obj in OBJECTS:
        catalog.put_object(bucket.id, obj)
    catalog.put_object(bucket.id, replace(OBJECTS[0], size=1000))
    catalog.delete_object(bucket.id, OBJECTS[1].key)
    stored = catalog.get_repo(RepoType.BUCKET, bucket.namespace, bucket.name)
    assert stored.size == 1000 + OBJECTS[2].size
    assert catalog.get_object(bucket.id, OBJECTS[2].key) == OBJECTS[2]


def test_a_prepared_write_joins_the_transaction_and_its_rollback(engine: Engine) -> None:
    catalog = SqlCatalog(engine)
    bucket = _bucket(catalog)
    with pytest.raises(RuntimeError), transaction(engine, write=True) as connection:
        upsert_prepared(connection, objects, object_row(bucket.id, OBJECTS[0]))
        raise RuntimeError("the change that was to commit it failed")
    assert _stored(engine, "objects") == []


def test_a_broken_constraint_is_an_integrity_error(engine: Engine) -> None:
    row = object_row("no-such-bucket", OBJECTS[0])
    with pytest.raises(sa_exc.IntegrityError), transaction(engine, write=True) as connection:
        upsert_prepared(connection, objects, row)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_only_sqlite_takes_the_prepared_form(backend: str, tmp_path: Path) -> None:
    statement = text("SELECT 1")
    with open_sql_backend(backend, tmp_path) as sql, sql.engine.connect() as connection:
        first = prepared_write(connection, statement)
        if backend == "sqlite":
            assert first is not None and prepared_write(connection, statement) is first
        else:
            assert first is None


def test_the_object_write_leaves_sqlalchemys_statement_machinery(engine: Engine) -> None:
    bucket = _bucket(SqlCatalog(engine))
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    SqlCatalog(engine).put_object(bucket.id, OBJECTS[0])
    assert seen and not [s for s in seen if "objects" in s or "UPDATE" in s], seen
