"""safetensors: an 8-byte little-endian header length, a JSON header, then the raw data.

The header maps each tensor's name to ``{dtype, shape, data_offsets}`` and may hold a
``__metadata__`` map of strings (https://github.com/huggingface/safetensors, "Format").
"""

from __future__ import annotations

import json
import struct

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect.report import MAX_TENSORS, FileReport, TensorInfo, checked_shape
from weighthouse.apps.weight_files import BoundedReader

MAX_HEADER = 100 * 1024 * 1024
"""The safetensors library's own limit on the header."""


def looks_like(head: bytes) -> bool:
    return len(head) >= 9 and head[8:9] == b"{"


def read(reader: BoundedReader) -> FileReport:
    (size,) = struct.unpack("<Q", reader.exactly(8, "safetensors header length"))
    if size > MAX_HEADER:
        raise AppFailed(f"safetensors header of {size} bytes is over {MAX_HEADER}")
    raw = reader.exactly(size, "safetensors header")
    data_size = reader.size - 8 - size
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise AppFailed(f"safetensors header is not JSON: {e}") from None
    if not isinstance(header, dict) or len(header) > MAX_TENSORS:
        raise AppFailed("safetensors header is not a map of tensors")
    report = FileReport("safetensors")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise AppFailed("safetensors __metadata__ is not a map")
    report.metadata = {str(k): str(v)[:1024] for k, v in list(metadata.items())[:256]}
    for name, entry in header.items():
        report.tensors.append(_tensor(name, entry, data_size))
    return report


def _tensor(name: str, entry: object, data_size: int) -> TensorInfo:
    if not isinstance(entry, dict) or not isinstance(entry.get("dtype"), str):
        raise AppFailed(f"safetensors entry {name!r} has no dtype")
    try:
        shape = checked_shape(entry.get("shape"), f"safetensors tensor {name!r}")
    except ValueError as e:
        raise AppFailed(str(e)) from None
    offsets = entry.get("data_offsets")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) for o in offsets)
        or not 0 <= offsets[0] <= offsets[1] <= data_size
    ):
        raise AppFailed(f"safetensors tensor {name!r} has data offsets outside the file")
    return TensorInfo(name, entry["dtype"], shape)
