"""gc and fsck on the real embedded stack: SQLite catalog and local blob store."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from weighthouse.blobs.content import blob_key
from weighthouse.blobs.small import FILE_NAME as SMALL_FILE
from weighthouse.bootstrap import Container, bootstrap, create_blob_store, local_blob_root, start
from weighthouse.config import DatabaseSettings, Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.errors import (
    BlobMissingError,
    DeploymentMismatchError,
    UploadNotFoundError,
)
from weighthouse.domain.model import RepoId, RepoType, Scope
from weighthouse.domain.multipart import MIN_PART_SIZE, ChosenPart
from weighthouse.metadata.engine import create_engine_for
from weighthouse.metadata.transactions import transaction
from weighthouse.opening import open_deployment

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["small-in-database", "every-blob-a-file"])
def hub(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Container]:
    """The default store (small blobs in the root's SQLite file), and one with every blob a
    file: gc and fsck must see both places."""
    local = {} if request.param == "small-in-database" else {"small_max": 0}
    settings = Settings(data_dir=tmp_path / "data", blobs={"local": local})
    container = bootstrap(settings, clock=clock)
    start(container)
    yield container
    container.close()


@pytest.fixture
def admin(hub: Container) -> Principal:
    user = hub.catalog.get_user("admin")
    return Principal(user=user, scope=Scope.ADMIN)


def blob_file(hub: Container, sha256: str) -> Path | None:
    """The blob's file, or ``None`` when it is a row of the small-blob database."""
    with hub.blobs.reader(sha256) as reader:
        local = reader.local_file()
    return None if local is None else Path(local.path)


def small_blobs(hub: Container) -> sqlite3.Connection:
    return sqlite3.connect(local_blob_root(hub.settings) / SMALL_FILE, isolation_level=None)


def set_age(hub: Container, sha256: str, when: float) -> None:
    """Make the blob look last written at ``when`` (seconds since the epoch)."""
    path = blob_file(hub, sha256)
    if path is not None:
        os.utime(path, (when, when))
        return
    with contextlib.closing(small_blobs(hub)) as db:
        db.execute(
            "UPDATE blobs SET modified_ns = ? WHERE key = ?", (int(when * 1e9), blob_key(sha256))
        )


def damage(hub: Container, sha256: str) -> None:
    """Flip one bit of the stored bytes, as rot on the disk would."""
    path = blob_file(hub, sha256)
    if path is not None:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.chmod(0o644)
        path.write_bytes(bytes(data))
        return
    with contextlib.closing(small_blobs(hub)) as db:
        (stored,) = db.execute(
            "SELECT data FROM blobs WHERE key = ?", (blob_key(sha256),)
        ).fetchone()
        data = bytearray(stored)
        data[len(data) // 2] ^= 0xFF
        db.execute("UPDATE blobs SET data = ? WHERE key = ?", (bytes(data), blob_key(sha256)))


def lose(hub: Container, sha256: str) -> None:
    """Remove the stored bytes behind the store's back."""
    path = blob_file(hub, sha256)
    if path is not None:
        path.unlink()
        return
    with contextlib.closing(small_blobs(hub)) as db:
        db.execute("DELETE FROM blobs WHERE key = ?", (blob_key(sha256),))


def test_gc_removes_only_unreferenced_blobs_past_the_grace_period(
    hub: Container, admin: Principal, clock: Clock
) -> None:
    model = RepoId(RepoType.MODEL, "admin", "m")
    bucket = RepoId(RepoType.BUCKET, "admin", "b")
    hub.repos.create(admin, model)
    hub.repos.create(admin, bucket)
    _, kept = hub.commits.upload_file(admin, model, "main", "w.bin", [b"kept"])
    _, replaced = hub.commits.upload_file(admin, model, "main", "old.bin", [b"old"])
    hub.commits.upload_file(admin, model, "main", "old.bin", [b"new"])  # old stays in history
    first = hub.buckets.put(admin, bucket, "k", [b"first"])
    hub.buckets.put(admin, bucket, "k", [b"second"])  # "first" is now unreferenced
    orphan = hub.blobs.put([b"uploaded but never committed"])

    young = hub.maintenance.gc(timedelta(hours=1))
    assert young.blobs_removed == 0 and young.blobs_kept_in_grace == 2

    clock.now += timedelta(hours=2)
    dry = hub.maintenance.gc(timedelta(hours=1), dry_run=True)
    assert dry.blobs_removed == 2 and hub.blobs.exists(first.sha256)
    report = hub.maintenance.gc(timedelta(hours=1))
    assert report.blobs_removed == 2
    assert not hub.blobs.exists(first.sha256) and not hub.blobs.exists(orphan.sha256)
    for sha in (kept.sha256, replaced.sha256):
        assert hub.blobs.exists(sha)
    assert hub.maintenance.fsck().clean

    hub.repos.delete(admin, model)
    hub.maintenance.gc(timedelta(hours=1))
    assert not hub.blobs.exists(kept.sha256)
    _, download = hub.buckets.download(admin, bucket, "k")
    with hub.buckets.reader(download) as reader:
        assert reader.read_range(0, reader.size) == b"second"


def test_reuploading_content_protects_it_from_a_running_gc(hub: Container) -> None:
    digest = hub.blobs.put([b"same bytes"])
    other = hub.blobs.put([b"other bytes"])
    three_hours_ago = (datetime.now(UTC) - timedelta(hours=3)).timestamp()
    for sha in (digest.sha256, other.sha256):
        set_age(hub, sha, three_hours_ago)
    # The same content arrives again (a commit about to refer to it) before the sweep.
    hub.blobs.put([b"same bytes"])
    # Nothing refers to any blob here, which gc refuses without force (tested below).
    report = hub.maintenance.gc(timedelta(hours=1), force=True)
    assert report.blobs_removed == 1
    assert hub.blobs.exists(digest.sha256) and not hub.blobs.exists(other.sha256)


def test_fsck_finds_rot_missing_blobs_and_size_mismatches(hub: Container, admin: Principal) -> None:
    model = RepoId(RepoType.MODEL, "admin", "m")
    hub.repos.create(admin, model)
    _, rotten = hub.commits.upload_file(admin, model, "main", "a", [b"a" * 1000])
    _, gone = hub.commits.upload_file(admin, model, "main", "b", [b"b" * 1000])
    assert hub.maintenance.fsck().clean

    damage(hub, rotten.sha256)
    lose(hub, gone.sha256)

    report = hub.maintenance.fsck()
    assert not report.clean
    assert report.corrupt == [rotten.sha256]
    assert report.missing == [gone.sha256]


def test_gc_refuses_to_empty_a_store_the_catalog_does_not_mention(hub: Container) -> None:
    orphans = [hub.blobs.put([f"orphan {i}".encode()]) for i in range(3)]
    for blob in orphans:
        set_age(hub, blob.sha256, 0)
    with pytest.raises(DeploymentMismatchError, match="refers to no blob at all"):
        hub.maintenance.gc(timedelta(0))
    assert all(hub.blobs.exists(blob.sha256) for blob in orphans)
    assert hub.maintenance.gc(timedelta(0), dry_run=True).blobs_removed == 3
    assert hub.maintenance.gc(timedelta(0), force=True).blobs_removed == 3
    assert not any(hub.blobs.exists(blob.sha256) for blob in orphans)


def test_cli_gc_reports_by_default_and_deletes_with_delete(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    container = open_deployment(settings, adopt=True)
    start(container)
    admin = Principal(user=container.catalog.get_user("admin"), scope=Scope.ADMIN)
    model = RepoId(RepoType.MODEL, "admin", "m")
    container.repos.create(admin, model)
    _, kept = container.commits.upload_file(admin, model, "main", "w.bin", [b"kept"])
    orphan = container.blobs.put([b"orphan"])
    container.close()
    run = [sys.executable, "-m", "weighthouse"]
    data = ["--data-dir", str(settings.data_dir)]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*run, *args, *data], capture_output=True, text=True, timeout=120)

    fsck = cli("fsck")
    assert fsck.returncode == 0 and "clean" in fsck.stdout and "1 unreferenced" in fsck.stdout
    report = cli("gc", "--grace", "0")
    assert report.returncode == 0 and "would remove 1 blobs" in report.stdout, report.stderr
    assert "--delete" in report.stderr and blob_exists(settings, orphan.sha256)
    gc = cli("gc", "--grace", "0", "--delete")
    assert gc.returncode == 0 and "removed 1 blobs" in gc.stdout, gc.stdout + gc.stderr
    assert not blob_exists(settings, orphan.sha256) and blob_exists(settings, kept.sha256)
    assert cli("gc", "--delete", "--dry-run").returncode == 2


def blob_exists(settings: Settings, sha256: str) -> bool:
    """Asked of a store of its own, as another process would see it."""
    return create_blob_store(settings).exists(sha256)


@pytest.mark.parametrize("adopt", [True, False])
def test_a_catalog_migrated_by_a_newer_release_is_refused_with_a_clear_message(
    tmp_path: Path, adopt: bool
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    open_deployment(settings, adopt=True).close()
    engine = create_engine_for(settings.database_url)
    try:
        with transaction(engine, write=True) as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(DeploymentMismatchError, match="schema 9999, which this version does not"):
        open_deployment(settings, adopt=adopt)


def test_a_memory_catalog_opens_over_an_empty_store_and_never_over_one_with_blobs(
    tmp_path: Path,
) -> None:
    # A catalog in memory is empty in every process: gc or serve with it over a real
    # deployment's blobs would see none of them referenced.
    memory = Settings(data_dir=tmp_path / "data", database=DatabaseSettings(url="memory:"))
    for adopt in (True, False):
        open_deployment(memory, adopt=adopt).close()
    real = open_deployment(Settings(data_dir=tmp_path / "data"), adopt=True)
    kept = real.blobs.put([b"someone's weights"])
    real.close()
    for adopt in (True, False):
        with pytest.raises(DeploymentMismatchError, match=r"memory: .* is empty"):
            open_deployment(memory, adopt=adopt)
    assert blob_exists(memory, kept.sha256)


def test_gc_ends_abandoned_multipart_uploads_and_removes_their_parts(
    hub: Container, admin: Principal, clock: Clock
) -> None:
    bucket = RepoId(RepoType.BUCKET, "admin", "parts")
    hub.repos.create(admin, bucket)
    hub.buckets.put(admin, bucket, "kept", [b"an object"])
    old = hub.multipart.create(admin, bucket, "old.bin")
    old_part = hub.multipart.upload_part(admin, bucket, "old.bin", old.id, 1, [b"abandoned"])
    clock.now += timedelta(days=2)
    fresh = hub.multipart.create(admin, bucket, "fresh.bin")
    fresh_part = hub.multipart.upload_part(admin, bucket, "fresh.bin", fresh.id, 1, [b"busy"])
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for sha in (old_part.sha256, fresh_part.sha256):
        set_age(hub, sha, two_days_ago)

    # Without an age for abandoned uploads, open uploads keep their parts whatever their age.
    assert hub.maintenance.gc(timedelta(hours=1)).blobs_removed == 0
    dry = hub.maintenance.gc(timedelta(hours=1), dry_run=True, abandoned_uploads=timedelta(days=1))
    assert dry.multipart_uploads_removed == 0 and hub.blobs.exists(old_part.sha256)

    report = hub.maintenance.gc(timedelta(hours=1), abandoned_uploads=timedelta(days=1))
    assert report.multipart_uploads_removed == 1
    assert report.blobs_removed == 1
    assert not hub.blobs.exists(old_part.sha256)
    assert hub.blobs.exists(fresh_part.sha256)
    with pytest.raises(UploadNotFoundError):
        hub.multipart.parts(admin, bucket, "old.bin", old.id)
    _, parts = hub.multipart.parts(admin, bucket, "fresh.bin", fresh.id)
    assert [p.sha256 for p in parts] == [fresh_part.sha256]
    assert hub.maintenance.fsck().clean


def test_gc_removes_a_joined_objects_manifest_once_no_object_names_it(
    hub: Container, admin: Principal, clock: Clock
) -> None:
    bucket = RepoId(RepoType.BUCKET, "admin", "joined")
    hub.repos.create(admin, bucket)
    hub.buckets.put(admin, bucket, "kept", [b"an object"])
    upload = hub.multipart.create(admin, bucket, "joined.bin")
    first = hub.multipart.upload_part(
        admin, bucket, "joined.bin", upload.id, 1, [b"j" * MIN_PART_SIZE]
    )
    last = hub.multipart.upload_part(admin, bucket, "joined.bin", upload.id, 2, [b"tail"])
    obj, _ = hub.multipart.complete(
        admin, bucket, "joined.bin", upload.id, [ChosenPart(1), ChosenPart(2)]
    )
    assert obj.joined
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    for sha in (first.sha256, last.sha256):
        set_age(hub, sha, two_days_ago)
    clock.now += timedelta(days=2)

    # Named by an object, the manifest and its parts' blobs stay, however old.
    kept = hub.maintenance.gc(timedelta(hours=1))
    assert (kept.manifests_removed, kept.blobs_removed) == (0, 0)
    assert len(hub.catalog.manifest(obj.sha256)) == 2

    hub.buckets.delete(admin, bucket, "joined.bin")
    assert hub.maintenance.gc(timedelta(hours=1), dry_run=True).manifests_removed == 0
    # Within the grace period of its recording an unnamed manifest stays, though it holds
    # nothing: its parts' blobs, old enough, go.
    young = hub.maintenance.gc(timedelta(days=3))
    assert (young.manifests_removed, young.blobs_removed) == (0, 2)
    assert not hub.blobs.exists(first.sha256) and not hub.blobs.exists(last.sha256)
    assert len(hub.catalog.manifest(obj.sha256)) == 2

    assert hub.maintenance.gc(timedelta(hours=1)).manifests_removed == 1
    with pytest.raises(BlobMissingError):
        hub.catalog.manifest(obj.sha256)
