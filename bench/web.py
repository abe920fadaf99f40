"""The web UI's repo page for a repo of 10,000 files: server time and bytes per page.

    .venv/bin/python bench/web.py                 # 10,000 files, 20 rounds
    .venv/bin/python bench/web.py --files 50000 --rounds 10

One Weighthouse server (one process) in a temporary folder. Through the REST API a public
model gets ``--files`` files at its root (one commit of that many operations, all naming one
small uploaded blob) and a README. Then each page is fetched ``--rounds`` times, interleaved:

* ``repo page``: ``/ui/models/<repo>``, the card and the first page of the tree;
* ``tree, middle``: ``/ui/models/<repo>/tree`` from the middle of the root (``after=``);
* ``REST tree``: ``/api/models/<repo>/tree/main?limit=100``, the API's own page of 100 entries,
  the peer measured in the same run: on a loaded machine only the ratio means much;
* ``REST repo info``: ``/api/models/<repo>``, which carries the findings of the files of
  ``main``.

The time is the client's, on loopback, from sending the request to the last byte: the server
time plus a loopback round trip. The issue's targets: under 300 ms and 300 KB for the repo page.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from servers import MODEL, NAMESPACE, api, start_weighthouse

TARGET_MS = 300
TARGET_KB = 300


def fetch(port: int, path: str) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return elapsed * 1000, len(body)
    finally:
        connection.close()


def fill(port: int, token: str, files: int) -> None:
    repo = f"{NAMESPACE}/{MODEL}"
    api(port, "PATCH", f"/api/models/{repo}", token, {"private": False})
    data = b"w" * 64
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "POST",
        f"/api/models/{repo}/blobs",
        body=data,
        headers={
            "Authorization": f"Bearer {token}",
            "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
        },
    )
    answer = connection.getresponse()
    answer.read()
    connection.close()
    if answer.status != 201:
        raise RuntimeError(f"blob upload: {answer.status}")
    sha = hashlib.sha256(data).hexdigest()
    operations = [
        {"op": "add", "path": f"part-{i:06d}.bin", "sha256": sha, "size": len(data)}
        for i in range(files)
    ]
    api(
        port,
        "POST",
        f"/api/models/{repo}/commit/main",
        token,
        {"message": "many", "operations": operations},
    )
    card = b"---\nlicense: mit\n---\n# Many shards\n\nA repo of many files.\n"
    card_sha = hashlib.sha256(card).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "PUT",
        f"/api/models/{repo}/upload/main/README.md",
        body=card,
        headers={"Authorization": f"Bearer {token}", "X-Content-SHA256": card_sha},
    )
    connection.getresponse().read()
    connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wh-web-bench-") as folder:
        server = start_weighthouse(Path(folder), 1, None)
        try:
            token = server.headers["Authorization"].split()[1]
            fill(server.port, token, args.files)
            repo = f"{NAMESPACE}/{MODEL}"
            middle = f"part-{args.files // 2:06d}.bin"
            pages = {
                "repo page": f"/ui/models/{repo}",
                "tree, middle": f"/ui/models/{repo}/tree?rev=main&after={middle}",
                "REST tree": f"/api/models/{repo}/tree/main?limit=100",
                "REST repo info": f"/api/models/{repo}",
            }
            for path in pages.values():
                fetch(server.port, path)  # warm caches and threads
            times: dict[str, list[float]] = {name: [] for name in pages}
            sizes: dict[str, int] = {}
            for _ in range(args.rounds):
                for name, path in pages.items():
                    elapsed, size = fetch(server.port, path)
                    times[name].append(elapsed)
                    sizes[name] = size
        finally:
            server.stop()
    peer = statistics.median(times["REST tree"])
    results = {}
    print(f"{args.files} files at the root, {args.rounds} rounds, medians (loopback)")
    print(f"{'page':<16}{'ms':>9}{'p90 ms':>9}{'KB':>9}{'x REST':>9}")
    for name in pages:
        median = statistics.median(times[name])
        p90 = sorted(times[name])[int(len(times[name]) * 0.9) - 1]
        results[name] = {
            "median_ms": round(median, 1),
            "p90_ms": round(p90, 1),
            "bytes": sizes[name],
        }
        print(f"{name:<16}{median:>9.1f}{p90:>9.1f}{sizes[name] / 1000:>9.1f}{median / peer:>9.2f}")
    print(json.dumps(results))
    page = results["repo page"]
    ok = page["median_ms"] < TARGET_MS and page["bytes"] < TARGET_KB * 1000
    print(f"repo page target (<{TARGET_MS} ms, <{TARGET_KB} KB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
