"""The download writer: bytes land in order and are hashed, errors reach the caller."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from weighthouse.client import file_writer
from weighthouse.client.file_writer import HashingWriter

pytestmark = pytest.mark.unit


def pieces(total: int, size: int) -> list[bytes]:
    data = os.urandom(total)
    return [data[i : i + size] for i in range(0, total, size)]


@pytest.mark.parametrize("size", [1, 1000, 65536, 3 << 20])
def test_bytes_land_in_order_after_the_offset_and_are_hashed(tmp_path: Path, size: int) -> None:
    chunks = pieces(5 << 20 if size > 1 else 70_000, size)
    path = tmp_path / "part"
    path.write_bytes(b"kept")
    digest = hashlib.sha256(b"kept")
    fd = os.open(path, os.O_WRONLY)
    try:
        os.lseek(fd, 4, os.SEEK_SET)
        with HashingWriter(fd, digest) as writer:
            for chunk in chunks:
                writer.write(chunk)
                writer.write(b"")
    finally:
        os.close(fd)
    expected = b"kept" + b"".join(chunks)
    assert path.read_bytes() == expected
    assert digest.hexdigest() == hashlib.sha256(expected).hexdigest()


def test_a_write_error_reaches_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, buffers: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(file_writer.os, "writev", full)
    fd = os.open(tmp_path / "part", os.O_WRONLY | os.O_CREAT)
    try:
        writer = HashingWriter(fd, hashlib.sha256())
        with pytest.raises(OSError, match="No space left"):
            for chunk in pieces(40 << 20, 1 << 20):  # more than the queue holds
                writer.write(chunk)
            writer.close()
    finally:
        os.close(fd)


def test_leaving_by_an_exception_stops_without_writing_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(RuntimeError), HashingWriter(fd, hashlib.sha256()) as writer:
            writer.write(b"x" * 100)
            raise RuntimeError("connection lost")
    finally:
        os.close(fd)
    assert path.stat().st_size == 0
