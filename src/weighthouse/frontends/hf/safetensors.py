"""Parameter counts from the headers of ``.safetensors`` files, as repo info reports them.

A safetensors file starts with an 8-byte little-endian length and a JSON header naming every
tensor's dtype and shape, so the counts cost one short read per file, never the weights.
Anything unexpected (a header too long, not JSON, odd shapes) means "not known" for that file.
Repo info takes the counts of the ``inspect`` app, which every push queues, and reads a header
here only for a file it has not inspected yet.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import Any

HEADER_MAX = 16 * 2**20
"""Longest header read; real ones are a few KiB to a few MiB."""
FILES_MAX = 200
"""Most files counted for one repo info answer; more (a huge shard set) reports nothing."""

Read = Callable[[int, int], bytes]


def parameter_counts(read: Read, size: int) -> dict[str, int] | None:
    """Parameters per dtype in one file, or ``None`` when its header cannot be read."""
    if size < 8:
        return None
    (length,) = struct.unpack("<Q", read(0, 8))
    if length > min(HEADER_MAX, size - 8):
        return None
    try:
        header = json.loads(read(8, length))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    counts: dict[str, int] = {}
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(tensor, dict):
            return None
        dtype, shape = tensor.get("dtype"), tensor.get("shape")
        if not isinstance(dtype, str) or not isinstance(shape, list):
            return None
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            return None
        counts[dtype] = counts.get(dtype, 0) + math.prod(shape)
    return counts


def summary(per_file: list[dict[str, int] | None]) -> dict[str, Any] | None:
    """``{"parameters": {dtype: n}, "total": n}`` over every file, if every file was read."""
    if not per_file or len(per_file) > FILES_MAX or any(c is None for c in per_file):
        return None
    parameters: dict[str, int] = {}
    for counts in per_file:
        assert counts is not None
        for dtype, n in counts.items():
            parameters[dtype] = parameters.get(dtype, 0) + n
    return {"parameters": parameters, "total": sum(parameters.values())}
