"""Turns at a SQLite catalog's write lock, handed over at once between threads and processes.

SQLite lets one transaction write at a time. A writer that finds the lock taken is left to the
busy handler, which sleeps 1, 2, 5 ... 100 ms between tries whatever happens to the lock
meanwhile: with `weighthouse serve --workers 2`, the two processes' group commits of small PUTs
spent more time asleep than writing, and two processes stored fewer objects a second than one.
Writers of one catalog file therefore queue first: the threads of a process on a lock of the
process, the processes on an advisory ``flock`` of a file beside the database
(``<database>-writers``), which the kernel hands to the next waiter as soon as it is released.
Only then does a writer send ``BEGIN IMMEDIATE``, which now finds the lock free unless a
program that does not take turns (an older server, the ``sqlite3`` shell) holds it, and then
SQLite's own busy handling applies as before.

Turns order the writers; they guard nothing: SQLite's locks still keep the data correct.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from weighthouse.domain.errors import StorageError


class WriterTurns:
    """The turns of the writers of the SQLite database at ``path``.

    A process's descriptor of the lock file is its own: one inherited through ``fork`` would
    share the parent's lock, so a process that finds itself under another process id opens
    the file again.
    """

    def __init__(self, path: Path, *, wait: float) -> None:
        self.path = path.with_name(f"{path.name}-writers")
        self._wait = wait
        self._guard = threading.Lock()
        self._pid = -1
        self._lock = threading.Lock()
        self._descriptor = -1

    def _state(self) -> tuple[threading.Lock, int]:
        with self._guard:
            if self._pid != os.getpid():
                # A lock of the parent's, possibly held when it forked, is not this process's.
                self._lock = threading.Lock()
                self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._pid = os.getpid()
            return self._lock, self._descriptor

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this writer's turn, hold it for the block. A thread that waits longer than
        the database's own busy timeout fails as a busy database would (``StorageError``)."""
        lock, descriptor = self._state()
        if not lock.acquire(timeout=self._wait):
            raise StorageError("catalog database is busy: no turn to write came in time")
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            lock.release()


_TURNS: WeakKeyDictionary[Engine, WriterTurns] = WeakKeyDictionary()
_TURNS_LOCK = threading.Lock()


def register(engine: Engine, database: Path, *, wait: float) -> None:
    """Make the writers of ``engine``, a SQLite file database at ``database``, take turns."""
    with _TURNS_LOCK:
        _TURNS[engine] = WriterTurns(database, wait=wait)


def turns_of(engine: Engine) -> WriterTurns | None:
    """The turns ``engine``'s writers take, ``None`` for a database that needs none."""
    return _TURNS.get(engine)
