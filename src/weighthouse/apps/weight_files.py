"""Which files of an input repo the inspection apps look at, and bounded reads of them.

Apps read hostile bytes: every length taken from a file is checked against what is left of it
before anything is allocated, so a forged header costs a clear error, not gigabytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, BinaryIO

from weighthouse.apps.contract import AppContext, AppFailed, InputFile, InputRepo

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".bin", ".pt", ".pth", ".ckpt")

PATHS_SCHEMA: Mapping[str, Any] = {"type": "array"}
"""Repo paths to look at instead of every matching file of the input (checked by
:func:`selected_files`: the schema subset has no ``items``)."""

RESULT_FILES_SCHEMA: Mapping[str, Any] = {"type": "boolean", "default": True}
"""``false``: write no result files and keep everything in the job's output instead, for jobs
with nowhere to commit files (those a push queues)."""


class BoundedReader:
    """Reads a seekable stream without ever asking it for more than is left of it."""

    def __init__(self, stream: BinaryIO, size: int | None = None) -> None:
        self._stream = stream
        if size is None:
            here = stream.tell()
            size = stream.seek(0, 2)
            stream.seek(here)
        self.size = size

    def window(self, length: int) -> BoundedReader:
        """A reader of the same stream that ends ``length`` bytes from here at the latest."""
        return BoundedReader(self._stream, min(self.size, self.tell() + length))

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._stream.tell()

    def remaining(self) -> int:
        return self.size - self._stream.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def read(self, n: int = -1) -> bytes:
        left = max(self.remaining(), 0)
        return self._stream.read(left if n < 0 else min(n, left))

    def readline(self, limit: int = -1) -> bytes:
        # pickletools asks for text lines (protocol 0): a line never runs past the file's end.
        left = max(self.remaining(), 0)
        return self._stream.readline(left if limit < 0 else min(limit, left))

    def exactly(self, n: int, what: str) -> bytes:
        """``n`` bytes, or :class:`AppFailed` naming ``what`` when the file ends first."""
        if n < 0 or n > self.remaining():
            raise AppFailed(f"truncated file: {what} needs {n} bytes, {self.remaining()} left")
        return self._stream.read(n)


def selected_files(
    context: AppContext, repo: InputRepo, suffixes: Sequence[str]
) -> list[InputFile]:
    """The files named by the ``paths`` parameter, or else every file with one of ``suffixes``.

    Raises :class:`AppFailed` for a ``paths`` value that is not a list of strings or names a
    file that is not in the input's commit.
    """
    files = repo.files()
    paths = context.params.get("paths")
    if paths is None:
        return [f for f in files if f.path.lower().endswith(tuple(suffixes))]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise AppFailed("'paths' must be a list of repo paths")
    by_path = {f.path: f for f in files}
    missing = [p for p in paths if p not in by_path]
    if missing:
        raise AppFailed(f"not in {repo.name}@{repo.commit[:12]}: {', '.join(missing[:5])}")
    return [by_path[p] for p in dict.fromkeys(paths)]
