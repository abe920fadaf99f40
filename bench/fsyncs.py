"""Where the ``fsync`` calls of small bucket PUTs go, by the file or folder synced.

Starts one Weighthouse server (``servers.start_weighthouse``, one worker) in a temporary
directory, attaches ``strace -f -y -e trace=fsync,fdatasync`` to it, sends ``--clients`` (16)
keep-alive clients' worth of ``--puts`` (40) PUTs each of 4 KiB of random bytes to
``bench/objects``, then prints the calls per PUT by what they synced: the uploaded temporary,
the blob's folder ``sha256/ab/cd``, its parents, the catalog's files. strace slows the server
down many times over, so only the counts mean anything here, not the time.

    .venv/bin/python bench/fsyncs.py
    .venv/bin/python bench/fsyncs.py --puts 125     # 2,000 PUTs, as bench/transfer.py --quick

Needs ``strace`` and the right to trace one's own processes (``ptrace_scope`` 0 or 1 as the
parent, or root).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from servers import BUCKET, NAMESPACE, log, start_weighthouse

KINDS = (
    (re.compile(r"/tmp/[^/]+$"), "the upload's temporary file"),
    (re.compile(r"/sha256/../../[0-9a-f]{64}$"), "a blob file"),
    (re.compile(r"/sha256/../..$"), "the blob's folder sha256/ab/cd (its new entry)"),
    (re.compile(r"/sha256/..$"), "sha256/ab (a new cd folder in it)"),
    (re.compile(r"/sha256$"), "sha256 (a new ab folder in it)"),
)


def kind(path: str, root: str) -> str:
    for pattern, name in KINDS:
        if pattern.search(path):
            return name
    return path.replace(root, "<work>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--puts", type=int, default=40, help="PUTs per client")
    args = parser.parse_args(argv)
    strace = shutil.which("strace")
    if strace is None:
        log("strace is not installed")
        return 2
    work = Path(tempfile.mkdtemp(prefix="wh-bench-fsyncs-"))
    server = tracer = None
    try:
        server = start_weighthouse(work, 1, None)
        trace = work / "strace.txt"
        command = [strace, "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", str(trace)]
        tracer = subprocess.Popen([*command, "-p", str(server.pid)], stderr=subprocess.DEVNULL)
        time.sleep(2)  # strace attaches to every thread before the load starts
        failures: list[str] = []

        def client(number: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            for i in range(args.puts):
                path = f"/api/buckets/{NAMESPACE}/{BUCKET}/objects/f{number}-{i}"
                connection.request("PUT", path, body=os.urandom(4096), headers=server.headers)
                response = connection.getresponse()
                response.read()
                if response.status not in (200, 201):
                    failures.append(f"{path}: {response.status}")
            connection.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.5)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(30)
        if failures:
            raise RuntimeError(f"{len(failures)} PUTs failed, e.g. {failures[0]}")
        counts: collections.Counter[str] = collections.Counter()
        for line in trace.read_text().splitlines():
            if found := re.search(r"f(?:data)?sync\(\d+<([^>]*)>", line):
                counts[kind(found[1], str(work))] += 1
        puts = args.clients * args.puts
        print(f"{puts} PUTs of 4 KiB from {args.clients} clients")
        print(f"{sum(counts.values()) / puts:5.2f}  fsync + fdatasync calls per PUT, of which:")
        for name, count in counts.most_common():
            print(f"{count / puts:5.2f}  {name}")
        return 0
    finally:
        if tracer is not None and tracer.poll() is None:
            tracer.kill()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
