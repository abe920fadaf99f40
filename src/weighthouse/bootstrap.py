"""The composition root: Settings in, a wired :class:`Container` out.

Only this module (and ``asgi``) imports both the domain and the adapters. Tests pass their own
catalog, blob store or clock to :func:`bootstrap` to swap a port.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from weighthouse.config import Settings
from weighthouse.domain.accounts import Accounts, IssuedToken
from weighthouse.domain.buckets import Buckets
from weighthouse.domain.commits import Commits
from weighthouse.domain.files import Files
from weighthouse.domain.maintenance import Maintenance
from weighthouse.domain.ports import BlobStore, Catalog, Clock
from weighthouse.domain.repos import Repos
from weighthouse.domain.revisions import Revisions


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """Every use case, wired to the same ports."""

    settings: Settings
    catalog: Catalog
    blobs: BlobStore
    clock: Clock
    accounts: Accounts
    repos: Repos
    revisions: Revisions
    commits: Commits
    files: Files
    buckets: Buckets
    maintenance: Maintenance
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def bootstrap(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    blobs: BlobStore | None = None,
    clock: Clock = utc_now,
    migrate: bool = True,
) -> Container:
    """Wire the ports named by ``settings`` (or the ones given) into use cases.

    With ``migrate`` the catalog's schema is brought to the newest version first.
    """
    closers: list[Callable[[], None]] = []
    if catalog is None:
        from weighthouse.metadata.catalog import SqlCatalog
        from weighthouse.metadata.engine import create_engine_for

        url = settings.database_url
        if migrate:
            migrate_catalog(settings)
        engine = create_engine_for(url)
        closers.append(engine.dispose)
        catalog = SqlCatalog(engine)
    if blobs is None:
        blobs = create_blob_store(settings)
    return Container(
        settings=settings,
        catalog=catalog,
        blobs=blobs,
        clock=clock,
        accounts=Accounts(catalog, clock),
        repos=Repos(catalog, clock),
        revisions=Revisions(catalog, clock),
        commits=Commits(catalog, blobs, clock),
        files=Files(catalog, blobs),
        buckets=Buckets(catalog, blobs, clock),
        maintenance=Maintenance(catalog, blobs, clock),
        _closers=closers,
    )


def migrate_catalog(settings: Settings) -> None:
    """Bring the catalog's schema to the newest migration."""
    from weighthouse.metadata.migrate import upgrade

    if settings.database_url.startswith("sqlite:"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


def create_blob_store(settings: Settings) -> BlobStore:
    from weighthouse.blobs.checked import CheckedDriver
    from weighthouse.blobs.content import ContentBlobStore
    from weighthouse.blobs.registry import create_driver

    options: dict[str, object] = {}
    if settings.blobs.driver == "local":
        options["root"] = settings.blob_root
    return ContentBlobStore(CheckedDriver(create_driver(settings.blobs.driver, **options)))


def start(container: Container) -> IssuedToken | None:
    """What a server does once on start: clear temporaries left by dead writers, and on an
    empty catalog create the first admin. Returns the admin's new token, if one was made."""
    container.blobs.sweep_temporaries(
        container.clock() - timedelta(seconds=container.settings.gc_grace_seconds)
    )
    preset = container.settings.admin.token
    return container.accounts.bootstrap_admin(
        container.settings.admin.name, preset.get_secret_value() if preset else None
    )
