"""Hub API against the core REST API: upload and download MB/s of one big file, in one run.

    .venv/bin/python bench/hf.py                 # 512 MiB, 3 rounds
    .venv/bin/python bench/hf.py --size-mib 128 --rounds 1
    .venv/bin/python bench/hf.py --size-mib 1024 --rounds 1 --only-xet   # the RSS figure

One Weighthouse server (``--workers``, default 1) on 127.0.0.1, in a temporary directory that
is removed at the end. Each round, in the same order:

* **rest**: ``PUT /api/models/bench/weights/upload/main/<f>`` of the file by ``sendfile`` and
  ``GET .../resolve/main/<f>`` into one reused buffer (``bench/loads.py``);
* **hf-lfs**: ``huggingface_hub`` ``upload_file`` with ``HF_HUB_DISABLE_XET=1`` (preupload,
  LFS batch, one ``basic`` PUT, verify, commit), timed around the call in the client process;
  downloads as **hf-resolve** (the same raw ``GET`` of ``/hf/.../resolve/main/<f>``),
  **httpx2-file** (that ``GET`` streamed by the client's own HTTP library, ``httpx2``, in the
  client's 10 MiB pieces into a file: what ``hf_hub_download`` does after its ``HEAD``, and
  so the peer that tells the server's share from the client's) and **hf-download**
  (``hf_hub_download`` into a fresh cache, writing the file, as users run it);
* **hf-xet**: ``upload_file`` with ``hf_xet`` (write token, xorbs, shard, the server
  rebuilding the file, commit), with the server's peak RSS (all its processes but forks
  before their exec, and the largest) during it and the 3 s after, when the push's jobs have
  started their app processes;
* **hf-plain**: ``upload_folder`` of 1 MiB text files (at most 64 of them, fewer when the
  file is smaller), the largest a Hub upload sends inline: base64 in the NDJSON commit, no
  LFS and no Xet. Its MB/s count the files' bytes.

Each round uploads new random bytes (so no upload is skipped as already stored). Medians are
reported with the ratio to the REST figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loads import MB, get_discard, put_file
from probes import idle_rss, sample_usage
from servers import MODEL, NAMESPACE, start_weighthouse

REPO = f"{NAMESPACE}/{MODEL}"
AFTER_XET_S = 3.0
"""RSS is sampled this long after the Xet upload too."""
PLAIN_FILE = 2**20
"""The largest file a Hub upload sends inline (``REGULAR_MAX`` of the Hub front-end)."""
CLIENT = """
import json, os, sys, time
import httpx2
from huggingface_hub import HfApi, constants, hf_hub_download
mode, path, name = sys.argv[1:4]
start = time.perf_counter()
if mode == "upload":
    HfApi().upload_file(path_or_fileobj=path, path_in_repo=name, repo_id=os.environ["REPO"])
elif mode == "folder":
    HfApi().upload_folder(folder_path=path, path_in_repo=name, repo_id=os.environ["REPO"])
elif mode == "fetch":
    url = f"{os.environ['HF_ENDPOINT']}/{os.environ['REPO']}/resolve/main/{name}"
    auth = {"authorization": f"Bearer {os.environ['HF_TOKEN']}"}
    os.makedirs(path, exist_ok=True)
    with httpx2.Client() as client, client.stream("GET", url, headers=auth) as response:
        with open(os.path.join(path, name), "wb") as out:
            for piece in response.iter_bytes(chunk_size=constants.DOWNLOAD_CHUNK_SIZE):
                out.write(piece)
else:
    hf_hub_download(os.environ["REPO"], name, cache_dir=path)
print(json.dumps(time.perf_counter() - start))
"""


def hub_seconds(
    port: int, token: str, mode: str, path: Path, name: str, *, xet: bool = False
) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=f"http://127.0.0.1:{port}/hf",
        HF_TOKEN=token,
        HF_HOME=str(path.parent / "hf-home"),
        HF_HUB_DISABLE_XET="0" if xet else "1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        REPO=REPO,
    )
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, mode, str(path), name],
        env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the client failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only-xet", action="store_true", help="measure the Xet upload only")
    args = parser.parse_args()
    size = args.size_mib * 2**20
    rates: dict[str, list[float]] = {}
    xet_rss: list[int] = []
    xet_process_rss: list[int] = []
    idle: tuple[int, int] = (0, 0)
    with tempfile.TemporaryDirectory(prefix="wh-bench-hf-") as tmp:
        work = Path(tmp)
        server = start_weighthouse(work, args.workers, None)
        token = server.headers["Authorization"].removeprefix("Bearer ")
        try:
            for round_ in range(args.rounds):
                source = work / "big.bin"
                with source.open("wb") as out:
                    for _ in range(size // 2**20):
                        out.write(os.urandom(2**20))
                rest, hub = f"rest-{round_}.bin", f"hf-{round_}.bin"
                idle = idle_rss(server.pid)
                with sample_usage(server.pid) as usage:
                    seconds = hub_seconds(
                        server.port, token, "upload", source, f"xet-{round_}.bin", xet=True
                    )
                    # The push's jobs start their app processes about when the client returns.
                    time.sleep(AFTER_XET_S)
                rates.setdefault("hf-xet upload", []).append(size / seconds / MB)
                xet_rss.append(usage.peak_rss)
                xet_process_rss.append(usage.peak_process_rss)
                if args.only_xet:
                    continue
                # New bytes: the Xet upload stored these already.
                with source.open("r+b") as out:
                    out.write(os.urandom(2**20))
                status, body, seconds = put_file(
                    server.port,
                    f"/api/models/{REPO}/upload/main/{rest}",
                    source,
                    size,
                    server.headers,
                )
                assert status == 201, body[:300]
                rates.setdefault("rest upload", []).append(size / seconds / MB)
                # New bytes again, or the LFS batch would skip what REST just stored.
                with source.open("r+b") as out:
                    out.write(os.urandom(2**20))
                seconds = hub_seconds(server.port, token, "upload", source, hub)
                rates.setdefault("hf-lfs upload", []).append(size / seconds / MB)
                plain = work / f"plain-{round_}"
                plain.mkdir()
                files = max(1, min(64, args.size_mib))
                for index in range(files):
                    (plain / f"part-{index:02d}.txt").write_bytes(os.urandom(PLAIN_FILE))
                seconds = hub_seconds(server.port, token, "folder", plain, f"plain-{round_}")
                rates.setdefault("hf-plain upload", []).append(files * PLAIN_FILE / seconds / MB)
                for label, path in (
                    ("rest download", f"/api/models/{REPO}/resolve/main/{rest}"),
                    ("hf-resolve download", f"/hf/{REPO}/resolve/main/{hub}"),
                ):
                    get_discard(server.port, path, server.headers, size)  # warm the page cache
                    seconds, _ = get_discard(server.port, path, server.headers, size)
                    rates.setdefault(label, []).append(size / seconds / MB)
                seconds = hub_seconds(server.port, token, "fetch", work / f"fetch-{round_}", hub)
                rates.setdefault("httpx2-file download", []).append(size / seconds / MB)
                cache = work / f"cache-{round_}"
                seconds = hub_seconds(server.port, token, "download", cache, hub)
                rates.setdefault("hf-download download", []).append(size / seconds / MB)
        finally:
            server.stop()
    medians = {label: statistics.median(values) for label, values in rates.items()}
    print(f"{args.size_mib} MiB, {args.rounds} rounds, {args.workers} worker(s); median MB/s")
    for label, value in medians.items():
        base = medians.get("rest upload" if label.endswith("upload") else "rest download")
        ratio = f"   x{value / base:.2f} of REST" if base else ""
        peer = medians.get("httpx2-file download")
        if label == "hf-download download" and peer:
            ratio += f", x{value / peer:.2f} of httpx2-file"
        print(f"  {label:22s} {value:8.1f}{ratio}")
    print(
        f"  server peak RSS during the Xet upload and {AFTER_XET_S:.0f} s after it:"
        f" {_mb(max(xet_rss))} in all its processes ({_mb(idle[0])} idle before it),"
        f" the largest process {_mb(max(xet_process_rss))} ({_mb(idle[1])} idle)"
    )


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB = {size / 2**20:.1f} MiB"


if __name__ == "__main__":
    main()
