"""The catalog on SQLAlchemy 2: SQLite, PostgreSQL or MariaDB.

``create_engine_for(url)`` builds an engine with each database's settings,
:func:`weighthouse.metadata.migrate.upgrade` migrates its schema, and ``SqlCatalog(engine)``
implements the domain's ``Catalog`` port. The package imports neither alembic nor the catalog
itself, so a process that needs one module of it loads only that (``schema_revision``).
"""
