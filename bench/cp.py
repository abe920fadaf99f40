"""``weighthouse cp`` against ``aws s3 cp`` on one server, in the same run.

Starts one Weighthouse server (``servers.start_weighthouse``, REST and S3 ports) in a temporary
directory, gives the ``bench`` user an S3 access key, and writes one file of random bytes
(``--size-mib``, default 256) and a folder of ``--small-files`` (1,000) files of ``--small-kib``
(4) KiB each. Then, interleaved for ``--rounds`` rounds (the tool that goes first alternates),
each tool as a user runs it, a new process per command:

* big up:     ``weighthouse cp FILE wh://bench/objects/K`` and ``aws s3 cp FILE s3://B/K``;
* big down:   ``weighthouse cp wh://bench/objects/K DIR/`` and ``aws s3 cp s3://B/K DIR/``;
* small up:   ``weighthouse cp -r DIR wh://bench/objects/P`` and
  ``aws s3 cp --recursive DIR s3://B/P``;
* small down: ``weighthouse cp -r wh://bench/objects/P DIR`` and
  ``aws s3 cp --recursive s3://B/P DIR``, where ``B`` is ``bench--objects``,

with each tool's defaults for concurrency (``weighthouse cp -j 8``; the aws CLI's 10 threads
and 8 MiB multipart parts). Every download is checked (the big file's SHA-256, the small files'
count and bytes). ``sync`` runs before each timed command. Prints the median wall and CPU
seconds (user + system of the command's process, which the machine's load disturbs less) of
each, and the ratios aws / weighthouse (above 1.0: ``weighthouse cp`` is faster); writes the
figures to ``bench/results/cp-<timestamp>.json``.

    .venv/bin/python bench/cp.py                        # 256 MiB and 1,000 x 4 KiB, 3 rounds
    .venv/bin/python bench/cp.py --size-mib 1024 --rounds 2

Needs the ``aws`` command (``pip install awscli``) on ``PATH``, or ``--aws PATH``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from servers import BUCKET, NAMESPACE, api, log, start_weighthouse
from transfer import make_source

MIB = 1 << 20
RESULTS = Path(__file__).parent / "results"
OPERATIONS = ("big up", "big down", "small up", "small down")
TOOLS = ("weighthouse cp", "aws s3 cp")


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """``(wall seconds, CPU seconds)`` of running ``argv`` to completion; fails loudly."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}…: exit {done.returncode}: {done.stderr[-800:]}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def make_small_files(folder: Path, count: int, size: int) -> dict[str, bytes]:
    folder.mkdir()
    files = {f"f{i:05}.bin": os.urandom(size) for i in range(count)}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--small-files", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--aws", default=shutil.which("aws"))
    args = parser.parse_args(argv)
    if not args.aws:
        log("the aws command is not installed (pip install awscli), or name it with --aws")
        return 2
    size = args.size_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="wh-bench-cp-"))
    server = None
    try:
        big = work / "big.bin"
        expected = make_source(big, size)
        small = make_small_files(work / "small", args.small_files, args.small_kib * 1024)
        server = start_weighthouse(work, 1, None)
        token = server.headers["Authorization"].removeprefix("Bearer ")
        key = api(server.port, "POST", "/api/access-keys", token, {"name": "cp", "scope": "write"})
        base = {k: v for k, v in os.environ.items() if not k.startswith(("WEIGHTHOUSE_", "AWS_"))}
        wh_env = base | {"WEIGHTHOUSE_CONFIG_DIR": str(work / "config")}
        aws_env = base | {
            "AWS_ACCESS_KEY_ID": key["id"],
            "AWS_SECRET_ACCESS_KEY": key["secret"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(work / "aws-config"),  # none: the CLI's defaults
            "AWS_SHARED_CREDENTIALS_FILE": str(work / "aws-credentials"),
        }
        wh = [sys.executable, "-m", "weighthouse", "cp"]
        wh_auth = ["--url", f"http://127.0.0.1:{server.port}", "--token", token, "--no-progress"]
        aws = [args.aws, "--endpoint-url", f"http://127.0.0.1:{server.extra['s3_port']}"]
        aws += ["s3", "cp", "--only-show-errors"]

        def commands(tool: str, tag: str, out: Path) -> dict[str, list[str]]:
            if tool == "weighthouse cp":
                remote = f"wh://{NAMESPACE}/{BUCKET}/{tag}"
                return {
                    "big up": [*wh, str(big), f"{remote}/big.bin", *wh_auth],
                    "big down": [*wh, f"{remote}/big.bin", f"{out}/", *wh_auth],
                    "small up": [*wh, "-r", str(work / "small"), f"{remote}/small", *wh_auth],
                    "small down": [*wh, "-r", f"{remote}/small", str(out / "small"), *wh_auth],
                }
            remote = f"s3://{NAMESPACE}--{BUCKET}/{tag}"
            return {
                "big up": [*aws, str(big), f"{remote}/big.bin"],
                "big down": [*aws, f"{remote}/big.bin", f"{out}/"],
                "small up": [*aws, "--recursive", str(work / "small"), f"{remote}/small"],
                "small down": [*aws, "--recursive", f"{remote}/small", str(out / "small")],
            }

        figures: dict[str, dict[str, list[tuple[float, float]]]] = {
            op: {tool: [] for tool in TOOLS} for op in OPERATIONS
        }
        for round_ in range(args.rounds):
            order = TOOLS if round_ % 2 == 0 else tuple(reversed(TOOLS))
            for tool in order:
                tag = f"r{round_}-{tool.split()[0]}"
                out = work / f"out-{tag}"
                out.mkdir()
                env = wh_env if tool == "weighthouse cp" else aws_env
                for op, argv_ in commands(tool, tag, out).items():
                    figures[op][tool].append(run(argv_, env))
                    log(f"round {round_ + 1}: {tool} {op} {figures[op][tool][-1][0]:.2f} s")
                if sha256_of(out / "big.bin") != expected:
                    raise RuntimeError(f"{tool}: wrong bytes in the big download")
                got = {p.name: p.read_bytes() for p in (out / "small").iterdir()}
                if got != small:
                    raise RuntimeError(f"{tool}: the small files came back different")
                shutil.rmtree(out)
        print(f"{'':11} {'weighthouse cp':>22} {'aws s3 cp':>22}   aws/wh wall  aws/wh CPU")
        summary: dict[str, dict[str, float]] = {}
        for op in OPERATIONS:
            wall = {t: statistics.median(w for w, _ in figures[op][t]) for t in TOOLS}
            cpu = {t: statistics.median(c for _, c in figures[op][t]) for t in TOOLS}
            summary[op] = {
                "wall_ratio": wall["aws s3 cp"] / wall["weighthouse cp"],
                "cpu_ratio": cpu["aws s3 cp"] / cpu["weighthouse cp"],
            }
            cells = [f"{wall[t]:7.2f} s ({cpu[t]:5.2f} CPU)" for t in TOOLS]
            print(
                f"{op:11} {cells[0]:>22} {cells[1]:>22}   {summary[op]['wall_ratio']:11.2f}"
                f"  {summary[op]['cpu_ratio']:10.2f}"
            )
        print(f"load average: {os.getloadavg()[0]:.1f}")
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        result = {
            "size_bytes": size,
            "small_files": args.small_files,
            "small_bytes": args.small_kib * 1024,
            "rounds": args.rounds,
            "seconds_and_cpu": figures,
            "ratios": summary,
        }
        (RESULTS / f"cp-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
