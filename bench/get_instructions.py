"""What one authenticated 4 KiB bucket GET costs the server's event-loop thread, without sockets.

    .venv/bin/python bench/get_instructions.py                 # CPU µs a GET, in one process
    .venv/bin/python bench/get_instructions.py --callgrind     # instructions a GET (valgrind)

The server's own HTTP protocol (``ZeroCopyHttpProtocol`` with the default limits) is fed the
request bytes wrk would send, over a transport that keeps what is written, on uvloop, in front
of the application ``weighthouse serve`` runs (SQLite and local disk in a temporary folder, the
collector prepared as at start-up). A user ``bench`` with a write token PUTs ``--keys`` 4 KiB
objects, then ``--gets`` GETs cycle over them, each answered in full before the next.

Timings on a shared machine move by 10-20 % from run to run, which hides a change of a few
per cent. ``--callgrind`` runs this script twice under ``valgrind --tool=callgrind`` (100 and
600 GETs, the same set-up) and prints the difference in instructions divided by the GETs:
repeatable to 1-2 %, whatever else the machine is doing. It takes a few minutes.

Another revision's server, for a before and after: ``PYTHONPATH=<its checkout>/src`` (for
example a worktree that ``transfer.py --baseline-rev`` left in
``~/.cache/weighthouse-bench/revisions/``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ADMIN = "wh_0123456789abcdef_" + "a" * 43
PREFIX = "/api/buckets/bench/objects/objects/"


class Recording(asyncio.Transport):
    """A transport that keeps what is written and resolves ``waiter`` once a whole response
    (head and ``Content-Length`` bytes of body) is there."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None

    def write(self, data: Any) -> None:
        self.written += data
        head, found, body = bytes(self.written).partition(b"\r\n\r\n")
        if not found or self.waiter is None or self.waiter.done():
            return
        length = re.search(rb"(?im)^content-length: *(\d+)", head)
        if length is not None and len(body) >= int(length[1]):
            self.waiter.set_result(head)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def request(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAuthorization: Bearer {token}\r\n"
    if method == "POST":
        head += "Content-Type: application/json\r\n"
    if method in ("POST", "PUT"):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def measure(keys: int, gets: int) -> float:
    """CPU seconds a GET, after the set-up."""
    import uvicorn

    from weighthouse.asgi import create_app
    from weighthouse.bootstrap import bootstrap, start
    from weighthouse.config import AdminSettings, Settings
    from weighthouse.file_sends import ZeroCopyHttpProtocol
    from weighthouse.frontends.http_limits import HttpLimits

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), admin=AdminSettings(token=SecretStr(ADMIN)))
        container = bootstrap(settings)
        start(container)
        app = create_app(settings, container)
        config = uvicorn.Config(app, proxy_headers=False, log_level="warning")
        config.load()
        state = uvicorn.server.ServerState()
        loop = asyncio.get_running_loop()
        try:
            async with app.router.lifespan_context(app) as lifespan:
                protocol = ZeroCopyHttpProtocol(
                    config=config,
                    server_state=state,
                    app_state=dict(lifespan or {}),
                    _loop=loop,
                    limits=HttpLimits(),
                )
                transport = Recording()
                protocol.connection_made(transport)

                async def call(data: bytes) -> tuple[bytes, bytes]:
                    transport.written.clear()
                    transport.waiter = loop.create_future()
                    protocol.data_received(data)
                    head = await transport.waiter
                    return head, bytes(transport.written)[len(head) + 4 :]

                def post(path: str, token: str, document: dict[str, str]) -> bytes:
                    return request("POST", path, token, json.dumps(document).encode())

                await call(post("/api/users", ADMIN, {"name": "bench"}))
                made = {"name": "bench", "scope": "write", "user": "bench"}
                _, body = await call(post("/api/tokens", ADMIN, made))
                token = json.loads(body)["token"]
                head, _ = await call(
                    post("/api/repos", token, {"type": "bucket", "name": "objects"})
                )
                assert head.startswith(b"HTTP/1.1 201"), head
                for n in range(keys):
                    put = request("PUT", f"{PREFIX}k{n}", token, os.urandom(4096))
                    head, _ = await call(put)
                    assert head.startswith(b"HTTP/1.1 201"), head
                asks = [request("GET", f"{PREFIX}k{n % keys}", token) for n in range(gets)]
                _prepare_collector()
                started = time.process_time()
                for ask in asks:
                    head, body = await call(ask)
                used = time.process_time() - started
                assert head.startswith(b"HTTP/1.1 200") and len(body) == 4096, head
                protocol.connection_lost(None)
        finally:
            container.close()
    return used / gets


def _prepare_collector() -> None:
    """The collector as ``weighthouse serve`` leaves it before serving; revisions before
    ``prepare_collector`` (run through ``PYTHONPATH``) only froze the start-up objects."""
    from weighthouse import allocator

    defined = vars(allocator)
    prepare = defined.get("prepare_collector") or defined["freeze_startup_objects"]
    prepare()


def callgrind(keys: int) -> int:
    """Instructions a GET: two runs under callgrind, at once, and their difference."""
    counts = {}
    with tempfile.TemporaryDirectory() as folder:
        runs = {
            gets: subprocess.Popen(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={folder}/out.{gets}",
                    sys.executable,
                    __file__,
                    "--keys",
                    str(keys),
                    "--gets",
                    str(gets),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for gets in (100, 600)
        }
        for gets, run in runs.items():
            _, log = run.communicate()
            found = re.search(r"Collected : (\d+)", log)
            if run.returncode != 0 or found is None:
                raise SystemExit(f"callgrind failed:\n{log[-2000:]}")
            counts[gets] = int(found[1])
    return (counts[600] - counts[100]) // 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keys", type=int, default=100, help="objects PUT first (100)")
    parser.add_argument("--gets", type=int, default=4000, help="GETs measured (4000)")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    args = parser.parse_args()
    if args.callgrind:
        print(f"{callgrind(args.keys):,} instructions a GET")
        return
    import uvloop

    seconds = uvloop.run(measure(args.keys, args.gets))
    print(f"{seconds * 1e6:,.1f} µs of CPU a GET ({args.gets} GETs over {args.keys} objects)")


if __name__ == "__main__":
    main()
