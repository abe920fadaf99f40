"""PyTorch checkpoints, read without executing them.

``torch.save`` writes either a zip (the default since PyTorch 1.6) whose ``<archive>/data.pkl``
pickles the object with storages as persistent ids and keeps each storage in
``<archive>/data/<key>``, or the legacy stream of five pickles (magic number, protocol version,
system info, the object, the storage keys) followed by the storages. Either way the object is
walked symbolically (:mod:`weighthouse.apps.pickled`); tensors are the calls to torch's rebuild
helpers, named by where they sit in the object (``model.layer.weight``).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Any

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect.report import MAX_TENSORS, FileReport, TensorInfo
from weighthouse.apps.pickled import Call, StorageRef, TensorRef, Walk, walk
from weighthouse.apps.weight_files import BoundedReader

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
ZIP_MAGIC = b"PK\x03\x04"
MAX_DEPTH = 64
ZIP_ERRORS = (
    zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError,
    struct.error, zlib.error, UnicodeDecodeError,
)  # fmt: skip
"""What :mod:`zipfile` raises on a damaged or unsupported archive."""
MODULE_MAPS = {"_modules", "_parameters", "_buffers"}

STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32",
}  # fmt: skip


def looks_like_zip(head: bytes) -> bool:
    return head[:4] == ZIP_MAGIC


def read_zip(reader: BoundedReader) -> FileReport:
    try:
        with zipfile.ZipFile(reader) as archive:
            pickles = [i for i in archive.infolist() if i.filename.endswith("/data.pkl")]
            if len(pickles) != 1:
                raise AppFailed("not a PyTorch checkpoint: no single <archive>/data.pkl")
            info = pickles[0]
            with archive.open(info) as member:
                walked = walk(BoundedReader(member, info.file_size))  # type: ignore[arg-type]
    except ZIP_ERRORS as e:
        raise AppFailed(f"unreadable zip: {str(e)[:200]}") from None
    return _report("pytorch-zip", walked)


def read_pickle(reader: BoundedReader) -> FileReport:
    """A legacy ``torch.save`` file, or a plain pickle of a state dict."""
    first = walk(reader)
    if first.result != LEGACY_MAGIC:
        return _report("pickle", first)
    walk(reader)  # protocol version
    walk(reader)  # system info: byte order and type sizes
    return _report("pytorch-legacy", walk(reader))


def _report(fmt: str, walked: Walk) -> FileReport:
    report = FileReport(fmt)
    for name, tensor in _tensors(walked.result):
        if len(report.tensors) >= MAX_TENSORS:
            raise AppFailed(f"checkpoint has more than {MAX_TENSORS} tensors")
        report.tensors.append(TensorInfo(name, _dtype(tensor.storage), tensor.shape))
    return report


def _dtype(storage: StorageRef) -> str:
    name = storage.type.name
    return STORAGE_DTYPES.get(name, name.removesuffix("Storage").lower())


def _tensors(root: Any) -> list[tuple[str, TensorRef]]:
    """Every tensor reachable from ``root`` with its dotted path; each object once, however
    often the pickle refers to it (its memo can even make cycles)."""
    found: list[tuple[str, TensorRef]] = []
    seen: set[int] = set()
    todo: list[tuple[str, Any, int]] = [("", root, 0)]
    while todo:
        path, value, depth = todo.pop()
        if id(value) in seen or depth > MAX_DEPTH:
            continue
        if isinstance(value, TensorRef):
            seen.add(id(value))
            found.append((path, value))
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(value, dict | list | tuple):
            children = _items(value)
        elif isinstance(value, Call):
            # A whole pickled module keeps its tensors in the state BUILD sets on it; its
            # module, parameter and buffer maps are left out of names, as state_dict() does.
            state = value.state
            if isinstance(state, dict):
                for key, child in state.items():
                    inner = key in MODULE_MAPS and isinstance(child, dict)
                    children.extend(_items(child) if inner else [(str(key), child)])
            else:
                children = [("", state)]
        else:
            continue
        seen.add(id(value))
        for key, child in reversed(children):
            todo.append((f"{path}.{key}" if path and key else key or path, child, depth + 1))
    return found


def _items(container: dict[Any, Any] | list[Any] | tuple[Any, ...]) -> list[tuple[str, Any]]:
    if isinstance(container, dict):
        return [(str(k), v) for k, v in container.items()]
    return [(str(i), v) for i, v in enumerate(container)]
