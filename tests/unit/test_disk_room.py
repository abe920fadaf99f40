"""The readiness floor and the reserve file, on the real file system of the test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from weighthouse.disk_room import LocalDiskRoom, free_bytes
from weighthouse.domain.errors import StorageFullError

pytestmark = pytest.mark.unit

MIB = 2**20


def test_free_space_under_the_floor_is_reported_by_place_name_not_path(tmp_path: Path) -> None:
    LocalDiskRoom({"data dir": tmp_path}, floor=0).check_free()
    room = LocalDiskRoom({"data dir": tmp_path}, floor=free_bytes(tmp_path) + 2**40)
    with pytest.raises(StorageFullError) as raised:
        room.check_free()
    assert raised.value.fields["place"] == "data dir"
    assert str(tmp_path) not in raised.value.message


def test_the_reserve_is_made_released_once_and_made_again(tmp_path: Path) -> None:
    reserve = tmp_path / "weighthouse.reserve"
    room = LocalDiskRoom({"data dir": tmp_path}, floor=0, reserve=reserve, reserve_bytes=MIB)
    room.restore_reserve()
    assert reserve.stat().st_size == MIB
    assert reserve.stat().st_blocks * 512 >= MIB  # allocated, not sparse
    assert room.release_reserve() is True
    assert not reserve.exists()
    assert room.release_reserve() is False
    room.check_free()  # readiness takes the room back once there is some
    assert reserve.stat().st_size == MIB
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weighthouse.reserve"]


def test_the_reserve_is_not_taken_back_when_that_would_fill_the_disk(tmp_path: Path) -> None:
    reserve = tmp_path / "weighthouse.reserve"
    floor = free_bytes(tmp_path)  # the reserve on top of this floor cannot fit
    room = LocalDiskRoom({"data dir": tmp_path}, floor=floor, reserve=reserve, reserve_bytes=MIB)
    room.restore_reserve()
    assert not reserve.exists()
    assert list(tmp_path.iterdir()) == []


def test_no_reserve_when_its_size_is_zero(tmp_path: Path) -> None:
    room = LocalDiskRoom({"data dir": tmp_path}, floor=0, reserve=tmp_path / "r", reserve_bytes=0)
    room.restore_reserve()
    assert room.release_reserve() is False
    assert list(tmp_path.iterdir()) == []
