"""What only the local driver promises: paths, layout, temporaries, fsync and full disks."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighthouse.blobs import local
from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError, InvalidBlobKeyError
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.domain.errors import StorageError, StorageFullError

pytestmark = pytest.mark.unit

PAST = datetime.now(UTC) - timedelta(days=1)
DATA = b"model weights " * 50_000  # 700 kB: several write pieces


@pytest.fixture
def driver(tmp_path: Path) -> LocalBlobDriver:
    return LocalBlobDriver(tmp_path / "blobs")


@pytest.fixture
def store(driver: LocalBlobDriver) -> ContentBlobStore:
    return ContentBlobStore(driver)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def temporaries(driver: LocalBlobDriver) -> list[str]:
    return sorted(p.name for p in driver.tmp.iterdir())


def test_blobs_land_in_the_content_addressed_layout(
    store: ContentBlobStore, driver: LocalBlobDriver
) -> None:
    digest = store.put([DATA])
    hex_ = digest.sha256
    expected = driver.root / "sha256" / hex_[:2] / hex_[2:4] / hex_
    assert files_under(driver.root) == [str(expected.relative_to(driver.root))]
    assert expected.read_bytes() == DATA
    with store.reader(hex_) as reader:
        local = reader.local_file()
    assert local is not None and (local.path, local.size) == (str(expected), len(DATA))
    assert temporaries(driver) == []


def test_the_root_is_resolved_so_local_paths_are_real(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    driver = LocalBlobDriver(tmp_path / "link")
    with driver.writer("a/b") as writer:
        writer.write(b"x")
        writer.commit()
    with driver.reader("a/b") as reader:
        assert reader.local_path() == str(tmp_path / "real" / "a" / "b")


@given(st.text(max_size=40))
def test_no_key_escapes_the_root(tmp_path_factory: pytest.TempPathFactory, key: str) -> None:
    driver = LocalBlobDriver(tmp_path_factory.getbasetemp() / "escape")
    try:
        path = Path(driver.path(key))
    except InvalidBlobKeyError:
        return
    resolved = path.resolve()
    assert resolved.is_relative_to(driver.root)
    assert resolved != driver.root
    assert not resolved.is_relative_to(driver.tmp)


def test_temporaries_are_named_for_host_and_pid(driver: LocalBlobDriver) -> None:
    with driver.writer("a/b") as writer:
        writer.write(b"x")
        (name,) = temporaries(driver)
        host, pid, random = name.rsplit(".", 2)
        assert host == local._host_label()
        assert int(pid) == os.getpid()
        assert len(random) == 16
    assert temporaries(driver) == []


def dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def test_sweep_removes_temporaries_of_dead_processes_at_once(driver: LocalBlobDriver) -> None:
    host = local._host_label()
    orphan = driver.tmp / f"{host}.{dead_pid()}.0123456789abcdef"
    parent_alive = driver.tmp / f"{host}.{os.getppid()}.0123456789abcdef"
    other_host = driver.tmp / f"elsewhere.{dead_pid()}.0123456789abcdef"
    junk = driver.tmp / "not-a-temporary-name"
    for path in (orphan, parent_alive, other_host, junk):
        path.write_bytes(b"partial upload")
    writer = driver.writer("a/b")
    writer.write(b"live upload in this process")

    assert driver.sweep_temporaries(PAST) == 1
    assert not orphan.exists()
    assert parent_alive.exists() and other_host.exists() and junk.exists()
    writer.commit()
    assert driver.stat("a/b").size == len(b"live upload in this process")


def test_sweep_removes_old_temporaries_whoever_wrote_them(driver: LocalBlobDriver) -> None:
    stale = driver.tmp / f"elsewhere.{os.getpid()}.0123456789abcdef"
    stale.write_bytes(b"x")
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).timestamp()
    os.utime(stale, (hour_ago, hour_ago))
    fresh = driver.tmp / f"elsewhere.{os.getpid()}.fedcba9876543210"
    fresh.write_bytes(b"x")
    assert driver.sweep_temporaries(datetime.now(UTC) - timedelta(minutes=30)) == 1
    assert temporaries(driver) == [fresh.name]


def test_commit_creates_parent_directories_durably(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed: list[Path] = []
    real = local.fsync_directory

    def recording_fsync_directory(path: Path) -> None:
        flushed.append(path)
        real(path)

    monkeypatch.setattr(local, "fsync_directory", recording_fsync_directory)
    with driver.writer("x/y/z") as writer:
        writer.write(b"deep")
        writer.commit()
    root = driver.root
    # Each new directory's entry is flushed in its parent, then the rename in its directory.
    assert flushed == [root, root / "x", root / "x" / "y"]
    flushed.clear()
    with driver.writer("x/y/w") as writer:
        writer.write(b"sibling")
        writer.commit()
    assert flushed == [root / "x" / "y"]


def test_writes_go_out_in_pieces_of_at_most_256_kib(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    real = os.write

    def recording_write(fd: int, data: bytes) -> int:
        sizes.append(len(data))
        return real(fd, data)

    monkeypatch.setattr(os, "write", recording_write)
    with driver.writer("a/b") as writer:
        writer.write(b"x" * (1024 * 1024 + 1))
        writer.commit()
    assert max(sizes) <= 256 * 1024
    assert sum(sizes) == 1024 * 1024 + 1


def test_short_writes_are_completed(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data)[:1000]))
    with driver.writer("a/b") as writer:
        writer.write(DATA)
        writer.commit()
    assert (driver.root / "a" / "b").read_bytes() == DATA


def test_a_failed_fsync_fails_the_put_once_and_leaves_nothing(
    store: ContentBlobStore, driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(StorageError) as caught:
        store.put([DATA])
    assert not isinstance(caught.value, StorageFullError)
    assert len(calls) == 1, "fsync must never be retried"
    monkeypatch.undo()
    assert temporaries(driver) == []
    assert list(store.walk()) == []


def test_a_full_disk_while_writing_is_storage_full(
    store: ContentBlobStore, driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StorageFullError):
        store.put([DATA])
    monkeypatch.undo()
    assert temporaries(driver) == []
    assert list(store.walk()) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_while_flushing_is_storage_full(
    store: ContentBlobStore, driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def full(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StorageFullError):
        store.put([DATA])
    monkeypatch.undo()
    assert temporaries(driver) == []
    assert list(store.walk()) == []


def test_a_failed_rename_leaves_no_temporary(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(self: Path, target: Path) -> Path:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Path, "replace", failing_replace)
    writer = driver.writer("a/b")
    writer.write(b"x")
    with pytest.raises(BlobDriverError):
        writer.commit()
    monkeypatch.undo()
    assert temporaries(driver) == []
    with pytest.raises(BlobNotFoundError):
        driver.stat("a/b")


def test_a_key_under_an_existing_blob_fails_cleanly(driver: LocalBlobDriver) -> None:
    with driver.writer("a") as writer:
        writer.write(b"file")
        writer.commit()
    writer = driver.writer("a/b")
    writer.write(b"x")
    with pytest.raises(BlobDriverError):
        writer.commit()
    assert temporaries(driver) == []


def test_walk_skips_foreign_files(driver: LocalBlobDriver) -> None:
    with driver.writer("sha256/ab/x") as writer:
        writer.write(b"x")
        writer.commit()
    (driver.root / "lost+found").mkdir()
    (driver.root / "lost+found" / "inode").write_bytes(b"?")
    (driver.root / "README").write_bytes(b"?")
    (driver.root / "sha256" / ".swp").write_bytes(b"?")
    assert [info.key for info in driver.walk()] == ["sha256/ab/x"]


def test_check_ready_fails_when_the_root_is_not_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    driver = LocalBlobDriver(tmp_path / "file")
    with pytest.raises(BlobDriverError, match="not a directory"):
        driver.check_ready()


def test_check_ready_fails_when_the_root_is_read_only(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    driver = LocalBlobDriver(tmp_path / "blobs")
    driver.tmp.chmod(0o500)
    try:
        with pytest.raises(BlobDriverError):
            driver.check_ready()
    finally:
        driver.tmp.chmod(0o700)


def test_a_dropped_writer_removes_its_temporary(driver: LocalBlobDriver) -> None:
    writer = driver.writer("a/b")
    writer.write(b"forgotten")
    assert len(temporaries(driver)) == 1
    del writer
    assert temporaries(driver) == []
