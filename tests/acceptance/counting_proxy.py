"""A TCP proxy on loopback that counts the bytes passing each way, so a test can say how
much a client really sent to the server (headers, bodies, everything on the wire)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

_PIECE = 1 << 16


@dataclass
class CountingProxy:
    """Forwards every connection made to ``url`` to ``upstream_port`` on 127.0.0.1.

    ``sent``: bytes from clients to the server; ``received``: bytes back. Use ``reset()``
    between the steps a test measures. Start with ``with CountingProxy(port) as proxy``.
    """

    upstream_port: int
    sent: int = 0
    received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _listener: socket.socket | None = field(default=None, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        assert self._listener is not None, "the proxy is not started"
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def reset(self) -> None:
        with self._lock:
            self.sent = self.received = 0

    def __enter__(self) -> CountingProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._listener is not None
        # shutdown wakes the accept loop; closing alone does not on every platform.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=10)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._spawn(self._pump, client, server, True)
            self._spawn(self._pump, server, client, False)

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        with contextlib.suppress(OSError):
            for piece in _pieces(source):
                sink.sendall(piece)
                with self._lock:
                    if upstream:
                        self.sent += len(piece)
                    else:
                        self.received += len(piece)
        # Pass the end of the stream on, then let the other pump close the sockets.
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
        if not upstream:
            source.close()
            sink.close()


def _pieces(source: socket.socket) -> Iterator[bytes]:
    while piece := source.recv(_PIECE):
        yield piece
