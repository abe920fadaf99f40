"""Who owns an upload's temporary file, in a way that survives pid reuse.

A temporary is named ``<host>.<instance>.<pid>.<random>``: the host and pid say who wrote it to
an operator listing the folder, the instance id (random, one per process) keeps two processes
that share a pid (containers that each run the server as PID 1) apart, and the random part
makes every name new. None of that decides whether the writer still runs: a pid can be reused
or belong to an unreaped process, and ``kill(pid, 0)`` then calls a dead writer alive. What
decides is a lock. The writer holds an exclusive ``flock`` on its open temporary for the whole
upload; the kernel drops the lock when the descriptor is closed or the process ends, however it
ends. So a temporary of this host whose lock a sweeper can take has no writer any more.

The lock is advisory and local to one kernel, so temporaries of other hosts (a blob root on a
shared file system) and names of any other form are never judged by it: only their age
removes them.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

_instance: tuple[int, str] | None = None


def instance_id() -> str:
    """This process's random id; a forked child gets a new one."""
    global _instance  # one id per process, made on first use
    pid = os.getpid()
    if _instance is None or _instance[0] != pid:
        _instance = (pid, secrets.token_hex(4))
    return _instance[1]


def create_locked(directory: Path, host: str) -> tuple[Path, int]:
    """A new, empty temporary in ``directory``, open for writing and locked by this writer.

    Returns its path and descriptor; closing the descriptor releases the lock, so a writer
    renames or unlinks the path *before* closing it. Raises ``OSError``.
    """
    while True:
        name = f"{host}.{instance_id()}.{os.getpid()}.{secrets.token_hex(8)}"
        path = directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # A sweeper may have locked and unlinked the file between its creation and our
            # lock; writing into an unlinked file would fail only at commit, so start afresh.
            if os.fstat(fd).st_nlink > 0:
                return path, fd
        except BlockingIOError:
            pass  # a sweeper holds it for the moment; it will remove it
        except OSError:
            os.close(fd)
            raise
        os.close(fd)


def remove_if_abandoned(path: Path, host: str) -> bool:
    """Remove the temporary at ``path`` if this host wrote it and no writer holds it.

    The lock is held while unlinking, so a writer that starts on the same name in between
    cannot lose its file. Returns True if the file was removed. Raises ``OSError`` for
    failures other than the file having gone meanwhile.
    """
    parts = path.name.split(".")
    if len(parts) != 4 or parts[0] != host:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False  # committed or cancelled meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a writer holds it: alive, in this process or another
        # Names are never reused, so the path is still this file unless a commit renamed it.
        try:
            same = path.lstat().st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False
        if not same:
            return False
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True
    finally:
        os.close(fd)
