"""Transfer benchmark: Weighthouse against nginx and SeaweedFS, back to back, on loopback.

One run starts every server on free 127.0.0.1 ports inside a temporary directory (Weighthouse
once per ``--workers`` count), then measures:

* big-file upload (Weighthouse: model file upload and bucket object PUT; nginx: WebDAV PUT;
  SeaweedFS: anonymous S3 PUT) and download (``resolve``, static GET, S3 GET), page cache
  warmed first, with each server's peak RSS and CPU seconds,
* 4 KiB object PUT and GET rates with N concurrent keep-alive clients (``wrk`` when installed,
  otherwise a threaded ``http.client`` loader), with each server's CPU time per request,

prints the figures and the Weighthouse/peer ratios, and writes them as JSON to
``bench/results/transfer-<timestamp>.json``. Linux only (``/proc``, ``sendfile``). See
``bench/README.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loads import measure_download, measure_upload, run_threaded, run_wrk
from probes import idle_rss, wait_settled
from report import against_baseline, print_baseline, print_tables, summarize, write_result
from revisions import prepare
from servers import (
    Server,
    command_version,
    ensure_tool,
    ensure_weed,
    log,
    start_nginx,
    start_seaweedfs,
    start_weighthouse,
)

MIB = 1 << 20
WRITE_PIECE = 256 * 1024  # the source file is written in pieces no larger than this
PEERS = ("nginx", "seaweedfs")
# --quick: about a minute and a half on the reference machine.
QUICK = {"size_mib": 256, "rounds": 2, "small_ops": 1000, "small_rounds": 1, "budget": 300}
FULL = {"size_mib": 1024, "rounds": 5, "small_ops": 2000, "small_rounds": 3, "budget": 1200}


def make_source(path: Path, size: int) -> str:
    """Random bytes written in pieces of at most 256 KiB; returns their SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb", buffering=0) as file:
        left = size
        while left:
            piece = os.urandom(min(WRITE_PIECE, left))
            digest.update(piece)
            view = memoryview(piece)
            while view:
                view = view[file.write(view) :]
            left -= len(piece)
    return digest.hexdigest()


def _list(text: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if allowed is not None:
        unknown = set(items) - set(allowed)
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown: {', '.join(sorted(unknown))}")
    return items


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="256 MiB, 2 rounds, 1,000 ops")
    parser.add_argument("--size-mib", type=int, help="big file size (1024; --quick 256)")
    parser.add_argument("--small-ops", type=int, help="4 KiB ops each way (2000; --quick 1000)")
    parser.add_argument("--rounds", type=int, help="big-transfer rounds; medians (5; --quick 2)")
    parser.add_argument(
        "--small-rounds",
        type=int,
        help="4 KiB rounds, servers interleaved, PUTs then GETs each; medians (3; --quick 1)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds for the whole run (1200; --quick 300): later big-transfer rounds are "
        "skipped once 60 %% of it is spent, and every step has its own timeout",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive clients (16)")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in _list(text)],
        default=[1, 2],
        help="Weighthouse server processes, one server per count (1,2); empty: no Weighthouse",
    )
    parser.add_argument(
        "--peers",
        type=lambda text: _list(text, PEERS),
        default=list(PEERS),
        help="the servers to compare with (nginx,seaweedfs); empty: none",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--skip-big", action="store_true", help="skip the big-file transfers")
    parser.add_argument("--skip-small", action="store_true", help="skip the 4 KiB object rates")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="small-object load generator: wrk when installed (auto), or threaded http.client",
    )
    parser.add_argument(
        "--wrk-threads",
        type=int,
        default=1,
        help="wrk threads (1: on a 2-core machine the other core is left to the server)",
    )
    parser.add_argument(
        "--serve-cmd",
        help=(
            "start Weighthouse with this command instead of `python -m weighthouse serve`; "
            "{python}, {port}, {data_dir} and {workers} are substituted"
        ),
    )
    parser.add_argument(
        "--baseline-rev",
        help="also run this git revision of Weighthouse (a cached detached worktree, see "
        "bench/revisions.py) with the same worker counts, interleaved, and print today / it",
    )
    parser.add_argument("--tmp", type=Path, help="parent of the temporary directory")
    parser.add_argument("--label", default="", help="a note stored in the JSON result")
    args = parser.parse_args(argv)
    for key, default in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, default)
    if min(args.size_mib, args.small_ops, args.small_rounds, args.concurrency, args.rounds) < 1:
        parser.error("sizes, counts and rounds must be positive")
    if any(n < 1 for n in args.workers):
        parser.error("--workers counts must be at least 1")
    if not args.workers and not args.peers:
        parser.error("nothing to measure")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("this benchmark needs Linux (/proc, sendfile)", file=sys.stderr)
        return 2
    started = time.monotonic()
    load_before = os.getloadavg()
    deadline = started + 0.6 * args.budget
    nginx_bin = None
    if "nginx" in args.peers:
        nginx_bin = ensure_tool("nginx", ["nginx-light", "nginx"], required=True)
    weed_bin = ensure_weed() if "seaweedfs" in args.peers else None
    wrk_bin = None
    if args.client != "python" and not args.skip_small:
        wrk_bin = ensure_tool("wrk", ["wrk"], required=args.client == "wrk")
    small_client = (
        f"wrk ({command_version([wrk_bin, '-v'])}), {args.wrk_threads} thread(s), "
        f"{args.concurrency} connections"
        if wrk_bin
        else f"python http.client, {args.concurrency} threads with keep-alive"
    )
    versions = {}
    if nginx_bin:
        versions["nginx"] = command_version([nginx_bin, "-v"])
    if weed_bin:
        versions["seaweedfs"] = command_version([weed_bin, "version"])

    size = args.size_mib * MIB
    workdir = Path(tempfile.mkdtemp(prefix="weighthouse-bench-", dir=args.tmp))
    servers: dict[str, Server] = {}
    try:
        log(f"temporary directory: {workdir}")
        source = workdir / "big.bin"
        expected = ""
        if not args.skip_big:
            t0 = time.perf_counter()
            expected = make_source(source, size)
            log(f"wrote {args.size_mib} MiB of random bytes in {time.perf_counter() - t0:.1f}s")

        for workers in args.workers:
            server = start_weighthouse(workdir, workers, args.serve_cmd)
            servers[server.name] = server
        # today's server -> the baseline server it is compared with
        baseline_pairs: dict[str, str] = {}
        if args.baseline_rev:
            revision = prepare(args.baseline_rev, workdir)
            versions["baseline"] = revision.commit
            # A revision whose serve has no --workers runs one process, against every count.
            counts = args.workers if revision.has_workers else [1]
            for workers in counts:
                server = start_weighthouse(
                    workdir,
                    workers,
                    args.serve_cmd,
                    revision.env,
                    python=revision.python,
                    revision=revision.short,
                    workers_option=revision.has_workers,
                )
                servers[server.name] = server
            for workers in args.workers:
                pick = workers if revision.has_workers else 1
                baseline_pairs[f"weighthouse-w{workers}"] = f"weighthouse-{revision.short}-w{pick}"
        if nginx_bin:
            servers["nginx"] = start_nginx(nginx_bin, workdir)
        if weed_bin:
            servers["seaweedfs"] = start_seaweedfs(weed_bin, workdir)
        for server in servers.values():
            wait_settled(server.pid)  # every worker is up, start-up work is done
        idle = {name: idle_rss(server.pid) for name, server in servers.items()}
        log("servers: " + ", ".join(f"{n} on :{s.port} (pid {s.pid})" for n, s in servers.items()))

        samples: dict[str, dict[str, list[dict[str, Any]]]] = {n: {} for n in servers}
        order = list(servers.values())
        rounds = 0
        for round_index in range(0 if args.skip_big else args.rounds):
            if round_index and time.monotonic() > deadline:
                log(f"budget: stopping after {round_index} rounds")
                break
            rounds += 1
            # Rotate which server goes first, so slow drift of the machine evens out.
            shift = round_index % len(order)
            ordered = order[shift:] + order[:shift]
            for server in ordered:
                for label in server.upload_paths:
                    result = measure_upload(server, label, source, size)
                    samples[server.name].setdefault(f"upload_{label}", []).append(result)
                    rate = result["mb_s"]
                    log(f"round {rounds} {server.name} upload {label}: {rate:,.0f} MB/s")
            for server in ordered:
                result = measure_download(server, size, expected if round_index == 0 else None)
                samples[server.name].setdefault("download", []).append(result)
                log(f"round {rounds} {server.name} download: {result['mb_s']:,.0f} MB/s")

        # Interleaved like the big transfers: a moment the machine is slower then falls on
        # every server of a round, not on one server's only measurement.
        for small_round in range(0 if args.skip_small else args.small_rounds):
            shift = small_round % len(order)
            for server in order[shift:] + order[:shift]:
                for mode in ("put", "get"):
                    if wrk_bin:
                        result = run_wrk(
                            wrk_bin,
                            server,
                            mode,
                            args.small_ops,
                            args.concurrency,
                            args.wrk_threads,
                            workdir,
                        )
                    else:
                        result = run_threaded(server, mode, args.small_ops, args.concurrency)
                    samples[server.name].setdefault(f"small_{mode}", []).append(result)
                    log(
                        f"small round {small_round + 1} {server.name} 4 KiB {mode}: "
                        f"{result['ops_s']:,.0f} ops/s, "
                        f"{result['cpu_ms_per_op']:.2f} ms server CPU per op"
                    )

        kinds = {name: server.kind for name, server in servers.items()}
        summary = summarize(samples, idle, kinds, rounds, small_client)
        summary["commands"] = {name: s.extra.get("command") for name, s in servers.items()}
        summary["elapsed_s"] = time.monotonic() - started
        summary["load_average"] = {"before": load_before, "after": os.getloadavg()}
        labels = {name: server.label for name, server in servers.items()}
        print_tables(summary, labels, args.size_mib)
        if baseline_pairs:
            summary["baseline"] = against_baseline(samples, summary["servers"], baseline_pairs)
            print_baseline(summary["baseline"], labels)
        print(
            "load average (1, 5, 15 min): before "
            + ", ".join(f"{x:.2f}" for x in load_before)
            + "; after "
            + ", ".join(f"{x:.2f}" for x in summary["load_average"]["after"])
        )
        path = write_result(summary, samples, vars(args), versions)
        print(f"\nwritten: {path} (the run took {summary['elapsed_s']:.0f} s)")
        return 0
    except Exception:
        for server in servers.values():
            tail = server.tail_log()
            if tail:
                log(f"--- {server.name} log (tail) ---\n{tail}")
        raise
    finally:
        for server in servers.values():
            server.stop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
