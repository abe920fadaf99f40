"""Engines for the catalog's three databases, each with the options it needs.

URLs may name only the database (``sqlite:///path``, ``postgresql://…``, ``mariadb://…`` or
``mysql://…``); the driver the project ships with is filled in.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from weighthouse.config import ConfigError
from weighthouse.metadata import writer_turns

WRITE = "weighthouse_write"
"""Execution option marking a connection whose transaction writes; see :func:`_begin_sqlite`."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Kept open: the uploads and catalog calls one process serves at once in the common case.
SQLITE_POOL_SIZE = 16
# Opened for a checkout beyond those and closed after it (SQLAlchemy's default is 10).
SQLITE_POOL_OVERFLOW = 64
# Each connection's own page cache, in KiB (SQLite's default is 2,000). The kernel caches the
# file for all of them; a private copy per pooled connection made one process grow by 6 MB
# under 16 clients of 4 KiB GETs (bench/transfer.py), and a write by any connection empties
# the caches of the others anyway. This keeps the b-trees' upper pages.
SQLITE_CACHE_KIB = 128
CONNECT_TIMEOUT_S = 10
# After the idle time, probes this far apart; this many unanswered ones drop the connection.
KEEPALIVE_INTERVAL_S = 10
KEEPALIVE_COUNT = 3

_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
}

# The extra that installs each server database's driver (pyproject.toml).
_EXTRAS = {"postgresql": "postgresql", "mysql": "mariadb"}


class DatabaseDriverMissingError(ConfigError):
    """The settings name a database whose driver is not installed; the message names the
    extra that installs it."""


def normalise_url(url: str | URL) -> URL:
    """The URL with the project's driver for its database; explicit drivers are kept."""
    parsed = make_url(url)
    parsed = parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        # The driver's default, utf8 (three bytes), cannot hold every character.
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long to wait for a server database (PostgreSQL, MariaDB), in seconds.

    ``connect`` bounds opening a connection, ``pool`` waiting for a pooled one. ``statement``
    bounds each statement at the server (PostgreSQL ``statement_timeout``, MariaDB
    ``max_statement_time``) and, a second later, every wait for the server's answer at the
    client, so a database that stops answering without closing the connection (a partition)
    fails the request instead of holding it; ``None`` leaves statements unbounded (migrations).
    Idle connections send TCP keepalives after ``keepalive_idle``.
    """

    connect: float = CONNECT_TIMEOUT_S
    statement: float | None = None
    pool: float = 30.0
    keepalive_idle: int = 30


def create_engine_for(
    url: str | URL, *, timeouts: DatabaseTimeouts | None = None, **overrides: Any
) -> Engine:
    """An engine for ``url`` with per-database settings; ``overrides`` go to ``create_engine``.

    SQLite runs in WAL mode with ``synchronous=FULL``, foreign keys on and a busy timeout, and
    write transactions take the write lock up front. MariaDB runs at READ COMMITTED, which
    avoids gap-lock deadlocks between concurrent inserts. Server databases' pools ping before
    lending, so a restarted database costs no failed request; a SQLite file cannot go away.
    """
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    timeouts = timeouts or DatabaseTimeouts()
    options: dict[str, Any] = {"pool_pre_ping": backend != "sqlite"}
    if backend == "mysql":
        options |= {
            "isolation_level": "READ COMMITTED",
            "pool_recycle": 3600,  # under the server's wait_timeout, which drops idle links
            "pool_timeout": timeouts.pool,
            "connect_args": _mariadb_arguments(timeouts),
        }
    elif backend == "postgresql":
        options |= {"pool_timeout": timeouts.pool, "connect_args": _postgresql_arguments(timeouts)}
    elif backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see its own empty database.
        options |= {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif backend == "sqlite":
        # Connections beyond the pool's size are opened for one checkout and closed after it;
        # for SQLite that is a file open, four pragmas and a schema read each time, which under
        # concurrent small requests happened every few requests. A file connection costs little
        # to keep, so the pool holds as many as the threads that may ask at once.
        options |= {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
    options |= overrides
    try:
        engine = create_engine(parsed, **options)
    except ModuleNotFoundError as exc:
        # SQLAlchemy imports the driver here; without it the operator would get a traceback
        # through the dialect machinery instead of the one command that fixes it.
        extra = _EXTRAS.get(backend)
        if extra is None:
            raise
        raise DatabaseDriverMissingError(
            f"the {backend} driver ({exc.name}) is not installed; "
            f"install it with: pip install 'weighthouse[{extra}]'"
        ) from None
    if backend == "mysql":
        event.listen(engine, "connect", _mariadb_keepalives(timeouts.keepalive_idle))
    if backend == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        if parsed.database not in (None, "", ":memory:"):
            writer_turns.register(engine, Path(parsed.database), wait=SQLITE_BUSY_TIMEOUT_MS / 1000)
    if (
        backend == "postgresql"
        and timeouts.statement is not None
        and parsed.drivername.endswith("+psycopg")
    ):
        from weighthouse.metadata.postgresql_connections import bounded

        connection_class = bounded(timeouts.statement + 1)

        def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
            return connection_class.connect(*cargs, **cparams)

        event.listen(engine, "do_connect", connect)
    return engine


def _postgresql_arguments(timeouts: DatabaseTimeouts) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "connect_timeout": math.ceil(timeouts.connect),  # libpq takes whole seconds
        # Keepalives notice a peer whose host went away while the connection idled.
        "keepalives": 1,
        "keepalives_idle": timeouts.keepalive_idle,
        "keepalives_interval": KEEPALIVE_INTERVAL_S,
        "keepalives_count": KEEPALIVE_COUNT,
    }
    if timeouts.statement is not None:
        arguments["options"] = f"-c statement_timeout={math.ceil(timeouts.statement * 1000)}"
    return arguments


def _mariadb_arguments(timeouts: DatabaseTimeouts) -> dict[str, Any]:
    arguments: dict[str, Any] = {"connect_timeout": math.ceil(timeouts.connect)}
    if timeouts.statement is not None:
        # The server stops the statement first; the socket timeouts end a wait for a server
        # that no longer answers at all.
        arguments |= {
            "init_command": f"SET SESSION max_statement_time={timeouts.statement}",
            "read_timeout": math.ceil(timeouts.statement) + 1,
            "write_timeout": math.ceil(timeouts.statement) + 1,
        }
    return arguments


def _mariadb_keepalives(idle: int) -> Callable[[Any, ConnectionPoolEntry], None]:
    """A connect hook giving pymysql's TCP sockets the keepalives libpq gets from its options.

    pymysql turns ``SO_KEEPALIVE`` on but has no option for its timing, so the kernel's
    default (two hours idle) would let a pooled connection to a vanished host look alive.
    """

    def configure(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        sock = getattr(dbapi_connection, "_sock", None)
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return  # a unix socket has no peer host to lose
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, value in (
            ("TCP_KEEPIDLE", idle),
            ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL_S),
            ("TCP_KEEPCNT", KEEPALIVE_COUNT),
        ):
            if hasattr(socket, option):  # Linux names; other systems lack some of them
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)

    return configure


def _configure_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling starts transactions late and never for SELECT;
    # _begin_sqlite issues BEGIN instead, so every transaction is a real one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # negative: KiB, not pages
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY, the busy
    # timeout does not apply) when another writer committed in between; writers therefore take
    # the lock when they begin. Readers stay deferred so they never wait for writers.
    if connection.get_execution_options().get(WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")
