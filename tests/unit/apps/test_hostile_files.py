"""Truncated, mutated, random and forged files: inspecting or scanning one ends quickly in a
clear :class:`AppFailed` (or a report of what could be read), never another exception, a hang
or a large allocation."""

from __future__ import annotations

import io
import random
import struct
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect.formats import inspect_stream
from weighthouse.apps.pickled import _hashable
from weighthouse.apps.scan.files import scan_stream

SAMPLES = ["model.safetensors", "model.gguf", "zip.pt", "legacy.bin", "model.onnx"]
MEMORY_LIMIT = 64 * 1024 * 1024


def outcome(path: str, data: bytes) -> str:
    """``report`` or ``failed``; any other exception fails the test."""
    try:
        inspect_stream(path, io.BytesIO(data))
    except AppFailed as e:
        assert str(e)
        return "failed"
    scan_stream(io.BytesIO(data))
    return "report"


def bounded(action: Callable[[], object]) -> None:
    """Run ``action`` and check it allocated at most :data:`MEMORY_LIMIT` bytes and ended in
    seconds (a generous bound: tracing allocations slows Python several times)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.monotonic() - started < 20
    assert peak < MEMORY_LIMIT, peak


@pytest.mark.parametrize("name", SAMPLES)
def test_every_truncation_fails_cleanly(samples: Path, name: str) -> None:
    data = (samples / name).read_bytes()
    results = [outcome(name, data[:cut]) for cut in range(0, len(data), max(1, len(data) // 300))]
    assert results[:9] == ["failed"] * 9
    assert outcome(name, data) == "report"


@pytest.mark.parametrize("name", SAMPLES)
def test_mutated_files_fail_cleanly(samples: Path, name: str) -> None:
    data = (samples / name).read_bytes()
    rng = random.Random(name)

    def mutate_all() -> None:
        for _ in range(100):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(min(len(data), 4096))] = rng.randrange(256)
            outcome(name, bytes(mutated))

    bounded(mutate_all)


@pytest.mark.parametrize("suffix", [".safetensors", ".gguf", ".pt", ".onnx", ".bin"])
@pytest.mark.parametrize("magic", [b"", b"GGUF\x03\x00\x00\x00", b"PK\x03\x04", b"\x80\x02"])
def test_random_bytes_fail_cleanly(suffix: str, magic: bytes) -> None:
    rng = random.Random(f"{suffix}{magic!r}")

    def garbage() -> None:
        for size in (0, 1, 7, 8, 9, 64, 4096):
            for _ in range(20):
                data = magic + rng.randbytes(size)
                assert outcome(f"x{suffix}", data) in ("failed", "report")

    bounded(garbage)


FORGED = {
    "safetensors header of 2**63 bytes": ("a.safetensors", struct.pack("<Q", 2**63) + b"{}"),
    "safetensors header nested 100000 deep": (
        "a.safetensors",
        struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000,
    ),
    "GGUF with 2**60 tensors": ("a.gguf", b"GGUF" + struct.pack("<IQQ", 3, 2**60, 0)),
    "GGUF key of 2**62 bytes": (
        "a.gguf",
        b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 2**62) + b"k" * 64,
    ),
    "GGUF array of 2**61 uint64": (
        "a.gguf",
        b"GGUF"
        + struct.pack("<IQQ", 3, 0, 1)
        + struct.pack("<Q", 1)
        + b"k"
        + struct.pack("<IIQ", 9, 10, 2**61)
        + b"\x00" * 64,
    ),
    "GGUF array of 2**40 strings": (
        "a.gguf",
        b"GGUF"
        + struct.pack("<IQQ", 3, 0, 1)
        + struct.pack("<Q", 1)
        + b"k"
        + struct.pack("<IIQ", 9, 8, 2**40)
        + b"\x00" * 64,
    ),
    "pickle BINBYTES8 of 2**62 bytes": ("a.pt", b"\x80\x04\x8e" + struct.pack("<Q", 2**62)),
    "pickle LONG4 of 2**31 bytes": ("a.pt", b"\x80\x02\x8b" + struct.pack("<i", 2**31 - 1)),
    "pickle BINUNICODE8 of 2**63 bytes": ("a.pt", b"\x80\x04\x8d" + struct.pack("<Q", 2**63)),
    "pickle of 100000 marks": ("a.pt", b"\x80\x02" + b"(" * 100_000 + b"."),
    "ONNX field of 2**62 bytes": ("a.onnx", b"\x08\x07\x3a" + b"\xff" * 8 + b"\x3f"),
    "ONNX varint that never ends": ("a.onnx", b"\x08" + b"\xff" * 100),
    "zip claiming a huge data.pkl": ("a.pt", b"PK\x05\x06" + b"\xff" * 18),
}


def test_deeply_nested_keys_are_never_hashed() -> None:
    # Hashing this tuple overflows CPython's C stack and kills the process.
    nested: tuple[object, ...] = ()
    for _ in range(1_000_000):
        nested = (nested,)
    assert _hashable(nested) == id(nested)
    assert _hashable("name") == "name"


def test_a_pickle_that_refers_to_itself_is_walked_once() -> None:
    found: list[str] = []
    bounded(lambda: found.append(outcome("a.pt", b"\x80\x02]q\x00h\x00a.")))
    assert found == ["report"]


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_lengths_fail_without_allocating(case: str) -> None:
    path, data = FORGED[case]
    found: list[str] = []
    bounded(lambda: found.append(outcome(path, data)))
    assert found == ["failed"]
