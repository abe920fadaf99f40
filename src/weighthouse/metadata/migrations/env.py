"""Alembic environment for the catalog.

:mod:`weighthouse.metadata.migrate` builds the configuration in code and hands over an open
connection in ``config.attributes["connection"]``; without one, the engine comes from the
``sqlalchemy.url`` option. Offline mode (``--sql``) renders SQL for that URL's database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = create_engine_for(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as own_connection:
            run_on(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
