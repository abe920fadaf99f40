"""Which schema revision a catalog holds and which this code needs, read without alembic.

Every server process asks both when it starts, and most of the time they agree. Importing
alembic (and Mako with it) to find out cost each process some 20 MB for as long as it ran and
a third of a second; one SELECT and a listing of the migrations folder answer the question,
and alembic is imported only when there is a migration to run.

Migrations are files ``NNNN_<what>.py`` whose revision is ``NNNN``, each revising the one
before it (``tests/unit/metadata/test_schema_revision.py`` holds them to that and checks the
answer against alembic's own), so the newest revision is the highest number.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from weighthouse.metadata.engine import create_engine_for, normalise_url
from weighthouse.metadata.transactions import transaction

VERSIONS = Path(__file__).with_name("migrations") / "versions"
MIGRATION_FILE = re.compile(r"(\d{4})_[a-z0-9_]+\.py")
# alembic's default table, which the migrations environment keeps.
VERSION_TABLE = "alembic_version"


def known_revisions() -> list[str]:
    """Every schema revision this version of the code knows, oldest first."""
    numbers = [m.group(1) for p in VERSIONS.iterdir() if (m := MIGRATION_FILE.fullmatch(p.name))]
    if not numbers:
        raise RuntimeError(f"no migrations in {VERSIONS}")
    return sorted(numbers)


def code_head() -> str:
    """The newest schema revision this version of the code knows."""
    return known_revisions()[-1]


def recorded_revision(engine: Engine) -> str | None:
    """The revision the catalog on ``engine`` records; ``None`` for one never migrated."""
    with transaction(engine) as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def existing_revision(url: str | URL) -> str | None:
    """The revision of the catalog at ``url``; a SQLite file that does not exist is reported
    as ``None`` rather than created: asking must not leave an empty catalog behind."""
    parsed = normalise_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).is_file():
        return None
    engine = create_engine_for(parsed)
    try:
        return recorded_revision(engine)
    finally:
        engine.dispose()
