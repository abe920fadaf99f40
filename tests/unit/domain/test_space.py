"""Deletes on a full disk: the reserve is given up once, and only when a delete needs it."""

from __future__ import annotations

import pytest

from weighthouse.domain.errors import StorageError, StorageFullError
from weighthouse.domain.space import NoDiskRoom, freeing_room

pytestmark = pytest.mark.unit


class CountingRoom:
    def __init__(self, reserve: bool = True) -> None:
        self.reserve = reserve
        self.released = 0
        self.restored = 0

    def check_free(self) -> None:
        return None

    def release_reserve(self) -> bool:
        had, self.reserve = self.reserve, False
        self.released += 1
        return had

    def restore_reserve(self) -> None:
        self.restored += 1
        self.reserve = True


def failing(times: int, error: Exception):  # type: ignore[no-untyped-def]
    calls = []

    def delete() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "deleted"

    return delete, calls


def test_a_delete_that_fits_leaves_the_reserve_alone() -> None:
    room = CountingRoom()
    delete, calls = failing(0, StorageFullError("full"))
    assert freeing_room(room, delete) == "deleted"
    assert (len(calls), room.released, room.restored) == (1, 0, 0)


def test_a_delete_that_fails_for_space_runs_again_on_the_reserve_then_takes_it_back() -> None:
    room = CountingRoom()
    delete, calls = failing(1, StorageFullError("full"))
    assert freeing_room(room, delete) == "deleted"
    assert (len(calls), room.released, room.restored) == (2, 1, 1)


def test_without_a_reserve_the_full_disk_error_stands() -> None:
    delete, calls = failing(1, StorageFullError("full"))
    with pytest.raises(StorageFullError):
        freeing_room(NoDiskRoom(), delete)
    assert len(calls) == 1


def test_other_storage_errors_never_spend_the_reserve() -> None:
    room = CountingRoom()
    delete, _ = failing(1, StorageError("down"))
    with pytest.raises(StorageError):
        freeing_room(room, delete)
    assert room.released == 0
