"""Reading an object joined from its parts' blobs (see
:class:`~weighthouse.domain.model.ManifestPart`) as one blob."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence
from itertools import accumulate

from weighthouse.domain.errors import BlobMissingError, InvalidInputError, StorageError
from weighthouse.domain.model import ManifestPart
from weighthouse.domain.ports import BlobReader, BlobStore, FileSpan, LocalFile


class JoinedReader(BlobReader):
    """The bytes of the blobs of ``parts``, one after another, as one blob.

    Opens one part at a time, as reads reach it, so an object of ten thousand parts holds one
    open blob. A part opened late is still the bytes the object had when this reader was made
    unless the object was replaced meanwhile and the garbage collector's grace period (hours)
    ran out during the read. Reads from several threads are serialised. Raises
    ``BlobMissingError`` when a part's blob is missing or not the size the manifest says.
    ``opener`` opens part ``index`` (its blob ``sha256``) instead of the store, to decrypt it.
    """

    def __init__(
        self,
        blobs: BlobStore,
        parts: Sequence[ManifestPart],
        *,
        opener: Callable[[int, str], BlobReader] | None = None,
    ) -> None:
        self._blobs = blobs
        self._opener = opener
        self._parts = tuple(parts)
        self._starts = [0, *accumulate(part.size for part in self._parts)]
        self.size = self._starts[-1]
        self._lock = threading.Lock()
        self._index = -1
        self._open: BlobReader | None = None
        self._closed = False

    def read_range(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise InvalidInputError("offset and length must not be negative")
        if offset > self.size:
            raise InvalidInputError("offset past the end of the blob", offset=offset)
        end = min(self.size, offset + length)
        pieces: list[bytes] = []
        with self._lock:
            position = offset
            while position < end:
                index = bisect.bisect_right(self._starts, position) - 1
                reader = self._reader(index)
                start = self._starts[index]
                want = min(end, self._starts[index + 1]) - position
                data = reader.read_range(position - start, want)
                if len(data) != want:
                    missing = self._parts[index].sha256
                    raise StorageError("a part's blob ended early", sha256=missing)
                pieces.append(data)
                position += want
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _reader(self, index: int) -> BlobReader:
        if self._closed:
            raise StorageError("the reader is closed")
        if index == self._index and self._open is not None:
            return self._open
        if self._open is not None:
            self._open.close()
            self._open = None
        part = self._parts[index]
        if self._opener is not None:
            reader = self._opener(index, part.sha256)
        else:
            reader = self._blobs.reader(part.sha256)
        if reader.size != part.size:
            reader.close()
            raise BlobMissingError(
                f"blob {part.sha256} has {reader.size} bytes, the manifest says {part.size}",
                sha256=part.sha256,
            )
        self._index, self._open = index, reader
        return reader

    def local_file(self) -> LocalFile | None:
        return None

    def local_spans(self, offset: int, length: int) -> list[FileSpan] | None:
        """One span per part the range touches, each part's blob opened in turn to find its
        file (one at a time, as reads do); ``None`` as soon as one part is not a local file."""
        if offset < 0 or length < 0 or offset > self.size:
            raise InvalidInputError("the range lies outside the blob", offset=offset)
        end = min(self.size, offset + length)
        spans: list[FileSpan] = []
        position = offset
        with self._lock:
            if self._closed:
                raise StorageError("the reader is closed")
            while position < end:
                index = bisect.bisect_right(self._starts, position) - 1
                start = self._starts[index]
                want = min(end, self._starts[index + 1]) - position
                local = self._reader(index).local_file()
                if local is None:
                    return None
                spans.append(FileSpan(local.path, position - start, want))
                position += want
        return spans

    def presigned_url(self, expires_in: int) -> str | None:
        return None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._open is not None:
                self._open.close()
                self._open = None
