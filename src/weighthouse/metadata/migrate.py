"""Schema migrations, run in code: no ``alembic.ini`` is needed on disk.

``upgrade(url)`` brings a database to the newest schema and is safe to run on every start:
at the newest revision it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from weighthouse.metadata.engine import create_engine_for, normalise_url
from weighthouse.metadata.schema_revision import recorded_revision
from weighthouse.metadata.transactions import transaction

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None, url: str | URL | None = None) -> Config:
    """A configuration for alembic's commands: they run on ``connection`` when given, else on
    an engine for ``url`` (needed by ``alembic revision --autogenerate``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        rendered = normalise_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolates '%', which URL-encoded passwords contain.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database at ``target`` (a URL, or an engine the caller keeps) to
    ``revision``, in one transaction where the database has transactional DDL (not MariaDB).
    Raises ``StorageError`` if the database is unreachable."""
    with _engine_for(target) as engine, transaction(engine, write=True) as connection:
        command.upgrade(alembic_config(connection), revision)


def current(target: str | URL | Engine) -> str | None:
    """The database's schema revision; ``None`` for a database never migrated."""
    with _engine_for(target) as engine:
        return recorded_revision(engine)


@contextmanager
def _engine_for(target: str | URL | Engine) -> Iterator[Engine]:
    """The given engine, or a short-lived one for a URL (an in-memory SQLite database lives
    only as long as its engine, so tests pass the engine they go on using)."""
    if isinstance(target, Engine):
        yield target
        return
    engine = create_engine_for(target)
    try:
        yield engine
    finally:
        engine.dispose()
