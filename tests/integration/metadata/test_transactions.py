"""Database failures for want of space become ``StorageFullError`` (507), not a retryable 503."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pymysql
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from weighthouse.domain.errors import StorageError, StorageFullError
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.transactions import is_out_of_space, transaction

pytestmark = pytest.mark.integration


def test_a_sqlite_database_that_cannot_grow_fails_with_storage_full(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'small.db'}")
    try:
        with transaction(engine, write=True) as connection:
            connection.execute(text("CREATE TABLE t (v TEXT)"))
        # The same SQLITE_FULL a full disk gives, from a page limit instead.
        with pytest.raises(StorageFullError) as raised, transaction(engine, write=True) as c:
            c.execute(text("PRAGMA max_page_count = 8"))
            for _ in range(100):
                c.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 4000})
        assert "out of space" in raised.value.message
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "orig",
    [
        psycopg.errors.DiskFull("could not extend file"),
        pymysql.err.OperationalError(1021, "Disk full; waiting for someone to free some space"),
        pymysql.err.OperationalError(1114, "The table 't' is full"),
    ],
    ids=["postgresql disk_full", "mariadb disk full", "mariadb table full"],
)
def test_server_databases_out_of_space_are_recognised(orig: Exception) -> None:
    assert is_out_of_space(sa_exc.OperationalError("INSERT", {}, orig))


def test_other_failures_stay_plain_storage_errors(tmp_path: Path) -> None:
    busy = pymysql.err.OperationalError(1205, "Lock wait timeout exceeded")
    assert not is_out_of_space(sa_exc.OperationalError("INSERT", {}, busy))
    engine = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        with pytest.raises(StorageError) as raised, transaction(engine) as connection:
            connection.execute(text("SELECT 1"))
        assert not isinstance(raised.value, StorageFullError)
    finally:
        engine.dispose()
