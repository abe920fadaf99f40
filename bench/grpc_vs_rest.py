"""gRPC against REST on one server: a large file uploaded in one call (``weighthouse.v1.Hub``
``UploadFile``, 1 MiB chunks) and downloaded (``DownloadFile``), over TLS and over plaintext,
against the REST API's streaming PUT and GET of the same file in the same run, with the
server's peak RSS during each transfer. A bare grpcio server speaking the same messages and
doing nothing else (``grpc_peer.py``) is measured in the same run, as the ceiling of grpcio's
Python layer on this machine: ``grpc_to_peer`` is the share of it Weighthouse keeps.

    .venv/bin/python bench/grpc_vs_rest.py                  # 1 GiB, one worker
    .venv/bin/python bench/grpc_vs_rest.py --size-mib 256 --workers 2

The target is gRPC at 0.7x REST or better in each direction, and a peak RSS under 200 MB per
server process whatever the size. Numbers on a loaded machine are noisy: compare the ratios,
which come from one run. Prints one JSON document; exits 1 when a peak is over
``--max-rss-mb``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probes import sample_usage
from servers import MODEL, NAMESPACE, free_port, start_weighthouse, stop_process

from weighthouse.frontends.grpc import wire
from weighthouse.frontends.grpc.protos import hub_pb2 as pb
from weighthouse.frontends.grpc.protos import hub_pb2_grpc as pb_grpc
from weighthouse.security.self_signed import ensure

MIB = 2**20


def self_signed(folder: Path) -> tuple[Path, Path]:
    """The server's own self-signed certificate maker, for localhost and 127.0.0.1."""
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    ensure(cert_path, key_path, ["localhost", "127.0.0.1"])
    return cert_path, key_path


def make_source(path: Path, size: int) -> str:
    piece = os.urandom(MIB)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = written.to_bytes(8, "big") + piece[8 : min(MIB, size - written)]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while data := source.read(wire.DEFAULT_CHUNK_BYTES):
            yield data


def timed(pid: int, work: Any) -> tuple[float, int, float]:
    """Seconds ``work()`` took, the largest server process's peak RSS meanwhile, and the CPU
    seconds the server's process tree spent (steadier than speed on a shared machine)."""
    with sample_usage(pid) as usage:
        started = time.perf_counter()
        work()
        took = time.perf_counter() - started
    return took, usage.peak_process_rss, usage.cpu_s


def rest_transfers(server: Any, source: Path, sha256: str) -> dict[str, tuple[float, int, float]]:
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{server.port}", headers=server.headers, timeout=600
    )
    headers = {"X-Content-SHA256": sha256}

    def upload() -> None:
        path = server.upload_paths["model"]
        client.put(path, content=file_chunks(source), headers=headers).raise_for_status()

    def download() -> None:
        digest = hashlib.sha256()
        with client.stream("GET", server.download_path) as response:
            response.raise_for_status()
            for data in response.iter_bytes(MIB):
                digest.update(data)
        assert digest.hexdigest() == sha256

    with client:
        return {"upload": timed(server.pid, upload), "download": timed(server.pid, download)}


def grpc_transfers(
    server: Any, channel: grpc.Channel, source: Path, sha256: str, path: str
) -> dict[str, tuple[float, int, float]]:
    hub = pb_grpc.HubStub(channel)
    metadata = [("authorization", server.headers.get("Authorization", ""))]
    repo = pb.RepoRef(type=pb.MODEL, repo=f"{NAMESPACE}/{MODEL}")

    def messages() -> Iterator[Any]:
        header = pb.UploadHeader(repo=repo, path=path, size=source.stat().st_size, sha256=sha256)
        yield pb.UploadFileRequest(header=header)
        for data in file_chunks(source):
            yield pb.UploadFileRequest(chunk=data)

    def upload() -> None:
        hub.UploadFile(messages(), metadata=metadata, timeout=3600)

    def download() -> None:
        digest = hashlib.sha256()
        request = pb.DownloadFileRequest(repo=repo, path=path)
        for message in hub.DownloadFile(request, metadata=metadata, timeout=3600):
            digest.update(message.data)
        assert digest.hexdigest() == sha256

    return {"upload": timed(server.pid, upload), "download": timed(server.pid, download)}


@dataclass
class Peer:
    """The bare grpcio server (``grpc_peer.py``), shaped like the servers ``grpc_transfers``
    measures."""

    process: subprocess.Popen[bytes]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)


def start_peer(port: int, source: Path, tls: tuple[Path, Path] | None) -> Peer:
    argv = [sys.executable, str(Path(__file__).with_name("grpc_peer.py"))]
    argv += ["--port", str(port), "--file", str(source)]
    if tls is not None:
        argv += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, start_new_session=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        stop_process(process)
        raise RuntimeError("the bare grpcio server did not start")
    return Peer(process)


def channel_to(port: int, cert: Path | None) -> grpc.Channel:
    if cert is None:
        return grpc.insecure_channel(f"127.0.0.1:{port}")
    credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
    return grpc.secure_channel(f"localhost:{port}", credentials)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--max-rss-mb", type=int, default=200)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="wh-grpc-"))
    results: dict[str, Any] = {"size_mib": args.size_mib, "workers": args.workers}
    peaks: list[int] = []
    try:
        source = workdir / "source.bin"
        sha256 = make_source(source, args.size_mib * MIB)
        cert, key = self_signed(workdir)
        for mode in ("plaintext", "tls"):
            port = free_port()
            env = {"WEIGHTHOUSE_GRPC__ENABLED": "true", "WEIGHTHOUSE_GRPC__PORT": str(port)}
            if mode == "tls":
                env |= {
                    "WEIGHTHOUSE_GRPC__TLS_CERT": str(cert),
                    "WEIGHTHOUSE_GRPC__TLS_KEY": str(key),
                }
            else:
                env["WEIGHTHOUSE_GRPC__PLAINTEXT"] = "true"
            trusted = cert if mode == "tls" else None
            (workdir / mode).mkdir()
            server = start_weighthouse(workdir / mode, args.workers, None, env=env)
            try:
                channel = channel_to(port, trusted)
                try:
                    measured = {
                        "rest": rest_transfers(server, source, sha256),
                        "grpc": grpc_transfers(server, channel, source, sha256, "grpc.bin"),
                    }
                finally:
                    channel.close()
            finally:
                server.stop()
            peer_port = free_port()
            peer = start_peer(peer_port, source, (cert, key) if mode == "tls" else None)
            try:
                channel = channel_to(peer_port, trusted)
                try:
                    measured["peer"] = grpc_transfers(peer, channel, source, sha256, "peer.bin")
                finally:
                    channel.close()
            finally:
                peer.stop()
            row: dict[str, Any] = {}
            for api_name, transfers in measured.items():
                for direction, (seconds, peak, cpu) in transfers.items():
                    row[f"{api_name}_{direction}_mib_s"] = round(args.size_mib / seconds, 1)
                    row[f"{api_name}_{direction}_server_cpu_s_per_gib"] = round(
                        cpu * 1024 / args.size_mib, 2
                    )
                    row[f"{api_name}_{direction}_peak_rss_mb"] = round(peak / 1e6, 1)
                    if api_name != "peer":
                        peaks.append(peak)
            for direction in ("upload", "download"):
                row[f"{direction}_grpc_to_rest"] = round(
                    row[f"grpc_{direction}_mib_s"] / row[f"rest_{direction}_mib_s"], 2
                )
                row[f"{direction}_grpc_to_peer"] = round(
                    row[f"grpc_{direction}_mib_s"] / row[f"peer_{direction}_mib_s"], 2
                )
            results[mode] = row
        print(json.dumps(results, indent=2))
        return 0 if max(peaks) / 1e6 < args.max_rss_mb else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
