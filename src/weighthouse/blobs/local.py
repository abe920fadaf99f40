"""A driver on a local file system: a key is the path ``root/<key>``.

Keys obey :mod:`weighthouse.blobs.keys`, checked here again before any path is built, so no
name ever escapes ``root``. Uploads go to a temporary in ``root/tmp`` that its writer holds
locked (:mod:`weighthouse.blobs.temporaries`) and are renamed into place on commit; ``tmp``
shares the file system with the blobs, so the rename is atomic.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import NoReturn

from pydantic import BaseModel, ConfigDict, Field

from weighthouse.blobs.driver import BlobDriver, BlobInfo, BlobReader, BlobWriter
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError, BlobStorageFullError
from weighthouse.blobs.keys import (
    SEGMENT_PATTERN,
    check_key,
    check_prefix,
    check_range,
    commit_key,
)
from weighthouse.blobs.registry import DriverContext, DriverSpec
from weighthouse.blobs.small import FILE_NAME as SMALL_FILE
from weighthouse.blobs.small import SmallBlobDriver
from weighthouse.blobs.temporaries import create_locked, remove_if_abandoned

NAME = "local"
TMP_DIR = "tmp"

# write() calls of 512 KiB or more into new files ran 4x slower on the reference VM than calls of
# 256 KiB or less (see performance.md), so large buffers are written in pieces of this size.
_PIECE = 256 * 1024
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# A file system without hard links: commits replace by rename and never count as creating.
_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK})
# Blobs up to this size go to the small-blob database by default: the bodies the REST API
# reads whole (SMALL_BODY there) fit, and MinIO keeps objects inline up to twice as large.
SMALL_MAX = 64 * 1024


def translate_os_error(exc: OSError) -> BlobDriverError:
    """The driver error for a failed system call: out of space or quota, or anything else."""
    if exc.errno in _FULL_ERRNOS:
        return BlobStorageFullError(NAME, str(exc))
    return BlobDriverError(NAME, str(exc))


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise translate_os_error(exc) from exc


def fsync_directory(path: Path) -> None:
    """Flush a directory's entries, making renames and creations inside it durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _modified_at(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=UTC)


class LocalBlobDriver:
    """Bytes in files under ``root``; commits are durable (fsync, rename, fsync directory)."""

    name = NAME
    local_reads = True
    loop_writes = 0  # every commit fsyncs a file and its directory

    def __init__(self, root: Path) -> None:
        # The resolved root makes a reader's local_path() a real path, ready for sendfile.
        self.root = Path(root).resolve()
        self.tmp = self.root / TMP_DIR
        self._host = _host_label()
        # Folders whose entry this process has seen flushed in their parent (see make_parents).
        # Bounded by the fan-out: at most 256 + 65,536 short strings.
        self._durable_dirs: set[str] = set()
        # A read-only root can still serve reads; check_ready() reports why writes would fail.
        with suppress(OSError):
            self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file for ``key``; the key is checked first, so the path stays inside ``root``."""
        return self.root / check_key(key, NAME)

    def reader(self, key: str) -> BlobReader:
        path = self.path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFoundError(key, NAME) from None
        except OSError as exc:
            raise translate_os_error(exc) from exc
        try:
            st = os.fstat(fd)
        except OSError as exc:
            os.close(fd)
            raise translate_os_error(exc) from exc
        if not S_ISREG(st.st_mode):
            os.close(fd)
            raise BlobNotFoundError(key, NAME)
        return _LocalReader(key, fd, st.st_size, str(path))

    def writer(self, key: str | None = None) -> BlobWriter:
        if key is not None:
            check_key(key, NAME)
        with _translated():
            try:
                temp, fd = create_locked(self.tmp, self._host)
            except FileNotFoundError:  # the folder was removed under a running server
                self.tmp.mkdir(parents=True, exist_ok=True)
                temp, fd = create_locked(self.tmp, self._host)
        return _LocalWriter(self, key, temp, fd)

    def stat(self, key: str) -> BlobInfo:
        path = self.path(key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFoundError(key, NAME) from None
        except OSError as exc:
            raise translate_os_error(exc) from exc
        if not S_ISREG(st.st_mode):
            raise BlobNotFoundError(key, NAME)
        return BlobInfo(key, st.st_size, _modified_at(st))

    def delete(self, key: str) -> None:
        path = self.path(key)
        with _translated():
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return  # nothing there, or a directory of other keys: no blob to delete

    def walk(self, prefix: str = "") -> Iterator[BlobInfo]:
        check_prefix(prefix, NAME)
        # Descend only into the directory the prefix names, then filter by its last, partial part.
        directory, _, start = prefix.rpartition("/")
        base = self.root / directory if directory else self.root
        with _translated():
            yield from self._walk(base, f"{directory}/" if directory else "", start)

    def _walk(self, directory: Path, key_prefix: str, start: str) -> Iterator[BlobInfo]:
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            # Foreign names (lost+found, editor leftovers) are never keys: skip them.
            name = entry.name
            if not name.startswith(start) or not SEGMENT_PATTERN.fullmatch(name):
                continue
            if not key_prefix and name == TMP_DIR:
                continue
            key = key_prefix + name
            try:
                if entry.is_dir(follow_symlinks=False):
                    yield from self._walk(Path(entry.path), f"{key}/", "")
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    yield BlobInfo(key, st.st_size, _modified_at(st))
            except FileNotFoundError:
                continue  # deleted while walking

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        check_key(key, NAME)
        return None

    def sweep_temporaries(self, older_than: datetime) -> int:
        cutoff_ns = int(older_than.timestamp() * 1e9)
        removed = 0
        with _translated():
            try:
                with os.scandir(self.tmp) as scan:
                    entries = list(scan)
            except FileNotFoundError:
                return 0
            for entry in entries:
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    if entry.stat(follow_symlinks=False).st_mtime_ns < cutoff_ns:
                        os.unlink(entry.path)  # noqa: PTH108 - DirEntry has no unlink
                        removed += 1
                    elif remove_if_abandoned(Path(entry.path), self._host):
                        removed += 1
                except FileNotFoundError:
                    continue  # committed or cancelled meanwhile
        return removed

    def check_ready(self) -> None:
        if not self.root.is_dir():
            raise BlobDriverError(NAME, f"blob root {self.root} is not a directory")
        with _translated():
            self.tmp.mkdir(exist_ok=True)
        if not os.access(self.tmp, os.W_OK | os.X_OK):
            raise BlobDriverError(NAME, f"cannot write to {self.tmp}")

    def remove_if_same(self, path: Path, dev: int, ino: int) -> bool:
        """Remove the file at ``path`` if it is still the file ``(dev, ino)``; True if removed.

        The file is first moved aside (an atomic take), then checked: a file that replaced
        it in between is linked back, so another writer's commit is never the one removed.
        """
        try:
            st = path.lstat()
        except FileNotFoundError:
            return False
        if (st.st_dev, st.st_ino) != (dev, ino):
            return False
        # Not a temporary's name: the sweep must never judge (and remove) a file set aside.
        aside = self.tmp / f"retracted-{secrets.token_hex(8)}"
        try:
            path.rename(aside)
        except FileNotFoundError:
            return False
        moved = aside.lstat()
        ours = (moved.st_dev, moved.st_ino) == (dev, ino)
        if not ours:
            with suppress(FileExistsError):  # unless a newer commit has arrived meanwhile
                os.link(aside, path)
        aside.unlink()
        fsync_directory(path.parent)
        return ours

    def make_parents(self, path: Path) -> list[tuple[Path, bool]]:
        """Create the directories above ``path``; return those whose entry in their parent is
        not yet known to be durable, deepest first, each with whether this call made it, for
        :meth:`flush_parents` to flush once ``path`` itself is in place: a crash could
        otherwise lose a committed blob with its directory.

        A directory that already exists is not trusted until this process has flushed its
        parent once: another request (or another server process) may have just made it and
        not yet finished that flush, and a 2xx answered on the strength of its entry alone
        would not be durable. After the first time the check costs a set lookup.
        """
        pending: list[Path] = []
        parent = path.parent
        while parent != self.root and str(parent) not in self._durable_dirs:
            pending.append(parent)
            parent = parent.parent
        made: list[tuple[Path, bool]] = []
        for directory in reversed(pending):
            try:
                directory.mkdir()
            except FileExistsError:
                made.append((directory, False))
            else:
                made.append((directory, True))
        made.reverse()
        return made

    def flush_parents(self, directories: list[tuple[Path, bool]]) -> None:
        """Flush each of ``directories``' entry in its parent (see :meth:`make_parents`).

        Called after the blob's own folder has been flushed: on a journalling file system
        that flush has already committed the new folders' entries too, so these return
        without another wait on the disk, where flushing each parent before placing the blob
        waited for a commit of its own.

        Flushing a parent makes durable every entry it held before the flush, not only the
        one asked for. So when the folder was found rather than made (another process made
        it, or this one before a restart), the parent's other folders, listed before the
        flush, are trusted from then on too: a process learns a store's existing fan-out with
        one flush per parent instead of one per folder. A folder made here needs no listing:
        its siblings are learnt when first found."""
        for directory, made in directories:
            parent = directory.parent
            learnt = [str(directory)] if made else self._subfolders(parent)
            fsync_directory(parent)
            self._durable_dirs.update(learnt)
            self._durable_dirs.add(str(directory))

    @staticmethod
    def _subfolders(directory: Path) -> list[str]:
        with os.scandir(directory) as scan:
            return [entry.path for entry in scan if entry.is_dir(follow_symlinks=False)]


def _host_label() -> str:
    """This host's name, reduced to characters safe in a file name."""
    host = socket.gethostname() or "localhost"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in host)


class _LocalReader(BlobReader):
    """Reads through one descriptor with ``pread``: no shared file position, so threads may read
    at once, and a blob replaced or deleted after opening keeps serving the bytes it had."""

    def __init__(self, key: str, fd: int, size: int, path: str) -> None:
        self.key = key
        self.size = size
        self._fd: int | None = fd
        self._path = path

    def read(self, offset: int, length: int) -> bytes:
        check_range(offset, length)
        fd = self._fd
        if fd is None:
            raise BlobDriverError(NAME, "reader is closed")
        try:
            data = os.pread(fd, length, offset)
            # pread may return less than asked before the end (signals, some file systems).
            while len(data) < length:
                more = os.pread(fd, length - len(data), offset + len(data))
                if not more:
                    break
                data += more
        except OSError as exc:
            raise translate_os_error(exc) from exc
        return data

    def local_path(self) -> str | None:
        return self._path

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with suppress(OSError):
                os.close(fd)

    def __del__(self) -> None:
        # A reader dropped without close must not leak its descriptor.
        with suppress(Exception):
            self.close()


class _LocalWriter(BlobWriter):
    def __init__(self, driver: LocalBlobDriver, key: str | None, temp: Path, fd: int) -> None:
        self._driver = driver
        self._key = key
        self._temp = temp
        self._fd: int | None = fd
        self._state = "open"
        self._created: tuple[Path, int, int] | None = None  # where, st_dev, st_ino

    def write(self, data: bytes) -> None:
        fd = self._require_open()
        try:
            with memoryview(data) as view:
                for start in range(0, len(view), _PIECE):
                    piece = view[start : start + _PIECE]
                    while piece:
                        piece = piece[os.write(fd, piece) :]
        except OSError as exc:
            self._fail(exc)

    def commit(self, key: str | None = None) -> None:
        fd = self._require_open()
        try:
            final = self._driver.path(commit_key(self._key, key, NAME))
        except BlobDriverError:
            self.cancel()
            raise
        try:
            # One fsync, never retried: after a failed fsync the kernel may have dropped the
            # dirty pages and a second fsync would report success for lost data (fsyncgate).
            os.fsync(fd)
            new_folders = self._driver.make_parents(final)
            # Placed before closing: closing drops the writer's lock, and a sweeper may remove
            # an unlocked temporary.
            created = self._place(final)
            identity = os.fstat(fd)
            self._close()
        except OSError as exc:
            self._fail(exc)
        self._state = "committed"
        if created:
            self._created = (final, identity.st_dev, identity.st_ino)
        with _translated():
            # The rename is in place but not yet durable; a failure here fails the commit too.
            fsync_directory(final.parent)
            self._driver.flush_parents(new_folders)

    def _place(self, final: Path) -> bool:
        """Put the temporary at ``final``; True if nothing was there. A hard link is made only
        where no file is, so of two writers of the same new key exactly one creates it; an
        existing file is replaced by a rename, which refreshes its modification time."""
        try:
            os.link(self._temp, final)
        except FileExistsError:
            self._temp.replace(final)
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            self._temp.replace(final)
            return False
        self._temp.unlink()
        return True

    def retract(self) -> bool:
        created, self._created = self._created, None
        if created is None:
            return False
        with _translated():
            return self._driver.remove_if_same(*created)

    def cancel(self) -> None:
        if self._state != "open":
            return
        self._state = "cancelled"
        with suppress(OSError):
            self._temp.unlink()
        with suppress(OSError):
            self._close()

    def __del__(self) -> None:
        # A writer dropped without commit or cancel must not leak its descriptor and temporary.
        with suppress(Exception):
            self.cancel()

    def _require_open(self) -> int:
        if self._state != "open" or self._fd is None:
            raise BlobDriverError(NAME, f"writer is {self._state}")
        return self._fd

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _fail(self, exc: OSError) -> NoReturn:
        swept = isinstance(exc, FileNotFoundError) and not self._temp.exists()
        self.cancel()
        if swept:
            raise BlobDriverError(NAME, "temporary was swept before commit") from exc
        raise translate_os_error(exc) from exc


class LocalDriverSettings(BaseModel):
    """``WEIGHTHOUSE_BLOBS__LOCAL__<KEY>``."""

    model_config = ConfigDict(extra="forbid")

    root: Path | None = Field(default=None, description="default: <data_dir>/blobs")
    small_max: int = Field(
        default=SMALL_MAX,
        ge=0,
        le=1024 * 1024,
        description=(
            "blobs of at most this many bytes are kept in one SQLite file in the root "
            f"({SMALL_FILE}), committed in groups; 0 keeps every blob a file of its own"
        ),
    )


def _create(settings: LocalDriverSettings, context: DriverContext) -> BlobDriver:
    driver = LocalBlobDriver(settings.root or context.data_dir / "blobs")
    if settings.small_max == 0:
        return driver
    # Content-addressed blobs only: the deployment marker and any other named object stay
    # files that an operator can see, copy and remove.
    return SmallBlobDriver(driver, driver.root / SMALL_FILE, settings.small_max, under="sha256/")


SPEC = DriverSpec(
    name=NAME,
    settings=LocalDriverSettings,
    factory=_create,
    description="files under a directory on a local disk; durable commits",
)
