"""Room on disk: a readiness floor, and a reserve that lets deletes through on a full disk.

A full disk must not need an operator. Uploads fail with ``StorageFullError`` (507), but the
users who could free space by deleting must still be able to: a database needs room to record
a delete (SQLite appends it to its write-ahead log), so the server keeps a reserve file beside
the catalog and gives it up when a delete fails for space, runs the delete once more, and
takes the room back when it can. Readiness reports free space below a configured floor, so a
load balancer sees a filling disk before writes start to fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from weighthouse.domain.errors import StorageFullError

T = TypeVar("T")


class DiskRoom(Protocol):
    """The free space of the places where the server stores files, and the reserve."""

    def check_free(self) -> None:
        """Raise :class:`StorageFullError` when a place has less free space than the floor;
        first take the reserve back if it was given up and there is room for it again."""
        ...

    def release_reserve(self) -> bool:
        """Give the reserve's room to the file system. ``True`` if there was any to give;
        ``False`` when it was already given up (or there is none). Never raises."""
        ...

    def restore_reserve(self) -> None:
        """Take the reserve's room back if it was given up and fits now. Never raises."""
        ...


class NoDiskRoom:
    """No floor and no reserve: for catalogs and stores that keep no local files."""

    def check_free(self) -> None:
        return None

    def release_reserve(self) -> bool:
        return False

    def restore_reserve(self) -> None:
        return None


def freeing_room(room: DiskRoom, delete: Callable[[], T]) -> T:
    """Run ``delete``; when it fails for space, give up the reserve and run it once more, then
    take the reserve back if the delete made room. Only deletes may use this: anything that
    adds data would eat the reserve meant for them."""
    try:
        return delete()
    except StorageFullError:
        if not room.release_reserve():
            raise
    try:
        return delete()
    finally:
        room.restore_reserve()
