"""The catalog on SQLAlchemy 2: SQLite, PostgreSQL or MariaDB.

``create_engine_for(url)`` builds an engine with each database's settings, ``upgrade(url)``
migrates its schema, and ``SqlCatalog(engine)`` implements the domain's ``Catalog`` port.
"""

from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.migrate import current, upgrade

__all__ = ["SqlCatalog", "create_engine_for", "current", "upgrade"]
