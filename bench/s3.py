"""S3 benchmark: Weighthouse's S3 port against SeaweedFS's S3 gateway, through the same boto3
client with its default settings, in one run on loopback.

    .venv/bin/python bench/s3.py                                   # 1 GiB, 4 KiB x 1,000
    .venv/bin/python bench/s3.py --large-mib 64 --small-ops 200 --rounds 1    # a quick look

For each server, interleaved (the one that goes first alternates each round; medians of
``--rounds`` reported):

* **large**: ``upload_file`` then ``download_file`` of one ``--large-mib`` file (boto3's
  transfer manager: 8 MiB parts, 10 threads, a CRC32 per part), in MiB/s;
* **small**: ``--small-ops`` ``put_object`` of 4 KiB each, then as many ``get_object``, from
  ``--threads`` threads each with its own client, in operations per second.

Both servers get signed requests from clients built the same way (SeaweedFS, with no
identities configured, accepts any signature). Weighthouse fsyncs every object before it
answers and SeaweedFS does not, so small PUTs favour SeaweedFS. Prints one JSON document with
each server's figures, peak RSS of its process tree, and the Weighthouse/SeaweedFS ratios
(above 1: Weighthouse is faster). The targets of the S3 issue: >= 1.0 on large objects,
>= 0.5 on 4 KiB ones.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probes import sample_usage, wait_settled
from servers import (
    BUCKET,
    NAMESPACE,
    S3_BUCKET,
    Server,
    api,
    command_version,
    ensure_weed,
    start_seaweedfs,
    start_weighthouse,
)

MIB = 2**20
SMALL = 4096


class Target:
    """One server as the benchmark's clients see it."""

    def __init__(self, server: Server, endpoint: str, bucket: str, key_id: str, secret: str):
        self.server = server
        self.endpoint = endpoint
        self.bucket = bucket
        self._credentials = (key_id, secret)

    def client(self) -> Any:
        """A boto3 client with default settings but for retries: a failure must show."""
        key_id, secret = self._credentials
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )


def weighthouse_target(workdir: Path, workers: int) -> Target:
    server = start_weighthouse(workdir, workers, None)
    token = server.headers["Authorization"].removeprefix("Bearer ")
    key = api(server.port, "POST", "/api/access-keys", token, {"name": "bench", "scope": "write"})
    endpoint = f"http://127.0.0.1:{server.extra['s3_port']}"
    return Target(server, endpoint, f"{NAMESPACE}--{BUCKET}", key["id"], key["secret"])


def seaweedfs_target(workdir: Path) -> Target:
    server = start_seaweedfs(ensure_weed(), workdir)
    # No identities configured: any key is accepted, the request is still signed as usual.
    endpoint = f"http://127.0.0.1:{server.port}"
    return Target(server, endpoint, S3_BUCKET, "bench", "bench-secret-key")


def make_source(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for start in range(0, size, MIB):
            out.write(os.urandom(min(MIB, size - start)))


def large(target: Target, source: Path, workdir: Path, key: str) -> dict[str, float]:
    client = target.client()
    size = source.stat().st_size
    back = workdir / f"back-{target.server.name}.bin"
    with sample_usage(target.server.pid) as up:
        started = time.perf_counter()
        client.upload_file(str(source), target.bucket, key)
        upload_s = time.perf_counter() - started
    with sample_usage(target.server.pid) as down:
        started = time.perf_counter()
        client.download_file(target.bucket, key, str(back))
        download_s = time.perf_counter() - started
    if back.stat().st_size != size:
        raise RuntimeError(f"{target.server.name} gave back {back.stat().st_size} bytes")
    back.unlink()
    return {
        "large_put_mib_s": size / MIB / upload_s,
        "large_get_mib_s": size / MIB / download_s,
        "large_put_peak_rss_mb": up.peak_rss / 1e6,
        "large_get_peak_rss_mb": down.peak_rss / 1e6,
    }


def _spread(ops: int, threads: int, work: Callable[[Any, int], None], target: Target) -> float:
    """Run ``work(client, n)`` for n in 0..ops-1 over ``threads`` threads; ops per second."""
    clients = [target.client() for _ in range(threads)]
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            for n in range(index, ops, threads):
                work(clients[index], n)
        except BaseException as exc:  # reported below: a failed run has no figure
            failures.append(exc)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{target.server.name}: {failures[0]!r}")
    return ops / elapsed


def small(target: Target, ops: int, threads: int, round_: int) -> dict[str, float]:
    body = os.urandom(SMALL)
    prefix = f"small/r{round_}/"

    def put(client: Any, n: int) -> None:
        client.put_object(Bucket=target.bucket, Key=f"{prefix}{n}", Body=body)

    def get(client: Any, n: int) -> None:
        if len(client.get_object(Bucket=target.bucket, Key=f"{prefix}{n}")["Body"].read()) != SMALL:
            raise RuntimeError("a 4 KiB object came back at another size")

    return {
        "small_put_ops_s": _spread(ops, threads, put, target),
        "small_get_ops_s": _spread(ops, threads, get, target),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--small-ops", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8, help="clients of the small objects")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="Weighthouse worker processes")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="wh-s3bench-"))
    targets: list[Target] = []
    try:
        targets = [weighthouse_target(workdir, args.workers), seaweedfs_target(workdir)]
        for target in targets:
            wait_settled(target.server.pid)
        source = workdir / "large.bin"
        make_source(source, args.large_mib * MIB)
        runs: dict[str, list[dict[str, float]]] = {t.server.name: [] for t in targets}
        for round_ in range(args.rounds):
            order = targets if round_ % 2 == 0 else targets[::-1]
            for target in order:
                figures = large(target, source, workdir, f"large-{round_}.bin")
                figures.update(small(target, args.small_ops, args.threads, round_))
                runs[target.server.name].append(figures)
        medians = {
            name: {
                metric: round(statistics.median(r[metric] for r in rounds), 1)
                for metric in rounds[0]
            }
            for name, rounds in runs.items()
        }
        ours, peer = (medians[t.server.name] for t in targets)
        speeds = [m for m in ours if not m.endswith("_rss_mb")]
        result = {
            "large_mib": args.large_mib,
            "small_ops": args.small_ops,
            "threads": args.threads,
            "rounds": args.rounds,
            "seaweedfs": command_version([ensure_weed(), "version"]),
            "boto3": boto3.__version__,
            "medians": medians,
            "ratios_weighthouse_to_seaweedfs": {m: round(ours[m] / peer[m], 2) for m in speeds},
        }
        print(json.dumps(result, indent=2))
        return 0
    finally:
        for target in targets:
            target.server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
