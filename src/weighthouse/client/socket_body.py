"""Receiving a large plain-HTTP download body straight from its socket.

Through httpx every 64 KiB of a body is copied three times in Python (the socket read, h11's
buffer, the event it hands out) and passes through a dozen Python calls; a profile of a
512 MiB pull spent four times curl's CPU, and on a shared machine a download's speed follows
its CPU time. Here the receiving thread reads with ``recv_into`` into reusable 128 KiB buffers
and writes each to the file at once, while it is still in the core's cache: handing a 1 MiB
buffer to a writing thread on the other core made the kernel's copy into the page cache the
largest cost of a pull (perf: eight times curl's for the same bytes; 1.9 s against 1.1 s of
system CPU per GiB, median of eight interleaved runs). A second thread hashes the buffers in
order and gives them back, and a third asks the kernel to start writing the file back as it
grows, a call that can wait on the disk's queue and so stays off the receiving thread. File
writes, ``recv_into`` and ``hashlib`` release the GIL; no byte is copied by Python, and memory
stays at ``BUFFERS`` buffers.

Only what is certainly the body's plaintext is read this way: a plain-HTTP/1.1 response with a
``Content-Length`` and no content coding, whose connection httpx opened as a plain socket
(HTTPS, and so a TLS tunnel inside a TLS proxy, keeps the httpx path). The connection is not
reused afterwards: its HTTP state says the body was not read, so httpcore closes it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType

import httpx

from weighthouse.client.file_writer import Digest, start_writeback

MIN_BYTES = 8 << 20
"""Smaller bodies take the httpx path and keep their connection for the next request."""
# Small enough to stay in a core's cache between the read and the write.
BUFFER_BYTES = 128 << 10
# How far hashing may lag behind receiving: 8 MiB.
BUFFERS = 64
# Written data the kernel is asked to start writing back, at a time.
WRITEBACK_BYTES = 32 << 20


def direct_socket(response: httpx.Response) -> socket.socket | None:
    """The socket the rest of ``response``'s body may be read from, or ``None`` when only
    httpx can read it (see the module's rules)."""
    if response.url.scheme != "http" or response.http_version != "HTTP/1.1":
        return None
    headers = response.headers
    if headers.get("content-encoding", "identity").lower() != "identity":
        return None
    if "transfer-encoding" in headers or body_length(response) < MIN_BYTES:
        return None
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
        return None
    return sock


def body_length(response: httpx.Response) -> int:
    """The ``Content-Length`` of ``response``, or -1 when it has none (or a bad one)."""
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else -1


def receive_body(
    response: httpx.Response,
    sock: socket.socket,
    fd: int,
    digest: Digest,
    on_bytes: Callable[[int], object] | None = None,
) -> None:
    """Write the body of ``response`` to ``fd`` from its current offset and feed it to
    ``digest``, reading past what httpx already holds straight from ``sock``.

    Raises ``httpx.RemoteProtocolError`` when the connection ends early, ``httpx.ReadTimeout``
    when nothing arrives within the socket's timeout, ``httpx.ReadError`` for other socket
    errors, and whatever writing raised (e.g. a full disk). On an error, what was not yet
    written is dropped; the caller owns ``fd``, its ``fsync`` and its closing.
    """
    remaining = body_length(response)
    # httpx has read the headers and perhaps some of the body; the first piece it hands out is
    # all it holds, since h11 gives out its whole buffer in one event and reads no further.
    # The iterator is kept until the end: dropping it would close the connection.
    pieces = response.iter_raw()
    first = next(pieces, b"")
    remaining -= len(first)
    with _Stages(fd, digest) as stages:
        stages.take(None, memoryview(first))
        if on_bytes is not None and first:
            on_bytes(len(first))
        while remaining > 0:
            buffer = stages.free_buffer()
            view = memoryview(buffer)[: min(len(buffer), remaining)]
            _fill(sock, view)
            stages.take(buffer, view)
            remaining -= len(view)
            if on_bytes is not None:
                on_bytes(len(view))
    del pieces


def _fill(sock: socket.socket, view: memoryview) -> None:
    filled = 0
    try:
        while filled < len(view):
            got = sock.recv_into(view[filled:])
            if not got:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            filled += got
    except TimeoutError:
        raise httpx.ReadTimeout("timed out waiting for the body") from None
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__) from None


_Item = tuple[bytearray | None, memoryview]


class _Stages:
    """Writes on the calling thread; hashes on one thread and starts write-back on another.
    Buffers come back to :meth:`free_buffer` once hashed."""

    def __init__(self, fd: int, digest: Digest) -> None:
        self._fd = fd
        self._digest = digest
        self._free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(BUFFERS):
            self._free.put(bytearray(BUFFER_BYTES))
        self._to_hash: queue.Queue[_Item | None] = queue.Queue()
        self._to_write_back: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self._error: BaseException | None = None
        self._abandoned = False
        self._offset = self._flushed = os.lseek(fd, 0, os.SEEK_CUR)
        self._threads = [
            threading.Thread(target=self._hash_loop, name="download-hasher", daemon=True),
            threading.Thread(target=self._write_back_loop, name="download-flusher", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def free_buffer(self) -> bytearray:
        # Buffers come back even after an error (hashing is then skipped), so this never
        # waits for ever.
        buffer = self._free.get()
        if self._error is not None:
            raise self._error
        return buffer

    def take(self, buffer: bytearray | None, view: memoryview) -> None:
        """Write ``view`` at the file's current offset, then queue it for hashing; a
        failed write (e.g. a full disk) raises here."""
        if self._error is not None:
            raise self._error
        try:
            piece = view
            while piece:
                piece = piece[os.write(self._fd, piece) :]
        except BaseException:
            if buffer is not None:
                self._free.put(buffer)
            raise
        self._offset += len(view)
        if self._offset - self._flushed >= WRITEBACK_BYTES:
            self._to_write_back.put((self._flushed, self._offset - self._flushed))
            self._flushed = self._offset
        self._to_hash.put((buffer, view))

    def __enter__(self) -> _Stages:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._abandoned = kind is not None
        self._to_hash.put(None)
        self._to_write_back.put(None)
        for thread in self._threads:
            thread.join()
        if kind is None and self._error is not None:
            raise self._error

    def _hash_loop(self) -> None:
        while (item := self._to_hash.get()) is not None:
            buffer, view = item
            if self._error is None and not self._abandoned:
                try:
                    self._digest.update(view)
                except BaseException as exc:  # raised on the receiving thread
                    self._error = exc
            if buffer is not None:
                self._free.put(buffer)

    def _write_back_loop(self) -> None:
        while (item := self._to_write_back.get()) is not None:
            if not self._abandoned:
                # Only a head start for the fsync before the rename, which still decides
                # durability; a file system that refuses the hint loses nothing but speed.
                with contextlib.suppress(OSError):
                    start_writeback(self._fd, *item)
