"""Which reader a weight file gets: by its first bytes, and for ONNX (which has no magic
number) by its name."""

from __future__ import annotations

from typing import BinaryIO

from weighthouse.apps.contract import AppFailed
from weighthouse.apps.inspect import gguf, onnx, pytorch, safetensors
from weighthouse.apps.inspect.report import FileReport
from weighthouse.apps.weight_files import BoundedReader


def inspect_stream(path: str, stream: BinaryIO) -> FileReport:
    """The report of one weight file; :class:`AppFailed` when it is not a readable safetensors,
    GGUF, ONNX or PyTorch file."""
    reader = BoundedReader(stream)
    head = reader.read(16)
    reader.seek(0)
    if gguf.looks_like(head):
        return gguf.read(reader)
    if pytorch.looks_like_zip(head):
        return pytorch.read_zip(reader)
    if path.lower().endswith(".onnx"):
        return onnx.read(reader)
    if safetensors.looks_like(head):
        return safetensors.read(reader)
    if head[:1] == b"\x80":
        return pytorch.read_pickle(reader)
    raise AppFailed("not a safetensors, GGUF, ONNX or PyTorch file")
