"""``weighthouse pull`` against ``curl`` on the same 1 GiB repo file, in the same run.

Starts one Weighthouse server (``servers.start_weighthouse``) in a temporary directory,
uploads a file of random bytes to ``bench/weights``, then, interleaved for ``--rounds`` rounds
(the tool that goes first alternates), downloads it into a fresh folder with:

* ``curl -sS -o FILE`` of ``/resolve/main/big.bin`` (no hashing, no fsync), and
* ``weighthouse pull bench/weights big.bin --to DIR`` as a user runs it: a new process
  (interpreter start included) that lists the tree, streams the file, checks its SHA-256 and
  fsyncs it before the rename.

The page cache is warmed with one untimed download first; each timed run starts after
``sync``. Prints the medians, their ratio (curl time / pull time: 1.0 means as fast as curl)
and writes the figures to ``bench/results/pull-<timestamp>.json``. See ``bench/README.md``.

    .venv/bin/python bench/pull.py                # 1 GiB, 3 rounds
    .venv/bin/python bench/pull.py --size-mib 256 --rounds 5
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

from loads import put_file
from servers import log, start_weighthouse
from transfer import make_source

MIB = 1 << 20
RESULTS = Path(__file__).parent / "results"


CPU: dict[str, list[float]] = {}


def timed(name: str, argv: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of running ``argv``; its CPU seconds (user + system) go to ``CPU[name]``,
    a figure that the machine's load disturbs less than the wall time."""
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    CPU.setdefault(name, []).append(cpu)
    return wall


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    curl = shutil.which("curl")
    if curl is None:
        log("curl is not installed")
        return 2
    size = args.size_mib * MIB
    work = Path(tempfile.mkdtemp(prefix="wh-bench-pull-"))
    server = None
    try:
        source = work / "big.bin"
        expected = make_source(source, size)
        server = start_weighthouse(work, args.workers, None)
        status, body, _ = put_file(
            server.port, server.upload_paths["model"], source, size, server.headers
        )
        if status not in (200, 201):
            raise RuntimeError(f"upload: {status} {body[:300]!r}")
        url = f"http://127.0.0.1:{server.port}"
        token = server.headers["Authorization"].removeprefix("Bearer ")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGHTHOUSE_")}
        env.update({"WEIGHTHOUSE_CONFIG_DIR": str(work / "config")})
        auth = ["-H", f"Authorization: Bearer {token}"]

        def run_curl(dest: Path) -> float:
            dest.mkdir()
            argv = [curl, "-sS", "-o", str(dest / "big.bin"), *auth, url + server_path]
            return timed("curl", argv)

        def run_pull(dest: Path) -> float:
            pull = [sys.executable, "-m", "weighthouse", "pull", "bench/weights", "big.bin"]
            argv = [*pull, "--to", str(dest), "--url", url, "--token", token]
            return timed("weighthouse pull", argv, env)

        server_path = server.download_path
        tools = {"curl": run_curl, "weighthouse pull": run_pull}
        times: dict[str, list[float]] = {name: [] for name in tools}
        run_curl(work / "warm")
        shutil.rmtree(work / "warm")
        CPU.clear()
        for round_ in range(args.rounds):
            order = list(tools) if round_ % 2 == 0 else list(reversed(tools))
            for name in order:
                dest = work / f"dest-{round_}-{name.split()[-1]}"
                times[name].append(tools[name](dest))
                if sha256_of(dest / "big.bin") != expected:
                    raise RuntimeError(f"{name}: wrong bytes")
                shutil.rmtree(dest)
                log(f"round {round_ + 1}: {name} {times[name][-1]:.2f} s")
        medians = {name: statistics.median(values) for name, values in times.items()}
        ratio = medians["curl"] / medians["weighthouse pull"]
        cpu = {name: statistics.median(values) for name, values in CPU.items()}
        for name, seconds in medians.items():
            print(
                f"{name:18} {seconds:7.2f} s  {size / seconds / 1e6:8.0f} MB/s"
                f"  CPU {cpu[name]:5.2f} s"
            )
        print(f"pull speed / curl speed: {ratio:.2f} (target 0.8)")
        print(f"curl CPU / pull CPU: {cpu['curl'] / cpu['weighthouse pull']:.2f}")
        print(f"load average: {os.getloadavg()[0]:.1f}")
        RESULTS.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        result = {
            "size_bytes": size,
            "rounds": args.rounds,
            "seconds": times,
            "cpu_seconds": CPU,
            "ratio": ratio,
        }
        (RESULTS / f"pull-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
