from __future__ import annotations

import json
import struct

import pytest

from weighthouse.frontends.hf.safetensors import parameter_counts, summary

pytestmark = pytest.mark.unit


def safetensors_file(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = 4
        for d in shape:
            size *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


def counts_of(data: bytes) -> dict[str, int] | None:
    return parameter_counts(lambda offset, length: data[offset : offset + length], len(data))


def test_counts_parameters_per_dtype() -> None:
    data = safetensors_file({"a": ("F32", [3, 4]), "b": ("F32", [5]), "c": ("F16", [2, 2, 2])})
    assert counts_of(data) == {"F32": 17, "F16": 8}
    assert summary([counts_of(data), {"F32": 3}]) == {
        "parameters": {"F32": 20, "F16": 8},
        "total": 28,
    }


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff" * 8 + b"{}",
        struct.pack("<Q", 2) + b"[]",
        struct.pack("<Q", 5) + b"{nope",
        struct.pack("<Q", 30) + b'{"a": {"dtype": "F32", "shape": [-1]}}',
    ],
)
def test_unreadable_headers_are_unknown(data: bytes) -> None:
    assert counts_of(data) is None
    assert summary([counts_of(data), {"F32": 1}]) is None
