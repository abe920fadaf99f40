"""GGUF (versions 2 and 3): magic, version, tensor and key-value counts, the metadata key-values,
then one info per tensor (name, dims, ggml type, offset), all little-endian, as the ggml
project's ``docs/gguf.md`` lays it out. Only the header is read, never the tensor data."""

from __future__ import annotations

import math
import struct
from typing import Any

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect.report import MAX_DIMS, MAX_TENSORS, FileReport, TensorInfo
from weighthouse.apps.weight_files import BoundedReader

MAGIC = b"GGUF"
MAX_KEYS = 1_000_000
MAX_STRING = 16 * 1024 * 1024
DEFAULT_ALIGNMENT = 32
KEPT_STRING = 1024
"""Metadata strings are recorded up to this many characters (a chat template runs to pages)."""

GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
    10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
    17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
    23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
    30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}  # fmt: skip

# Value types: struct format of the fixed-size ones; 8 is a string and 9 an array.
SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}  # fmt: skip
STRING, ARRAY = 8, 9
VALUE_TYPES = {
    0: "uint8", 1: "int8", 2: "uint16", 3: "int16", 4: "uint32", 5: "int32", 6: "float32",
    7: "bool", 8: "string", 9: "array", 10: "uint64", 11: "int64", 12: "float64",
}  # fmt: skip


def looks_like(head: bytes) -> bool:
    return head[:4] == MAGIC


def read(reader: BoundedReader) -> FileReport:
    if reader.exactly(4, "GGUF magic") != MAGIC:
        raise AppFailed("not a GGUF file")
    (version,) = _unpack(reader, "<I")
    if version not in (2, 3):
        raise AppFailed(f"GGUF version {version} is not supported (2 and 3 are)")
    tensor_count, kv_count = _unpack(reader, "<QQ")
    # Each key-value takes at least 12 bytes and each tensor info at least 24: a count the rest
    # of the file cannot hold is a forgery, refused before any loop runs.
    if kv_count > min(MAX_KEYS, reader.remaining() // 12):
        raise AppFailed(f"GGUF claims {kv_count} metadata keys, more than the file can hold")
    if tensor_count > min(MAX_TENSORS, reader.remaining() // 24):
        raise AppFailed(f"GGUF claims {tensor_count} tensors, more than the file can hold")
    report = FileReport("gguf", metadata={"gguf.version": version})
    for _ in range(kv_count):
        key = _string(reader)
        (kind,) = _unpack(reader, "<I")
        report.metadata[key] = _value(reader, kind)
    last_offset = 0
    for _ in range(tensor_count):
        name = _string(reader)
        (n_dims,) = _unpack(reader, "<I")
        if n_dims > MAX_DIMS:
            raise AppFailed(f"GGUF tensor {name!r} has {n_dims} dimensions")
        dims = _unpack(reader, f"<{n_dims}Q")
        ggml_type, offset = _unpack(reader, "<IQ")
        last_offset = max(last_offset, offset)
        dtype = GGML_TYPES.get(ggml_type, f"ggml_type_{ggml_type}")
        # GGUF lists dimensions fastest first; report them in the usual row-major order.
        report.tensors.append(TensorInfo(name, dtype, tuple(reversed(dims))))
    alignment = report.metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0:
        raise AppFailed(f"GGUF alignment {alignment!r} is not a positive number")
    data_start = -(-reader.tell() // alignment) * alignment
    if tensor_count and data_start + last_offset >= reader.size:
        raise AppFailed("truncated file: GGUF tensor data starts past the end of the file")
    return report


def _unpack(reader: BoundedReader, fmt: str) -> tuple[Any, ...]:
    return struct.unpack(fmt, reader.exactly(struct.calcsize(fmt), "GGUF header"))


def _string(reader: BoundedReader) -> str:
    (size,) = _unpack(reader, "<Q")
    if size > MAX_STRING:
        raise AppFailed(f"GGUF string of {size} bytes")
    return reader.exactly(size, "GGUF string").decode("utf-8", "replace")


def _value(reader: BoundedReader, kind: int) -> Any:
    if kind in SCALARS:
        value = _unpack(reader, SCALARS[kind])[0]
        # JSON has no NaN or infinity: such a float is recorded as its text.
        return str(value) if isinstance(value, float) and not math.isfinite(value) else value
    if kind == STRING:
        return _string(reader)[:KEPT_STRING]
    if kind != ARRAY:
        raise AppFailed(f"GGUF metadata value of unknown type {kind}")
    item_kind, count = _unpack(reader, "<IQ")
    if item_kind == ARRAY or item_kind not in VALUE_TYPES:
        raise AppFailed(f"GGUF array of unsupported type {item_kind}")
    if item_kind in SCALARS:
        # Fixed-size items are skipped whole: a vocabulary's scores need not be decoded.
        _skip(reader, count * struct.calcsize(SCALARS[item_kind]))
    else:
        if count > reader.remaining() // 8:
            raise AppFailed(f"GGUF array of {count} strings, more than the file can hold")
        for _ in range(count):
            _string(reader)
    # Arrays (vocabularies, merges) are recorded by type and length, not copied.
    return {"array": VALUE_TYPES[item_kind], "length": count}


def _skip(reader: BoundedReader, size: int) -> None:
    if size > reader.remaining():
        raise AppFailed("truncated file: GGUF array runs past its end")
    reader.seek(size, 1)
