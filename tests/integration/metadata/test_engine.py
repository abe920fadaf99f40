"""Engines get the driver and the per-database settings the catalog relies on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from tests.services import mariadb_url, postgres_url

from weighthouse.metadata.engine import (
    WRITE,
    DatabaseDriverMissingError,
    DatabaseTimeouts,
    create_engine_for,
    normalise_url,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///catalog.sqlite", "sqlite+pysqlite:///catalog.sqlite"),
        ("postgresql://u@db/w", "postgresql+psycopg://u@db/w"),
        ("postgres://u@db/w", "postgresql+psycopg://u@db/w"),
        ("mariadb://u@db/w", "mysql+pymysql://u@db/w?charset=utf8mb4"),
        ("mysql://u@db/w", "mysql+pymysql://u@db/w?charset=utf8mb4"),
        ("mysql+pymysql://u@db/w?charset=utf8", "mysql+pymysql://u@db/w?charset=utf8"),
        ("postgresql+psycopg2://u@db/w", "postgresql+psycopg2://u@db/w"),
    ],
)
def test_urls_get_the_project_driver(given: str, expected: str) -> None:
    assert normalise_url(given).render_as_string() == expected


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield engine
    engine.dispose()


def test_sqlite_is_durable_and_enforces_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1} | {
        "busy_timeout": 30_000
    }


def test_each_sqlite_connection_keeps_a_small_page_cache(sqlite_engine: Engine) -> None:
    # Sixteen pooled connections of SQLite's default 2,000 KiB each would be 32 MB per process.
    with sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        sizes = [c.exec_driver_sql("PRAGMA cache_size").scalar() for c in (first, second)]
    assert sizes == [-128, -128]


def test_sqlite_transactions_are_real_and_writers_lock_up_front(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT 1"))
        assert connection.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    writer = sqlite_engine.connect().execution_options(**{WRITE: True})
    other = sqlite_engine.connect()
    with writer, other, writer.begin():
        # The writer holds the write lock from BEGIN on, so a second writer cannot begin.
        other.exec_driver_sql("PRAGMA busy_timeout=0")
        other.commit()
        other.execution_options(**{WRITE: True})
        with pytest.raises(OperationalError, match="locked"), other.begin():
            pass


def test_mariadb_runs_read_committed_in_utf8mb4() -> None:
    engine = create_engine_for(mariadb_url())
    try:
        with engine.connect() as connection:
            isolation = connection.exec_driver_sql("SELECT @@tx_isolation").scalar()
            charset = connection.exec_driver_sql("SELECT @@character_set_client").scalar()
    finally:
        engine.dispose()
    assert (isolation, charset) == ("READ-COMMITTED", "utf8mb4")


def test_postgresql_uses_psycopg_3() -> None:
    engine = create_engine_for(postgres_url().replace("+psycopg", ""))
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [("postgresql://u@db/w", "psycopg", "postgresql"), ("mariadb://u@db/w", "pymysql", "mariadb")],
)
def test_a_missing_driver_names_the_extra_in_one_line(
    url: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry makes ``import module`` fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(DatabaseDriverMissingError) as raised:
        create_engine_for(url)
    assert f"pip install 'weighthouse[{extra}]'" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_cli_reports_a_missing_driver_without_a_traceback(tmp_path: Path) -> None:
    # A real process whose interpreter cannot import psycopg, as after a plain `pip install .`.
    program = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from weighthouse.cli.main import main\n"
        "main(['db', 'upgrade', '--data-dir', sys.argv[1]])\n"
    )
    env = {**os.environ, "WEIGHTHOUSE_DATABASE__URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: configuration: the postgresql driver (psycopg) is not installed; "
        "install it with: pip install 'weighthouse[postgresql]'"
    ]


def test_postgresql_statements_are_bounded_at_the_server_and_the_client() -> None:
    engine = create_engine_for(
        postgres_url(), timeouts=DatabaseTimeouts(connect=2, statement=1.5, pool=1)
    )
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1500ms"
            with pytest.raises(OperationalError):
                connection.exec_driver_sql("SELECT pg_sleep(5)")
    finally:
        engine.dispose()


def test_mariadb_statements_are_bounded_at_the_server() -> None:
    engine = create_engine_for(
        mariadb_url(), timeouts=DatabaseTimeouts(connect=2, statement=1.5, pool=1)
    )
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT @@max_statement_time").scalar() == 1.5
    finally:
        engine.dispose()


def test_migrations_get_no_statement_timeout() -> None:
    engine = create_engine_for(postgres_url())
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
    finally:
        engine.dispose()


def _keepalive_options(fd: int) -> tuple[int, int, int, int]:
    """``(SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT)`` of the socket ``fd``."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        return (
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
        )


@pytest.mark.parametrize("database", ["postgresql", "mariadb"])
def test_server_database_connections_send_keepalives_soon(database: str) -> None:
    # The kernel's default waits two hours before the first probe; a pooled connection to a
    # host that vanished would look alive that long. An unusual idle time shows it came from
    # the settings, not from the system.
    url = {"postgresql": postgres_url, "mariadb": mariadb_url}[database]()
    engine = create_engine_for(url, timeouts=DatabaseTimeouts(keepalive_idle=17))
    try:
        with engine.connect() as connection:
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            fd = dbapi.fileno() if database == "postgresql" else dbapi._sock.fileno()  # type: ignore[attr-defined]
            assert _keepalive_options(fd) == (1, 17, 10, 3)
    finally:
        engine.dispose()
