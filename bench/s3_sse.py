"""Server-side encryption's cost on the S3 port: one Weighthouse server, boto3's transfer
manager (``upload_file``/``download_file``: 8 MiB parts, 10 threads) on one ``--large-mib``
file, stored in the clear and with SSE-S3 (``ServerSideEncryption='AES256'``), alternating
which goes first each round; medians of ``--rounds``, in MiB/s, with the server's peak RSS.

    .venv/bin/python bench/s3_sse.py                     # 1 GiB, 3 rounds
    .venv/bin/python bench/s3_sse.py --large-mib 64 --rounds 1

The encrypted download streams through Python (no zero-copy send of ciphertext), so the GET
figures compare that path with the plain one, which may send files without copying them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probes import sample_usage, wait_settled
from s3 import MIB, Target, make_source, weighthouse_target


def digest(path: Path) -> str:
    sha256 = hashlib.sha256()
    with path.open("rb") as f:
        while piece := f.read(MIB):
            sha256.update(piece)
    return sha256.hexdigest()


def transfer(
    target: Target, source: Path, workdir: Path, key: str, extra: dict[str, Any]
) -> dict[str, float]:
    client = target.client()
    size = source.stat().st_size
    back = workdir / "back.bin"
    with sample_usage(target.server.pid) as up:
        started = time.perf_counter()
        client.upload_file(str(source), target.bucket, key, ExtraArgs=extra or None)
        upload_s = time.perf_counter() - started
    head = client.head_object(Bucket=target.bucket, Key=key)
    if head.get("ServerSideEncryption") != extra.get("ServerSideEncryption"):
        raise RuntimeError(f"stored as {head.get('ServerSideEncryption')}, asked {extra}")
    with sample_usage(target.server.pid) as down:
        started = time.perf_counter()
        client.download_file(target.bucket, key, str(back))
        download_s = time.perf_counter() - started
    if digest(back) != digest(source):
        raise RuntimeError("the object came back different")
    back.unlink()
    client.delete_object(Bucket=target.bucket, Key=key)
    return {
        "put_mib_s": size / MIB / upload_s,
        "get_mib_s": size / MIB / download_s,
        "put_peak_rss_mb": up.peak_rss / 1e6,
        "get_peak_rss_mb": down.peak_rss / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="Weighthouse worker processes")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="wh-s3sse-"))
    target = None
    try:
        target = weighthouse_target(workdir, args.workers)
        wait_settled(target.server.pid)
        source = workdir / "large.bin"
        make_source(source, args.large_mib * MIB)
        kinds = {"plain": {}, "sse-s3": {"ServerSideEncryption": "AES256"}}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in kinds}
        for round_ in range(args.rounds):
            order = list(kinds) if round_ % 2 == 0 else list(kinds)[::-1]
            for name in order:
                figures = transfer(target, source, workdir, f"{name}-{round_}", kinds[name])
                runs[name].append(figures)
        medians = {
            name: {m: round(statistics.median(r[m] for r in rounds), 1) for m in rounds[0]}
            for name, rounds in runs.items()
        }
        plain, sealed = medians["plain"], medians["sse-s3"]
        result = {
            "large_mib": args.large_mib,
            "rounds": args.rounds,
            "workers": args.workers,
            "medians": medians,
            "ratios_sse_to_plain": {
                m: round(sealed[m] / plain[m], 2) for m in ("put_mib_s", "get_mib_s")
            },
        }
        print(json.dumps(result, indent=2))
        return 0
    finally:
        if target is not None:
            target.server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
