"""Opening a deployment: what every server-side entry point does before it touches the catalog
or the blob store (``serve``, ``db upgrade``, ``gc``, ``fsck``, ``keys``, ``admin
recover-token``).

The pair is checked first, with nothing created: a catalog with no schema over a store that
holds blobs is refused before any migration could make it look valid, and a missing SQLite
file stays missing. Then ``serve`` and ``db upgrade`` migrate and record the deployment's
identity (:class:`~weighthouse.domain.deployment.DeploymentIdentity`), the migration in a forked
child so that the process itself never imports alembic; the other commands need the schema
current and the identity recorded, and change nothing until both hold.
"""

from __future__ import annotations

from datetime import datetime

from weighthouse.bootstrap import (
    MEMORY_CATALOG_URL,
    Container,
    bootstrap,
    create_blob_store,
    local_blob_root,
    migrate_catalog,
    utc_now,
)
from weighthouse.config import Settings
from weighthouse.domain.deployment import DeploymentIdentity
from weighthouse.domain.errors import DeploymentMismatchError
from weighthouse.domain.model import DeploymentRecord
from weighthouse.domain.ports import Clock, DeploymentMarker
from weighthouse.forked import call_forked


def open_deployment(settings: Settings, *, adopt: bool, clock: Clock = utc_now) -> Container:
    """:func:`identify_deployment`, then the container wired to the same settings."""
    identify_deployment(settings, adopt=adopt, clock=clock)
    return bootstrap(settings, migrate=False, clock=clock)


def identify_deployment(settings: Settings, *, adopt: bool, clock: Clock = utc_now) -> str | None:
    """Check that the catalog and the blob store of ``settings`` are one deployment and return
    its id (``None`` for a catalog and store both still empty, when not adopting).

    With ``adopt`` (``serve`` and ``db upgrade``) the catalog is migrated and the identity
    recorded where missing. Raises :class:`DeploymentMismatchError` for a refused pair, for a
    catalog without the current schema when not adopting, and ``StorageError`` when either
    cannot be reached.
    """
    from weighthouse.blobs.content import ContentBlobStore
    from weighthouse.blobs.marker import DriverDeploymentMarker
    from weighthouse.metadata.deployment import SqlDeploymentCatalog
    from weighthouse.metadata.engine import create_engine_for
    from weighthouse.metadata.schema_revision import existing_revision, known_revisions

    marker: DeploymentMarker
    if not adopt and settings.blobs.driver == "local" and not local_blob_root(settings).exists():
        marker = _NoStore()  # empty, and opening the driver would create the folder
    else:
        store = create_blob_store(settings)
        if not isinstance(store, ContentBlobStore):
            raise TypeError(f"{store!r} has no driver to hold the deployment marker")
        marker = DriverDeploymentMarker(store.driver)
    catalog_name, store_name = catalog_location(settings), store_location(settings)
    if settings.database_url == MEMORY_CATALOG_URL:
        # A catalog in memory starts empty in every process and records nothing: it pairs only
        # with a store that holds nothing of another deployment's (gc over it would delete all).
        DeploymentIdentity(
            _NoCatalog(), marker, clock, catalog_name=catalog_name, store_name=store_name
        ).verify()
        return None
    revision = existing_revision(settings.database_url)
    if revision is None:
        # A database without the schema is an empty catalog: refused over a store with blobs.
        DeploymentIdentity(
            _NoCatalog(), marker, clock, catalog_name=catalog_name, store_name=store_name
        ).verify()
        if not adopt:
            raise DeploymentMismatchError(
                f"there is no catalog at {catalog_name} yet: run "
                "'weighthouse db upgrade' (or start the server) with the same settings first"
            )
    known = known_revisions()
    head = known[-1]
    if revision is not None and revision not in known:
        # A newer release migrated this catalog: neither migrating nor serving it can work.
        raise DeploymentMismatchError(
            f"the catalog {catalog_name} has schema {revision}, which this version does not "
            f"know (its newest is {head}): run the release that migrated it"
        )
    if adopt:
        if revision != head:
            # In a child, which takes alembic and Mako with it when it exits: this process
            # goes on to serve (``serve --workers 1``) and would carry them for good.
            call_forked(migrate_catalog, settings)
    elif revision != head:
        raise DeploymentMismatchError(
            f"the catalog {catalog_name} has schema {revision}, this version needs "
            f"{head}: run 'weighthouse db upgrade' first"
        )
    engine = create_engine_for(settings.database_url)
    try:
        identity = DeploymentIdentity(
            SqlDeploymentCatalog(engine),
            marker,
            clock,
            catalog_name=catalog_name,
            store_name=store_name,
        )
        return identity.adopt() if adopt else identity.verify()
    finally:
        engine.dispose()


def catalog_location(settings: Settings) -> str:
    """The catalog's URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    if settings.database_url == MEMORY_CATALOG_URL:
        return "memory: (this process only)"
    return make_url(settings.database_url).render_as_string(hide_password=True)


def store_location(settings: Settings) -> str:
    if settings.blobs.driver == "local":
        return str(local_blob_root(settings))
    return f"({settings.blobs.driver} driver)"


class _NoCatalog:
    """A catalog database with no schema, as the deployment check sees it: empty."""

    def deployment(self) -> DeploymentRecord | None:
        return None

    def claim_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        raise AssertionError("an unmigrated catalog is never claimed")

    def mark_store(self, deployment_id: str, at: datetime) -> None:
        raise AssertionError("an unmigrated catalog is never marked")

    def holds_repos(self) -> bool:
        return False


class _NoStore:
    """A local blob store whose folder does not exist, as the deployment check sees it."""

    def read(self) -> str | None:
        return None

    def write(self, deployment_id: str) -> None:
        raise AssertionError("a missing store is never marked")

    def holds_anything(self) -> bool:
        return False
