"""A TCP proxy on loopback that cuts one download short: the first connection on which the
server has sent more than ``cut_after`` bytes is closed at that point, as a flaky network
would. It also keeps what clients sent, so a test can see the ``Range`` of the retry."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

_PIECE = 1 << 16


@dataclass
class CuttingProxy:
    upstream_port: int
    cut_after: int
    cuts: int = 0
    requests: bytearray = field(default_factory=bytearray)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _listener: socket.socket | None = field(default=None, repr=False)
    _threads: list[threading.Thread] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        assert self._listener is not None, "the proxy is not started"
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> CuttingProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._listener is not None
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
            self._spawn(self._upstream, client, server)
            self._spawn(self._downstream, server, client)

    def _upstream(self, client: socket.socket, server: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while piece := client.recv(_PIECE):
                with self._lock:
                    self.requests += piece
                server.sendall(piece)
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_WR)

    def _downstream(self, server: socket.socket, client: socket.socket) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while piece := server.recv(_PIECE):
                with self._lock:
                    cut = self.cuts == 0 and sent + len(piece) > self.cut_after
                    if cut:
                        self.cuts += 1
                if cut:
                    client.sendall(piece[: self.cut_after - sent])
                    break
                client.sendall(piece)
                sent += len(piece)
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
