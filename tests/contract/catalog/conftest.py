"""One ``catalog`` fixture per database: SQLite in a temporary file, PostgreSQL and MariaDB in
a database of their own. Each is migrated once per test run with ``upgrade()`` and emptied
before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from tests.contract.catalog.samples import make_repo, make_user
from tests.services import fresh_database, mariadb_url, postgres_url

from weighthouse.domain.model import Repo, User
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import upgrade
from weighthouse.metadata.tables import Base

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.integration),
]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def catalog_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('catalog') / 'catalog.sqlite'}"
        upgrade(url)
        yield url
        return
    server = postgres_url() if backend == "postgresql" else mariadb_url()
    with fresh_database(server) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def catalog_engine(catalog_url: str) -> Iterator[Engine]:
    engine = create_engine_for(catalog_url)
    yield engine
    engine.dispose()


@pytest.fixture
def catalog(catalog_engine: Engine) -> SqlCatalog:
    """An empty catalog: every table is emptied, children first."""
    with catalog_engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(delete(table))
    return SqlCatalog(catalog_engine)


@pytest.fixture
def user(catalog: SqlCatalog) -> User:
    stored = make_user()
    catalog.add_user(stored)
    return stored


@pytest.fixture
def repo(catalog: SqlCatalog, user: User) -> Repo:
    stored = make_repo(user)
    catalog.add_repo(stored)
    return stored
