"""One ``catalog`` fixture per implementation: in memory, SQLite in a temporary file, and
PostgreSQL and MariaDB in a database of their own. Each database is migrated once per test run
and emptied before every test; the memory catalog is new for every test.

Tests here talk only to the ``Catalog`` port (they see nothing of tables or engines), so every
one of them runs on every implementation. Tests of SQL internals belong in
``tests/integration/metadata``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.catalogs import CatalogBackend, open_catalog_backend
from tests.contract.catalog.samples import make_repo, make_user

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import Repo, User

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.integration),
]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def catalog_backend(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CatalogBackend]:
    with open_catalog_backend(backend, tmp_path_factory.mktemp(backend)) as opened:
        yield opened


@pytest.fixture
def catalog(catalog_backend: CatalogBackend) -> Catalog:
    """An empty catalog."""
    return catalog_backend.empty()


@pytest.fixture
def user(catalog: Catalog) -> User:
    stored = make_user()
    catalog.add_user(stored)
    return stored


@pytest.fixture
def repo(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user)
    catalog.add_repo(stored)
    return stored
