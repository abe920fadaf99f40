"""Every catalog implementation the tests run against, each able to hand out an empty catalog.

``open_catalog_backend(name, tmp)`` yields a :class:`CatalogBackend` for ``memory``,
``sqlite``, ``postgresql`` or ``mariadb``: the SQL ones migrate a database of their own once
(a SQLite file under ``tmp``, or a fresh database on the server from :mod:`tests.services`) and
empty its tables before each ``empty()``; the memory one makes a new ``MemoryCatalog``. Tests of
the port only ever see the ``Catalog`` that ``empty()`` returns; tests of SQL internals (tables,
statements, unreachable servers) use ``SqlBackend.engine`` and live in
``tests/integration/metadata``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, delete

from tests.services import fresh_database, mariadb_url, postgres_url
from weighthouse.domain.catalog import Catalog
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.memory import MemoryCatalog
from weighthouse.metadata.migrate import upgrade
from weighthouse.metadata.tables import Base

SQL_BACKENDS = ("sqlite", "postgresql", "mariadb")
BACKENDS = ("memory", *SQL_BACKENDS)


class CatalogBackend(Protocol):
    name: str

    def empty(self) -> Catalog:
        """A catalog holding nothing. Earlier catalogs of this backend may share its storage,
        so a test uses only the latest."""
        ...


class MemoryBackend:
    name = "memory"

    def empty(self) -> Catalog:
        return MemoryCatalog()


class SqlBackend:
    def __init__(self, name: str, engine: Engine) -> None:
        self.name = name
        self.engine = engine

    def empty(self) -> SqlCatalog:
        """Every table emptied, children first."""
        with self.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(delete(table))
        return SqlCatalog(self.engine)


@contextmanager
def open_catalog_backend(name: str, tmp: Path) -> Iterator[CatalogBackend]:
    if name == "memory":
        yield MemoryBackend()
        return
    with open_sql_backend(name, tmp) as backend:
        yield backend


@contextmanager
def open_sql_backend(name: str, tmp: Path) -> Iterator[SqlBackend]:
    """A migrated database of its own for ``name``, dropped afterwards (SQLite: under ``tmp``)."""
    if name == "sqlite":
        url = f"sqlite:///{tmp / 'catalog.sqlite'}"
        upgrade(url)
        with _engine(name, url) as backend:
            yield backend
        return
    server = {"postgresql": postgres_url, "mariadb": mariadb_url}[name]()
    with fresh_database(server) as url:
        upgrade(url)
        with _engine(name, url) as backend:
            yield backend


@contextmanager
def _engine(name: str, url: str) -> Iterator[SqlBackend]:
    engine = create_engine_for(url)
    try:
        yield SqlBackend(name, engine)
    finally:
        engine.dispose()
