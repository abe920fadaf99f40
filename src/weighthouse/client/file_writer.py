"""Writing a download to disk and hashing it on a thread of its own.

The thread that reads the socket then does nothing else: file writes and ``hashlib`` release
the GIL, so with a spare core receiving, writing and hashing overlap instead of taking turns
(a profile of a pull spent a third of its time in ``write`` and a quarter in
``sha256.update``, both on the receiving thread). Pieces are handed over in batches of about
a megabyte and written with one ``writev`` each, without joining them into a copy; the
kernel is asked to start writing them back as it goes, so the ``fsync`` before the rename
has less left to do.
"""

from __future__ import annotations

import os
import queue
import threading
from types import TracebackType
from typing import Protocol

BATCH_BYTES = 1 << 20
# writev takes at most IOV_MAX (1024 on Linux) pieces at once.
BATCH_PIECES = 512
# Batches waiting for the writer: a bounded amount of memory (DEPTH MiB at most).
DEPTH = 16
# Written data the kernel is asked to start writing back, at a time.
WRITEBACK_BYTES = 32 << 20


class Digest(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...


class HashingWriter:
    """Writes pieces to the file descriptor ``fd`` from its current offset and feeds them to
    ``digest``, in order, on a thread of its own.

    ``write`` only queues, blocking while ``DEPTH`` batches wait, so memory stays bounded.
    ``close`` (or leaving the ``with`` block normally) hands over the rest, waits, and
    re-raises the thread's error; after such an error ``write`` raises it at once, so a full
    disk stops the download. Leaving the block by an exception stops the thread without
    writing the rest. The caller still owns ``fd``, its ``fsync`` and its closing.
    """

    def __init__(self, fd: int, digest: Digest) -> None:
        self._fd = fd
        self._digest = digest
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(DEPTH)
        self._error: BaseException | None = None
        self._abandoned = False
        self._offset = self._flushed = os.lseek(fd, 0, os.SEEK_CUR)
        self._thread = threading.Thread(target=self._run, name="download-writer", daemon=True)
        self._thread.start()

    def write(self, piece: bytes) -> None:
        if not piece:
            return
        self._batch.append(piece)
        self._batch_bytes += len(piece)
        if self._batch_bytes >= BATCH_BYTES or len(self._batch) >= BATCH_PIECES:
            self._hand_over()

    def close(self) -> None:
        """Write what is left, wait, and raise the thread's error if it had one."""
        if self._batch:
            self._hand_over()
        self._stop()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
            return
        self._abandoned = True
        self._batch = []
        self._stop()

    def _hand_over(self) -> None:
        if self._error is not None:
            raise self._error
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        self._queue.put(batch)

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is not None or self._abandoned:
                continue  # keep draining, so a write() blocked on a full queue wakes up
            try:
                self._write_all(batch)
                for piece in batch:
                    self._digest.update(piece)
            except BaseException as exc:  # handed to the receiving thread by write()/close()
                self._error = exc

    def _write_all(self, pieces: list[bytes]) -> None:
        views = [memoryview(p) for p in pieces]
        while views:
            written = os.writev(self._fd, views)
            self._offset += written
            while written:
                if written >= len(views[0]):
                    written -= len(views.pop(0))
                else:
                    views[0] = views[0][written:]
                    written = 0
        if self._offset - self._flushed >= WRITEBACK_BYTES:
            start_writeback(self._fd, self._flushed, self._offset - self._flushed)
            self._flushed = self._offset


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range back to disk, without waiting for it."""
    # On Linux POSIX_FADV_DONTNEED starts write-back of the range's dirty pages and drops
    # the clean ones; nothing here reads them back. Elsewhere it is only a hint.
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)
