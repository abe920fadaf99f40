"""The database servers that integration and contract tests run against.

``postgres_url()`` and ``mariadb_url()`` return the URL of a reachable server's existing
database, or skip the calling test when the server cannot be reached. With
``WEIGHTHOUSE_TEST_REQUIRE_SERVICES=1`` (as in CI) an unreachable server fails the test instead,
so a broken service never passes as a skip. ``WEIGHTHOUSE_TEST_POSTGRES_URL`` and
``WEIGHTHOUSE_TEST_MARIADB_URL`` point at other servers.

``fresh_database(url)`` gives each test run its own uniquely named database on that
server, so parallel runs never collide (``catalog_database(backend, folder)`` does the same for a
backend named ``sqlite``, ``postgresql`` or ``mariadb``)::

    @pytest.fixture(scope="session")
    def database_url() -> Iterator[str]:
        with fresh_database(postgres_url()) as url:
            yield url
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REQUIRE_SERVICES = "WEIGHTHOUSE_TEST_REQUIRE_SERVICES"
POSTGRES_URL = "WEIGHTHOUSE_TEST_POSTGRES_URL"
MARIADB_URL = "WEIGHTHOUSE_TEST_MARIADB_URL"

# Tried in order; the local servers accept either superuser name.
POSTGRES_CANDIDATES = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
MARIADB_CANDIDATES = ("mysql+pymysql://root@127.0.0.1:3306/test",)

CONNECT_TIMEOUT_S = 3
DATABASE_PREFIX = "weighthouse_test_"


def postgres_url() -> str:
    """The URL of a reachable PostgreSQL database, or skip (fail when services are required)."""
    return _reachable("PostgreSQL", POSTGRES_URL, POSTGRES_CANDIDATES)


def mariadb_url() -> str:
    """The URL of a reachable MariaDB database, or skip (fail when services are required)."""
    return _reachable("MariaDB", MARIADB_URL, MARIADB_CANDIDATES)


def services_required() -> bool:
    return os.environ.get(REQUIRE_SERVICES) == "1"


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """Create ``weighthouse_test_<random>`` on the server of ``server_url``, yield its URL, and
    drop it afterwards, even if connections to it were left open."""
    name = DATABASE_PREFIX + secrets.token_hex(6)
    admin = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
    finally:
        admin.dispose()


@contextmanager
def catalog_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database for ``backend``: a SQLite file in ``folder``, or a fresh
    database on the PostgreSQL or MariaDB server (skipped when the server is unreachable)."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'catalog.sqlite'}"
        return
    with fresh_database(postgres_url() if backend == "postgresql" else mariadb_url()) as url:
        yield url


def _reachable(service: str, variable: str, candidates: tuple[str, ...]) -> str:
    override = os.environ.get(variable)
    urls = (override,) if override else candidates
    problems = []
    for url in urls:
        problem = _probe(url)
        if problem is None:
            return url
        problems.append(problem)
    where = make_url(urls[0])
    message = f"{service} is not reachable at {where.host}:{where.port}: {problems[-1]}"
    if services_required():
        pytest.fail(f"{message} (required by {REQUIRE_SERVICES}=1)", pytrace=False)
    pytest.skip(message)


@functools.cache
def _probe(url: str) -> str | None:
    """``None`` when a connection to ``url`` succeeds, else why it failed; asked once a run."""
    try:
        engine = create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
    except ImportError as exc:  # the driver is not installed
        return str(exc)
    try:
        with engine.connect():
            return None
    except Exception as exc:
        return " ".join(str(getattr(exc, "orig", None) or exc).split())
    finally:
        engine.dispose()


REDIS_URL = "WEIGHTHOUSE_TEST_REDIS_URL"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """A reachable Redis (``WEIGHTHOUSE_TEST_REDIS_URL``, else the local one), or skip (fail
    with ``WEIGHTHOUSE_TEST_REQUIRE_SERVICES=1``)."""
    url = os.environ.get(REDIS_URL, REDIS_DEFAULT)
    problem = _probe_redis(url)
    if problem is None:
        return url
    message = f"Redis is not reachable at {url}: {problem}"
    if services_required():
        pytest.fail(f"{message} (required by {REQUIRE_SERVICES}=1)", pytrace=False)
    pytest.skip(message)


@functools.cache
def _probe_redis(url: str) -> str | None:
    try:
        import redis
    except ImportError as exc:
        return str(exc)
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return str(exc)
    finally:
        client.close()
    return None
