"""Small blobs in one SQLite file, in front of a driver that keeps the rest.

Why: on the local driver a 4 KiB blob as a file of its own costs an inode, a temporary, a
hard link, and two flushes to the disk (the file and its folder) before its commit returns,
and those system calls were about a third of a small upload's CPU time. SQLite keeps small
values in one file, and here the commits of concurrent writers share one transaction and so
one flush of the write-ahead log (a group commit), so "committed means durable" holds at a
fraction of the cost; SQLite's own measurements find values of about 10 KiB read and written
faster from one database than from files of their own. Blobs of more than ``max_size`` bytes
go to the inner driver unchanged, as before.

How the :class:`~weighthouse.blobs.driver.BlobDriver` contract holds across the two places:

* A writer buffers up to ``max_size`` bytes in memory; when the bytes outgrow that, it moves
  them to a writer of the inner driver and streams on there. Nothing is visible before commit.
* A small commit writes the row in the next group transaction and returns once that
  transaction is on disk. A large commit first removes any row of the key, then commits to the
  inner driver: a crash between the two leaves the key absent, which the contract allows,
  never the old bytes shadowing the new.
* Reads and ``stat`` look in the database first, then in the inner driver. ``delete`` removes
  both. ``walk`` yields each key once.
* A small writer's temporary is its memory, gone with the process. ``sweep_temporaries``
  drops this process's small writers idle since ``older_than`` (their commit then fails, as a
  swept file's does) and sweeps the inner driver's files.

The database is created on the first small commit, never by a read, a walk or a check, so a
command pointed at the wrong folder does not leave one behind.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from weighthouse.blobs.driver import BlobDriver, BlobInfo, BlobReader, BlobWriter
from weighthouse.blobs.errors import BlobDriverError, BlobStorageFullError
from weighthouse.blobs.keys import check_key, check_prefix, check_range, commit_key
from weighthouse.group_leader import GroupLeader, Ticket

FILE_NAME = ".small-blobs.sqlite3"
"""The database's name in the blob root: it starts with a dot, so it is never a key and the
local driver's walk passes it by."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (
    key TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    modified_ns INTEGER NOT NULL,
    generation INTEGER NOT NULL
)
"""
# A page cache of 512 KiB per connection: every thread that reads holds one connection, and
# the rows are read once per request, so a large cache would only grow the process.
_CACHE_KIB = 512
_BUSY_MS = 60_000  # another process's transaction is waited for, not failed
_SQLITE_FULL = 13
_WALK_BATCH = 512
_MAX_GROUP = 256  # changes of at most 64 KiB each: a group's transaction stays short


def _now_ns() -> int:
    return int(datetime.now(UTC).timestamp() * 1e9)


def _aware(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


class _Job(Ticket[Any]):
    """One writer's change, applied inside a group transaction by whichever thread leads it."""

    def __init__(self, apply: Callable[[sqlite3.Connection], Any]) -> None:
        super().__init__()
        self.apply = apply


class _Failures:
    """SQLite's and the file system's failures inside the block as ``database``'s errors.
    (A class: cheaper to enter and leave than a generator's context manager, on every read.)"""

    __slots__ = ("database",)

    def __init__(self, database: _Database) -> None:
        self.database = database

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if isinstance(exc, sqlite3.Error | OSError):
            raise self.database._failure(exc) from exc


class _Database:
    """The SQLite file: one writing connection per process behind a group commit, and one
    reading connection per thread. Connections are made again in a forked child."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self._name = name
        self._leader: GroupLeader[_Job] = GroupLeader(_MAX_GROUP)
        self._pid = -1
        self._writer: sqlite3.Connection | None = None
        self._turns = -1
        self._local = threading.local()
        self._failures = _Failures(self)

    # ------------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=_BUSY_MS / 1000
        )
        connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        # FULL: in WAL mode every commit flushes the log, so a committed row is durable.
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    def reading(self) -> sqlite3.Connection | None:
        """This thread's reading connection, or ``None`` while no database exists."""
        pid = os.getpid()
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == pid:
            return connection
        if not self.path.exists():
            return None
        with self.errors():
            connection = self._connect()
        self._local.connection, self._local.pid = connection, pid
        return connection

    def _writing(self) -> tuple[sqlite3.Connection, int]:
        """This process's writing connection and its descriptor of the writers' lock file."""
        if self._writer is not None and self._pid == os.getpid():
            return self._writer, self._turns
        if not self.path.exists():
            self._create()
        turns = os.open(
            self.path.with_name(f"{self.path.name}-writers"),
            os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
            0o644,
        )
        try:
            connection = self._connect()
        except BaseException:
            os.close(turns)
            raise
        self._writer, self._turns, self._pid = connection, turns, os.getpid()
        return connection, turns

    def _create(self) -> None:
        """Make the database whole under a temporary name, then link it into place, so no
        process ever opens a file without its table (a full disk may stop the making half-way)
        and of two processes making it at once, one file wins and both use it."""
        temporary = self.path.with_name(f"{self.path.name}.{secrets.token_hex(8)}.new")
        try:
            connection = sqlite3.connect(temporary, isolation_level=None)
            try:
                # The table first, in SQLite's default rollback-journal mode, which writes it
                # into the file itself before returning; only then the switch to WAL (written
                # in the file's header). Made the other way round, the table could be left in a
                # log that closing fails to fold in when the disk is full, and be lost with it.
                connection.execute("PRAGMA synchronous = FULL")
                connection.execute(_SCHEMA)
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode != "wal":
                    raise sqlite3.OperationalError(f"journal mode stayed {mode!r}, not 'wal'")
            finally:
                connection.close()
            with suppress(FileExistsError):
                os.link(temporary, self.path)
        finally:
            for leftover in (temporary, *_wal_files(temporary)):
                with suppress(FileNotFoundError):
                    leftover.unlink()
        # The new file's entry in the root must survive a crash with the rows put in it.
        fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def errors(self) -> _Failures:
        """A context manager: SQLite's and the file system's failures as the driver's errors."""
        return self._failures

    # ------------------------------------------------------------------ group commit

    def write(self, apply: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``apply`` inside a transaction shared with the writers that arrive meanwhile;
        return its result once that transaction is durable (:mod:`weighthouse.group_leader`
        says who commits a group and how the others wait)."""
        return self._leader.run(_Job(apply), self._commit)

    def _commit(self, batch: Sequence[_Job]) -> None:
        try:
            connection, turns = self._writing()
            # The server's processes take turns through a lock the kernel hands over at once.
            # Left to SQLite, a process that finds another one's transaction open sleeps (1, 2,
            # 5 ... 100 ms) before it tries again: two processes writing small blobs stored 40 %
            # fewer a second than one alone.
            fcntl.flock(turns, fcntl.LOCK_EX)
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    for job in batch:
                        job.result = job.apply(connection)
                    connection.execute("COMMIT")
                except BaseException:
                    with suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                    raise
            finally:
                fcntl.flock(turns, fcntl.LOCK_UN)
        except BaseException as exc:  # every waiting writer learns of it, not only the leader
            for job in batch:
                job.error = self._failure(exc)

    def _failure(self, exc: BaseException) -> BlobDriverError:
        """What a writer is told when its group's transaction failed."""
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        code = getattr(exc, "sqlite_errorcode", None)
        if full or (code is not None and code & 0xFF == _SQLITE_FULL):
            error: BlobDriverError = BlobStorageFullError(self._name, "small blob database: full")
        else:
            error = BlobDriverError(self._name, f"small blob database: {exc!r}")
        error.__cause__ = exc
        return error


def _wal_files(database: Path) -> tuple[Path, Path]:
    return (database.with_name(f"{database.name}-wal"), database.with_name(f"{database.name}-shm"))


class SmallBlobDriver:
    """``inner`` with its blobs of at most ``max_size`` bytes kept in the SQLite file ``path``
    (see the module docstring), for keys that start with ``under`` (all keys by default);
    blobs at other keys are always the inner driver's. Errors carry the inner driver's name."""

    def __init__(self, inner: BlobDriver, path: Path, max_size: int, under: str = "") -> None:
        self.inner = inner
        self.name = inner.name
        # The rows are in a SQLite file on this machine; the rest is the inner driver's.
        self.local_reads: bool = getattr(inner, "local_reads", False)
        self.max_size = max_size
        # A row is committed through the group leader, which a writer on the loop awaits.
        self.loop_writes = max_size if under in ("", "sha256/") else 0
        self.under = under
        self.db = _Database(path, inner.name)
        self._lock = threading.Lock()
        self._pending: set[_SmallWriter] = set()

    def reader(self, key: str) -> BlobReader:
        check_key(key, self.name)
        connection = self.db.reading() if key.startswith(self.under) else None
        if connection is not None:
            with self.db.errors():
                row = connection.execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return _SmallReader(key, row[0], self.name)
        return self.inner.reader(key)

    def writer(self, key: str | None = None) -> BlobWriter:
        if key is not None:
            check_key(key, self.name)
        writer = _SmallWriter(self, key)
        with self._lock:
            self._pending.add(writer)
        return writer

    def stat(self, key: str) -> BlobInfo:
        check_key(key, self.name)
        connection = self.db.reading() if key.startswith(self.under) else None
        if connection is not None:
            with self.db.errors():
                row = connection.execute(
                    "SELECT length(data), modified_ns FROM blobs WHERE key = ?", (key,)
                ).fetchone()
            if row is not None:
                return BlobInfo(key, row[0], _aware(row[1]))
        return self.inner.stat(key)

    def delete(self, key: str) -> None:
        check_key(key, self.name)
        self._remove_row(key)
        self.inner.delete(key)

    def walk(self, prefix: str = "") -> Iterator[BlobInfo]:
        check_prefix(prefix, self.name)
        connection = self.db.reading()
        if connection is not None:
            # Keys are ASCII, so every key with the prefix sorts before prefix + DEL. Read in
            # batches, each its own short read, so a long walk holds no snapshot open.
            end = prefix + "\x7f"
            query = "SELECT key, length(data), modified_ns FROM blobs WHERE key >= ? AND key < ?"
            bound = prefix
            while True:
                with self.db.errors():
                    rows = connection.execute(
                        f"{query} ORDER BY key LIMIT {_WALK_BATCH}", (bound, end)
                    ).fetchall()
                for key, size, modified_ns in rows:
                    yield BlobInfo(key, size, _aware(modified_ns))
                if len(rows) < _WALK_BATCH:
                    break
                bound = rows[-1][0] + "\x00"  # the next key after the last one read
        for info in self.inner.walk(prefix):
            if not self._has_row(info.key):
                yield info

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        check_key(key, self.name)
        # The inner driver first: one that makes no URLs (the local disk) answers at once, and
        # a small GET is spared a second read of its row.
        url = self.inner.presigned_url(key, expires_in=expires_in)
        if url is None or self._has_row(key):
            return None  # the server serves a row: no other place holds these bytes
        return url

    def sweep_temporaries(self, older_than: datetime) -> int:
        with self._lock:
            stale = {w for w in self._pending if w.idle_since < older_than and not w.spilled}
            self._pending -= stale
        for writer in stale:
            writer.swept()
        return len(stale) + self.inner.sweep_temporaries(older_than)

    def check_ready(self) -> None:
        self.inner.check_ready()
        connection = self.db.reading()
        if connection is not None:
            with self.db.errors():
                connection.execute("SELECT 1 FROM blobs LIMIT 1").fetchall()

    # ------------------------------------------------------------------ for the writers

    def _has_row(self, key: str) -> bool:
        connection = self.db.reading() if key.startswith(self.under) else None
        if connection is None:
            return False
        with self.db.errors():
            row = connection.execute("SELECT 1 FROM blobs WHERE key = ?", (key,)).fetchone()
        return row is not None

    def _remove_row(self, key: str) -> None:
        if not self._has_row(key):
            return
        self.db.write(lambda c: c.execute("DELETE FROM blobs WHERE key = ?", (key,)))

    def _put_row(self, writer: _SmallWriter, key: str, data: bytes) -> int | None:
        """Store ``data`` at ``key`` durably; the row's generation if the key was empty."""
        with self._lock:
            if writer not in self._pending:
                raise BlobDriverError(self.name, "temporary was swept before commit")
            self._pending.discard(writer)
        generation = secrets.randbits(62)

        def apply(connection: sqlite3.Connection) -> bool:
            found = connection.execute("SELECT 1 FROM blobs WHERE key = ?", (key,)).fetchone()
            connection.execute(
                "INSERT INTO blobs (key, data, modified_ns, generation) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
                " modified_ns = excluded.modified_ns, generation = excluded.generation",
                (key, data, _now_ns(), generation),
            )
            return found is None

        created = self.db.write(apply)
        return generation if created else None

    def _remove_if_same(self, key: str, generation: int) -> bool:
        def apply(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM blobs WHERE key = ? AND generation = ?", (key, generation)
            )
            return cursor.rowcount > 0

        return bool(self.db.write(apply))

    def _forget(self, writer: _SmallWriter) -> None:
        with self._lock:
            self._pending.discard(writer)


class _SmallReader(BlobReader):
    """The row's bytes as read when opened; a later replace does not change them."""

    def __init__(self, key: str, data: bytes, name: str) -> None:
        self.key = key
        self.size = len(data)
        self._data: bytes | None = data
        self._name = name

    def read(self, offset: int, length: int) -> bytes:
        check_range(offset, length)
        if self._data is None:
            raise BlobDriverError(self._name, "reader is closed")
        return self._data[offset : offset + length]

    def local_path(self) -> str | None:
        return None

    def close(self) -> None:
        self._data = None


class _SmallWriter(BlobWriter):
    def __init__(self, driver: SmallBlobDriver, key: str | None) -> None:
        self.driver = driver
        self.key = key
        self.buffer = bytearray()
        self.spill: BlobWriter | None = None
        self.state = "open"
        self.created: tuple[str, int] | None = None
        self.idle_since = datetime.now(UTC)

    @property
    def spilled(self) -> bool:
        return self.spill is not None

    def write(self, data: bytes) -> None:
        if self.state != "open":
            raise BlobDriverError(self.driver.name, f"writer is {self.state}")
        self.idle_since = datetime.now(UTC)
        if self.spill is None and len(self.buffer) + len(data) <= self.driver.max_size:
            self.buffer += data
            return
        try:
            if self.spill is None:
                # Outgrown: the bytes so far move to a writer of the inner driver, which
                # sweeps and cleans up its own temporary from here on.
                self.driver._forget(self)
                self.spill = self.driver.inner.writer(self.key)
                self.spill.write(bytes(self.buffer))
                self.buffer = bytearray()
            self.spill.write(data)
        except BlobDriverError:
            self.cancel()
            raise

    def commit(self, key: str | None = None) -> None:
        if self.state != "open":
            raise BlobDriverError(self.driver.name, f"writer is {self.state}")
        try:
            target = commit_key(self.key, key, self.driver.name)
            if self.spill is not None:
                self.driver._remove_row(target)
                self.spill.commit(target)
                self.state = "committed"
                return
            if not target.startswith(self.driver.under):
                self._commit_to_inner(target)
                return
            generation = self.driver._put_row(self, target, bytes(self.buffer))
        except BlobDriverError:
            self.cancel()
            raise
        self.state = "committed"
        self.buffer = bytearray()
        if generation is not None:
            self.created = (target, generation)

    def _commit_to_inner(self, target: str) -> None:
        """A key the database does not take: the buffered bytes become the inner driver's."""
        self.driver._forget(self)
        self.spill = self.driver.inner.writer(target)
        self.spill.write(bytes(self.buffer))
        self.buffer = bytearray()
        self.spill.commit(target)
        self.state = "committed"

    def retract(self) -> bool:
        if self.spill is not None:
            return self.spill.retract()
        created, self.created = self.created, None
        if created is None:
            return False
        return self.driver._remove_if_same(*created)

    def cancel(self) -> None:
        if self.state != "open":
            return
        self.state = "cancelled"
        self.buffer = bytearray()
        self.driver._forget(self)
        if self.spill is not None:
            self.spill.cancel()

    def swept(self) -> None:
        """Called by the driver's sweep: drop the bytes; a later commit fails."""
        self.buffer = bytearray()
