"""Server memory during a large S3 multipart upload: boto3's ``upload_file`` (default
settings: 8 MiB parts, 10 threads, a CRC32 per part) of one big file to a Weighthouse server's
S3 port, then ``download_file`` back, sampling the server's process tree's RSS throughout.

    .venv/bin/python bench/s3_multipart.py                 # 5 GiB, one worker
    .venv/bin/python bench/s3_multipart.py --size-mib 1024 --workers 2

The server must stay flat whatever the size: parts stream to the blob store and completion
streams them into one blob, so the target is a peak RSS under 200 MB for any size. Needs
about three times the size in free disk under the temporary directory (the source file, the
parts and the assembled object). Prints one JSON document; exits 1 when the peak is over
``--max-rss-mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probes import idle_rss, sample_usage
from servers import BUCKET, NAMESPACE, api, start_weighthouse

MIB = 2**20


def make_source(path: Path, size: int) -> None:
    piece = os.urandom(MIB)
    with path.open("wb") as out:
        written = 0
        while written < size:
            # Vary each MiB cheaply, so no two parts are equal (equal parts would share a blob).
            chunk = written.to_bytes(8, "big") + piece[8 : min(MIB, size - written)]
            out.write(chunk)
            written += len(chunk)


def time_completions(client: Any) -> list[float]:
    """The seconds each CompleteMultipartUpload of ``client`` takes, request to parsed answer:
    how long the server spends joining the parts (a client waits for its first byte up to its
    read timeout, 60 s in boto3, unless the server answers early and keeps the answer alive)."""
    started: list[float] = []
    took: list[float] = []
    name = "s3.CompleteMultipartUpload"
    client.meta.events.register(f"before-call.{name}", lambda **_: started.append(time.time()))
    client.meta.events.register(
        f"after-call.{name}", lambda **_: took.append(time.time() - started[-1])
    )
    return took


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=5 * 1024)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-rss-mb", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="wh-s3mp-"))
    server = start_weighthouse(workdir, args.workers, None)
    try:
        token = server.headers["Authorization"].removeprefix("Bearer ")
        key = api(
            server.port, "POST", "/api/access-keys", token, {"name": "bench", "scope": "write"}
        )
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{server.extra['s3_port']}",
            region_name="us-east-1",
            aws_access_key_id=key["id"],
            aws_secret_access_key=key["secret"],
            # boto3's default read timeout (60 s) applies to the completion too.
            config=Config(retries={"max_attempts": 1}),
        )
        completions = time_completions(client)
        bucket = f"{NAMESPACE}--{BUCKET}"
        source = workdir / "source.bin"
        make_source(source, args.size_mib * MIB)
        idle_sum, idle_max = idle_rss(server.pid)
        with sample_usage(server.pid) as up:
            started = time.perf_counter()
            client.upload_file(str(source), bucket, "big.bin")
            upload_s = time.perf_counter() - started
        source.unlink()
        target = workdir / "back.bin"
        with sample_usage(server.pid) as down:
            started = time.perf_counter()
            client.download_file(bucket, "big.bin", str(target))
            download_s = time.perf_counter() - started
        size = args.size_mib * MIB
        assert target.stat().st_size == size
        result = {
            "size_mib": args.size_mib,
            "workers": args.workers,
            "idle_rss_mb": round(idle_sum / 1e6, 1),
            "idle_max_process_rss_mb": round(idle_max / 1e6, 1),
            "upload_s": round(upload_s, 1),
            "upload_mib_s": round(args.size_mib / upload_s, 1),
            "complete_s": round(completions[-1], 1),
            "upload_peak_rss_mb": round(up.peak_rss / 1e6, 1),
            "upload_peak_process_rss_mb": round(up.peak_process_rss / 1e6, 1),
            "download_s": round(download_s, 1),
            "download_mib_s": round(args.size_mib / download_s, 1),
            "download_peak_rss_mb": round(down.peak_rss / 1e6, 1),
            "download_peak_process_rss_mb": round(down.peak_process_rss / 1e6, 1),
            "etag": client.head_object(Bucket=bucket, Key="big.bin")["ETag"],
        }
        print(json.dumps(result, indent=2))
        worst = max(up.peak_process_rss, down.peak_process_rss) / 1e6
        return 0 if worst < args.max_rss_mb else 1
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
