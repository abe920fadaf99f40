"""A TCP proxy for tests: ``python -m tests.acceptance.tcp_proxy PORT HOST TARGET_PORT``.

It forwards every connection on 127.0.0.1:PORT to HOST:TARGET_PORT and prints ``ready`` once it
listens. A test pauses it with SIGSTOP to make a silent partition: the kernel still accepts
connections and bytes on its sockets, but nothing reaches the other side and nothing comes back,
which is what a network that drops packets looks like to the client. SIGCONT heals it.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def serve(port: int, host: str, target_port: int) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection((host, target_port), timeout=10)
        except OSError:
            client.close()
            continue
        upstream.settimeout(None)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
