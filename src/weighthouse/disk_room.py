"""Free space of the server's local folders, and the reserve file beside a SQLite catalog.

The reserve is an ordinary file of ``reserve_bytes`` (allocated, not sparse) that the server
deletes when a delete fails for space, so the database can write the delete to its log. It is
made again, under a temporary name and then renamed, so a half-made reserve never counts, once
there is room for it on top of the floor.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from weighthouse.domain.errors import StorageFullError

_ZEROS = bytes(1024 * 1024)


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on ``path``'s file system."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class LocalDiskRoom:
    """``DiskRoom`` over local folders: ``places`` maps a name shown in readiness answers (never
    a path) to a folder; ``reserve`` is the reserve file, or ``None`` for none."""

    def __init__(
        self,
        places: Mapping[str, Path],
        *,
        floor: int,
        reserve: Path | None = None,
        reserve_bytes: int = 0,
    ) -> None:
        self.places = dict(places)
        self.floor = floor
        self.reserve = reserve if reserve_bytes > 0 else None
        self.reserve_bytes = reserve_bytes

    def check_free(self) -> None:
        self.restore_reserve()
        for name, path in self.places.items():
            try:
                free = free_bytes(path)
            except OSError:
                continue  # a missing folder is the catalog's or the blob store's check to report
            if free < self.floor:
                raise StorageFullError(
                    f"the {name} has {free} bytes free, under the floor of {self.floor}",
                    place=name,
                    free=free,
                    floor=self.floor,
                )

    def release_reserve(self) -> bool:
        if self.reserve is None:
            return False
        try:
            self.reserve.unlink()
        except OSError:
            return False
        return True

    def restore_reserve(self) -> None:
        reserve = self.reserve
        if reserve is None or reserve.exists():
            return
        with contextlib.suppress(OSError):
            if free_bytes(reserve.parent) < self.reserve_bytes + self.floor:
                return  # taking it back now would leave the disk full again
            self._make(reserve)

    def _make(self, reserve: Path) -> None:
        partial = reserve.with_name(f"{reserve.name}.{secrets.token_hex(4)}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            try:
                os.posix_fallocate(fd, 0, self.reserve_bytes)
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # write the bytes instead
                    raise
                for start in range(0, self.reserve_bytes, len(_ZEROS)):
                    os.write(fd, _ZEROS[: min(len(_ZEROS), self.reserve_bytes - start)])
            os.fsync(fd)
        except OSError:
            os.close(fd)
            partial.unlink(missing_ok=True)
            raise
        os.close(fd)
        partial.replace(reserve)
