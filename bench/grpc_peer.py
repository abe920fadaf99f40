"""A bare grpcio server speaking the same ``weighthouse.v1.Hub`` ``UploadFile`` and
``DownloadFile`` messages as Weighthouse, doing nothing else: an upload's chunks are dropped
(no hashing, no file, no fsync, no commit), a download is read from one file in the same 1 MiB
messages. It is the peer ``grpc_vs_rest.py`` measures in the same run, so a figure separates
what grpcio's Python layer costs on this machine from what Weighthouse adds on top of it.

    python bench/grpc_peer.py --port 50052 --file big.bin [--tls-cert c.pem --tls-key k.pem]

Same thread-pool server and the same channel options as the Weighthouse listener
(``weighthouse.grpc_listener``), one process.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

from weighthouse.frontends.grpc import wire
from weighthouse.frontends.grpc.protos import hub_pb2 as pb
from weighthouse.frontends.grpc.protos import hub_pb2_grpc as pb_grpc
from weighthouse.grpc_listener import STREAM_WINDOW_BYTES


class BareHub(pb_grpc.HubServicer):  # type: ignore[misc]
    def __init__(self, source: Path) -> None:
        self._source = source

    def UploadFile(self, request_iterator: Iterator[Any], context: Any) -> Any:  # noqa: N802
        received = 0
        for message in request_iterator:
            if message.WhichOneof("part") == "chunk":
                received += len(message.chunk)
        return pb.UploadFileResponse(blob=pb.Blob(size=received))

    def DownloadFile(self, request: Any, context: Any) -> Iterator[Any]:  # noqa: N802
        with self._source.open("rb") as source:
            while data := source.read(wire.DEFAULT_CHUNK_BYTES):
                yield pb.Chunk(data=data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    args = parser.parse_args()
    server = grpc.server(
        ThreadPoolExecutor(max_workers=8),
        options=[
            ("grpc.max_receive_message_length", 16 * 2**20),
            ("grpc.max_send_message_length", 16 * 2**20),
            ("grpc.http2.bdp_probe", 0),
            ("grpc.http2.lookahead_bytes", STREAM_WINDOW_BYTES),
        ],
    )
    pb_grpc.add_HubServicer_to_server(BareHub(args.file), server)
    address = f"127.0.0.1:{args.port}"
    if args.tls_cert is not None and args.tls_key is not None:
        pair = (args.tls_key.read_bytes(), args.tls_cert.read_bytes())
        server.add_secure_port(address, grpc.ssl_server_credentials([pair]))
    else:
        server.add_insecure_port(address)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
