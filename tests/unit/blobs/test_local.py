"""What only the local driver promises: paths, layout, temporaries, fsync and full disks."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weighthouse.blobs import local
from weighthouse.blobs import temporaries as temporaries_module
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


def test_temporaries_are_named_for_host_instance_and_pid_and_locked(
    driver: LocalBlobDriver,
) -> None:
    with driver.writer("a/b") as writer:
        writer.write(b"x")
        (name,) = temporaries(driver)
        host, instance, pid, random = name.split(".")
        assert host == local._host_label()
        assert instance == temporaries_module.instance_id() and len(instance) == 8
        assert int(pid) == os.getpid()
        assert len(random) == 16
        with (driver.tmp / name).open("rb") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert temporaries(driver) == []


_WRITER = """
import os, sys
from pathlib import Path
from weighthouse.blobs.local import LocalBlobDriver
writer = LocalBlobDriver(Path(sys.argv[1])).writer("a/b")
writer.write(b"partial upload")
mine = [p.name for p in Path(sys.argv[1], "tmp").iterdir() if f".{os.getpid()}." in p.name]
print(*mine, flush=True)
sys.stdin.read()
"""


def writer_process(driver: LocalBlobDriver) -> tuple[subprocess.Popen[str], str]:
    """Another process with an upload in progress: the process and its temporary's name."""
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(driver.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_sweep_removes_temporaries_of_dead_writers_even_when_their_pid_looks_alive(
    driver: LocalBlobDriver,
) -> None:
    host = local._host_label()
    alive, alive_name = writer_process(driver)
    killed, killed_name = writer_process(driver)
    killed.kill()
    # Wait for the end without reaping it: a zombie, which kill(pid, 0) reports as running.
    os.waitid(os.P_PID, killed.pid, os.WEXITED | os.WNOWAIT)
    os.kill(killed.pid, 0)
    # A temporary whose pid is in use by a live process that never wrote it (pid reuse).
    reused = driver.tmp / f"{host}.0badc0de.{os.getpid()}.0123456789abcdef"
    other_host = driver.tmp / "elsewhere.0badc0de.1.0123456789abcdef"
    old_form = driver.tmp / f"{host}.1.0123456789abcdef"
    junk = driver.tmp / "not-a-temporary-name"
    for path in (reused, other_host, old_form, junk):
        path.write_bytes(b"partial upload")
    mine = driver.writer("c/d")
    mine.write(b"live upload in this process")
    try:
        assert driver.sweep_temporaries(PAST) == 2
        left = temporaries(driver)
        assert killed_name not in left and reused.name not in left
        assert alive_name in left
        assert {other_host.name, old_form.name, junk.name} <= set(left)
        mine.commit()
        assert driver.stat("c/d").size == len(b"live upload in this process")
    finally:
        killed.communicate()  # reaps it and closes its pipes
        alive.kill()
        alive.communicate()
    # The live writer's temporary goes once its process has gone.
    assert driver.sweep_temporaries(PAST) == 1
    assert alive_name not in temporaries(driver)


def test_a_sweeper_holding_a_fresh_temporary_does_not_cost_the_writer_its_upload(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweeper may lock and remove a temporary between its creation and its writer's lock;
    the writer then starts on a new one instead of writing into a removed file."""
    real_flock = fcntl.flock
    swept: list[str] = []

    def flock_after_a_sweep(fd: int, operation: int) -> None:
        if not swept:
            (name,) = temporaries(driver)
            swept.append(name)
            assert temporaries_module.remove_if_abandoned(driver.tmp / name, local._host_label())
        real_flock(fd, operation)

    monkeypatch.setattr(temporaries_module.fcntl, "flock", flock_after_a_sweep)
    with driver.writer("a/b") as writer:
        monkeypatch.setattr(temporaries_module.fcntl, "flock", real_flock)
        writer.write(b"bytes")
        writer.commit()
    assert driver.stat("a/b").size == 5
    assert temporaries(driver) == []


def test_sweep_removes_old_temporaries_whoever_wrote_them(driver: LocalBlobDriver) -> None:
    stale = driver.tmp / f"elsewhere.0badc0de.{os.getpid()}.0123456789abcdef"
    stale.write_bytes(b"x")
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).timestamp()
    os.utime(stale, (hour_ago, hour_ago))
    fresh = driver.tmp / f"elsewhere.0badc0de.{os.getpid()}.fedcba9876543210"
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
    # The rename in its directory, then each new directory's entry in its parent, before the
    # commit returns: the first flush commits the folders' entries too on a journalling file
    # system, so the later ones do not wait on the disk again.
    assert flushed == [root / "x" / "y", root / "x", root]
    flushed.clear()
    with driver.writer("x/y/w") as writer:
        writer.write(b"sibling")
        writer.commit()
    assert flushed == [root / "x" / "y"]


def test_a_folder_made_by_someone_else_is_flushed_in_its_parent_before_it_is_relied_on(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another request or server process made x/y and may not have flushed its entry yet: a
    # blob committed into it must not be acknowledged on the strength of that entry alone.
    (driver.root / "x" / "y").mkdir(parents=True)
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
    assert flushed == [root / "x" / "y", root / "x", root]
    flushed.clear()
    # Once flushed by this process, the folders are trusted.
    with driver.writer("x/y/w") as writer:
        writer.write(b"sibling")
        writer.commit()
    assert flushed == [root / "x" / "y"]


def test_one_flush_of_a_found_folders_parent_vouches_for_all_its_folders(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process (or this one before a restart) made the fan-out: x/a, x/b and x/c.
    for name in "abc":
        (driver.root / "x" / name).mkdir(parents=True)
    flushed: list[Path] = []
    real = local.fsync_directory

    def recording_fsync_directory(path: Path) -> None:
        flushed.append(path)
        real(path)

    monkeypatch.setattr(local, "fsync_directory", recording_fsync_directory)
    with driver.writer("x/a/1") as writer:
        writer.write(b"first")
        writer.commit()
    root = driver.root
    assert flushed == [root / "x" / "a", root / "x", root]
    flushed.clear()
    # x/b was in x when x was flushed: its entry is durable, so only the blob's folder is.
    with driver.writer("x/b/2") as writer:
        writer.write(b"second")
        writer.commit()
    assert flushed == [root / "x" / "b"]
    flushed.clear()
    # A folder that appeared after that flush is not vouched for.
    (driver.root / "x" / "d").mkdir()
    with driver.writer("x/d/3") as writer:
        writer.write(b"third")
        writer.commit()
    assert flushed == [root / "x" / "d", root / "x"]


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


def test_a_failed_placement_leaves_no_temporary(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(self: Path, target: Path) -> Path:
        raise OSError(errno.EIO, "Input/output error")

    def failing_link(source: Path, target: Path) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(Path, "replace", failing_replace)
    monkeypatch.setattr(local.os, "link", failing_link)
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


def test_a_file_system_without_hard_links_still_commits_but_never_retracts(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: Path, target: Path) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(local.os, "link", no_links)
    writer = driver.writer("a/b")
    writer.write(b"x")
    writer.commit()
    assert writer.retract() is False  # it cannot tell whether it created the key
    assert driver.stat("a/b").size == 1
    assert temporaries(driver) == []


def test_retract_puts_back_a_blob_that_replaced_its_own_meanwhile(
    driver: LocalBlobDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another upload of the same bytes may replace the blob between retract's check and its
    move; the newer file is then put back, never removed."""
    writer = driver.writer("a/b")
    writer.write(b"same")
    writer.commit()
    real_rename = Path.rename

    def replaced_first(self: Path, target: Path) -> Path:
        with driver.writer("a/b") as other:
            other.write(b"same")
            other.commit()
        monkeypatch.setattr(Path, "rename", real_rename)
        return real_rename(self, target)

    final = driver.path("a/b")
    st = final.lstat()
    monkeypatch.setattr(Path, "rename", replaced_first)
    assert driver.remove_if_same(final, st.st_dev, st.st_ino) is False
    assert driver.stat("a/b").size == 4
    assert final.lstat().st_ino != st.st_ino
    assert temporaries(driver) == []
