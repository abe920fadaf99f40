"""Reading local files in chunks: SHA-256 digests and upload bodies that never hold a whole
file in memory."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

CHUNK = 1 << 20

OnBytes = Callable[[int], object]


def sha256_file(path: Path, on_bytes: OnBytes | None = None) -> tuple[str, int]:
    """``(hex digest, size)`` of the file at ``path``; ``on_bytes(n)`` after each chunk."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    return digest.hexdigest(), size


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_chunks(path: Path, on_bytes: OnBytes | None = None) -> Iterator[bytes]:
    """The bytes of ``path`` in 1 MiB chunks, for a streaming request body.

    The file is opened when iteration starts and closed when it ends or is abandoned, so
    passing the generator to a request that fails early leaks nothing.
    """
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if on_bytes is not None:
                on_bytes(len(chunk))
            yield chunk
