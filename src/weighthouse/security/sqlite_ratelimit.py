"""A sliding-window rate limiter in a SQLite file, shared by the server processes of one host.

``weighthouse serve --workers N`` runs N processes behind one port, and a client's requests land
on any of them: counted per process, a limit of 10 would let 10 times N guesses through. Processes
that open the same file count together. Hosts do not share a file; several hosts need
:class:`~weighthouse.security.ratelimit.RedisRateLimiter`.

The file holds no secrets (keys are account names and client addresses) and nothing that must
survive a crash: it is written without fsync, and losing it only forgets recent attempts.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from weighthouse.domain.errors import StorageError, StorageFullError
from weighthouse.security.ratelimit import check_window

BUSY_TIMEOUT_MS = 5_000
# Rows of keys nobody asks about again are dropped a few at a time by later calls, which keeps
# each call's cost bounded; the table holds at most the attempts of one window.
_EVICT_PER_CALL = 64

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS attempts (key TEXT NOT NULL, at REAL NOT NULL,"
    " expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS attempts_by_key ON attempts (key, at)",
    "CREATE INDEX IF NOT EXISTS attempts_by_expiry ON attempts (expires)",
)


class SqliteRateLimiter:
    """Implements ``RateLimiter`` for every process that uses the same ``path``. Thread-safe.

    Same counting as ``MemoryRateLimiter``: an attempt is refused exactly while ``limit`` others
    were counted in the last ``window``, and refused attempts are not counted. Times are wall
    clock seconds (``clock``), so the file stays meaningful across restarts. The file is opened
    on first use, so a process that never counts never opens it. A file that cannot be opened or
    stays locked for longer than the busy timeout raises ``StorageError``.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path})"

    def attempt(self, key: str, limit: int, window: timedelta) -> float | None:
        seconds = check_window(limit, window)
        with self._lock, self._transaction() as db:
            now = self._clock()
            db.execute(
                "DELETE FROM attempts WHERE rowid IN"
                " (SELECT rowid FROM attempts WHERE expires <= ? LIMIT ?)",
                (now, _EVICT_PER_CALL),
            )
            db.execute("DELETE FROM attempts WHERE key = ? AND at <= ?", (key, now - seconds))
            counted = db.execute(
                "SELECT at FROM attempts WHERE key = ? ORDER BY at DESC LIMIT ?", (key, limit)
            ).fetchall()
            if len(counted) >= limit:
                # Only the attempts that still count decide when one is next allowed.
                return float(max(counted[limit - 1][0] + seconds - now, 1e-6))
            db.execute(
                "INSERT INTO attempts (key, at, expires) VALUES (?, ?, ?)",
                (key, now, now + seconds),
            )
            return None

    def reset(self, key: str) -> None:
        with self._lock, self._transaction() as db:
            db.execute("DELETE FROM attempts WHERE key = ?", (key,))

    def __len__(self) -> int:
        """The number of counted attempts held, expired ones not yet dropped included."""
        with self._lock, self._transaction() as db:
            return int(db.execute("SELECT count(*) FROM attempts").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connect(), self._path)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Created readable by the owner only, like the rest of the data directory's state.
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                # Switching to WAL and creating the table can fail at once with "database is
                # locked" when processes start together; the first to take this lock does it.
                fcntl.flock(fd, fcntl.LOCK_EX)
                connection = _open(self._path)
            finally:
                os.close(fd)  # closing releases the lock
        except (OSError, sqlite3.Error) as exc:
            raise _failed(exc) from exc
        self._connection = connection
        return connection


def _failed(exc: OSError | sqlite3.Error) -> StorageError:
    """The domain error for a failure of the file: 507 when it was refused for space."""
    full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    )
    if full:
        return StorageFullError("the rate limiter's file has no room", reason=str(exc))
    return StorageError("the rate limiter's file failed", reason=str(exc))


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        for statement in _SCHEMA:
            connection.execute(statement)
    except sqlite3.Error:
        connection.close()
        raise
    return connection


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``: the read and the insert of one attempt see no other
    process's attempt in between. SQLite errors become ``StorageError``."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _failed(exc) from exc
        return self._db

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        try:
            self._db.execute("ROLLBACK" if kind is not None else "COMMIT")
        except sqlite3.Error as exc:
            if kind is None:
                raise _failed(exc) from exc
        if isinstance(error, sqlite3.Error):
            raise _failed(error) from error
