"""A small client for Weighthouse's gRPC APIs: a channel (TLS with the server's certificate,
or plaintext on loopback), the token in the call metadata, a one-call upload from a path and
a resumable download to a path that checks the SHA-256, for repo files and bucket objects of
``weighthouse.v1.Hub``; and the stub of ``model_catalog.ModelCatalog`` for that API's clients.

    from weighthouse.grpc import GrpcClient

    with GrpcClient("localhost:50051", token=token, ca_file="grpc-cert.pem") as hub:
        hub.upload_file("alice/bert", "model.safetensors", "model.safetensors")
        hub.download_file("alice/bert", "model.safetensors", "copy.safetensors")

A download goes to ``<path>.part`` and is renamed into place only once its SHA-256 matches
the one the server sent; a download that breaks (a dropped connection, a stopped process)
resumes from the bytes already in ``<path>.part``, in the same call or a later one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from weighthouse.frontends.grpc.protos import hub_pb2 as pb
from weighthouse.frontends.grpc.protos import hub_pb2_grpc
from weighthouse.frontends.grpc.wire import (
    DEFAULT_CHUNK_BYTES,
    SHA256_KEY,
    SIZE_KEY,
    USER_TOKEN_KEY,
)

__all__ = ["ChecksumError", "GrpcClient", "open_channel", "pb"]

READ_BYTES = 8 * 2**20
"""How much of a local file is read at once to hash it before an upload."""
RETRIED = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL})
"""A download that fails with these resumes where it stopped: the connection, not the call."""

_TYPES = {"model": pb.MODEL, "dataset": pb.DATASET, "bucket": pb.BUCKET}


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 is not the one the server announced; nothing was kept."""


def open_channel(
    target: str,
    *,
    ca_file: str | os.PathLike[str] | None = None,
    plaintext: bool = False,
    max_message_bytes: int = 8 * 2**20,
) -> grpc.Channel:
    """A channel to ``target`` (``host:port``): TLS trusting ``ca_file`` (PEM; the system's
    roots when ``None``), or plaintext when asked (the server allows it on loopback only)."""
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    if plaintext:
        return grpc.insecure_channel(target, options=options)
    roots = Path(ca_file).read_bytes() if ca_file is not None else None
    credentials = grpc.ssl_channel_credentials(root_certificates=roots)
    return grpc.secure_channel(target, credentials, options=options)


class GrpcClient:
    """Both services on one channel, the token sent with every call."""

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        plaintext: bool = False,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        channel: grpc.Channel | None = None,
    ) -> None:
        """``channel``: one to share instead of opening one (``target`` and the TLS
        arguments are then unused)."""
        self._owns_channel = channel is None
        self.channel = channel or open_channel(target, ca_file=ca_file, plaintext=plaintext)
        self.token = token
        self.chunk_bytes = chunk_bytes
        self.hub = hub_pb2_grpc.HubStub(self.channel)  # type: ignore[no-untyped-call]
        self._catalog: Any = None

    @property
    def catalog(self) -> Any:
        """The ``model_catalog.ModelCatalog`` stub. Its messages load on first use: a process
        that also loads that API's original generated code (whose messages have the same
        names) must not have loaded these."""
        if self._catalog is None:
            from weighthouse.frontends.grpc.protos import model_catalog_pb2_grpc

            self._catalog = model_catalog_pb2_grpc.ModelCatalogStub(self.channel)  # type: ignore[no-untyped-call]
        return self._catalog

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel, unless it was handed in (its owner closes it)."""
        if self._owns_channel:
            self.channel.close()

    @property
    def metadata(self) -> list[tuple[str, str]]:
        """``weighthouse.v1.Hub``'s token metadata: ``authorization: Bearer``."""
        return [("authorization", f"Bearer {self.token}")] if self.token else []

    @property
    def catalog_metadata(self) -> list[tuple[str, str]]:
        """``model_catalog.ModelCatalog``'s: the token in ``user_token``, as its clients send."""
        return [(USER_TOKEN_KEY, self.token)] if self.token else []

    # --- repo files ------------------------------------------------------------------------
    def upload_file(
        self,
        repo: str,
        path_in_repo: str,
        local_path: str | os.PathLike[str],
        *,
        repo_type: str = "model",
        branch: str = "main",
        message: str | None = None,
        parent_commit: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Upload ``local_path`` as ``path_in_repo`` and commit it to ``branch`` in one call;
        the server refuses it (and commits nothing) unless the bytes have the SHA-256 read
        here first. Returns the ``UploadFileResponse`` (``commit``, ``blob``)."""
        source = Path(local_path)
        size, sha256 = _size_and_sha256(source)
        header = pb.UploadHeader(
            repo=repo_ref(repo, repo_type),
            branch=branch,
            path=path_in_repo,
            size=size,
            sha256=sha256,
            message=message or "",
            parent_commit=parent_commit or "",
        )

        def messages() -> Iterator[Any]:
            yield pb.UploadFileRequest(header=header)
            for data in _read(source, self.chunk_bytes):
                yield pb.UploadFileRequest(chunk=data)

        return self.hub.UploadFile(messages(), metadata=self.metadata, timeout=timeout)

    def download_file(
        self,
        repo: str,
        path_in_repo: str,
        local_path: str | os.PathLike[str],
        *,
        repo_type: str = "model",
        revision: str = "main",
        timeout: float | None = None,
        attempts: int = 3,
    ) -> str:
        """Download ``path_in_repo`` at ``revision`` to ``local_path``, resuming a part left
        by an earlier try; returns the SHA-256 it checked."""
        request = pb.DownloadFileRequest(
            repo=repo_ref(repo, repo_type), revision=revision, path=path_in_repo
        )
        return self._download(self.hub.DownloadFile, request, Path(local_path), timeout, attempts)

    # --- bucket objects --------------------------------------------------------------------
    def put_object(
        self,
        bucket: str,
        key: str,
        local_path: str | os.PathLike[str],
        *,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Store ``local_path`` as the object ``key`` of ``bucket``; returns its ``Object``."""
        source = Path(local_path)
        size, sha256 = _size_and_sha256(source)
        header = pb.ObjectHeader(
            bucket=bucket, key=key, size=size, sha256=sha256, content_type=content_type or ""
        )

        def messages() -> Iterator[Any]:
            yield pb.PutObjectRequest(header=header)
            for data in _read(source, self.chunk_bytes):
                yield pb.PutObjectRequest(chunk=data)

        return self.hub.PutObject(messages(), metadata=self.metadata, timeout=timeout)

    def get_object(
        self,
        bucket: str,
        key: str,
        local_path: str | os.PathLike[str],
        *,
        timeout: float | None = None,
        attempts: int = 3,
    ) -> str:
        """Download the object ``key`` of ``bucket`` to ``local_path`` as
        :meth:`download_file` does; returns its SHA-256."""
        request = pb.GetObjectRequest(bucket=bucket, key=key)
        return self._download(self.hub.GetObject, request, Path(local_path), timeout, attempts)

    def _download(
        self, call: Any, request: Any, target: Path, timeout: float | None, attempts: int
    ) -> str:
        part = target.with_name(target.name + ".part")
        digest = hashlib.sha256()
        offset = 0
        if part.exists():  # an earlier try's bytes: hashed again, never trusted blindly
            for data in _read(part, READ_BYTES):
                digest.update(data)
                offset += len(data)
        expected: str | None = None
        with part.open("ab") as out:
            for attempt in range(1, max(attempts, 1) + 1):
                request.offset = offset
                stream = call(request, metadata=self.metadata, timeout=timeout)
                try:
                    # Empty when the call failed at once; iterating then raises its error.
                    announced = dict(stream.initial_metadata())
                    for message in stream:
                        out.write(message.data)
                        digest.update(message.data)
                        offset += len(message.data)
                    expected = str(announced[SHA256_KEY])
                    size = int(announced[SIZE_KEY])
                except grpc.RpcError as exc:
                    out.flush()
                    if exc.code() not in RETRIED or attempt >= attempts:
                        if offset == 0:  # nothing to resume: leave no empty part behind
                            part.unlink(missing_ok=True)
                        raise
                    continue
                if offset != size:
                    raise ChecksumError(f"received {offset} bytes of {size}")
                break
            out.flush()
            os.fsync(out.fileno())
        # An object joined from multipart parts announces no SHA-256 (the server does not
        # know it); its size was still checked.
        if expected and digest.hexdigest() != expected:
            part.unlink()
            raise ChecksumError(
                f"{target}: SHA-256 {digest.hexdigest()} is not the announced {expected}"
            )
        part.replace(target)
        return digest.hexdigest()


def repo_ref(repo: str, repo_type: str = "model") -> Any:
    try:
        return pb.RepoRef(type=_TYPES[repo_type], repo=repo)
    except KeyError:
        raise ValueError(f"repo_type must be one of {sorted(_TYPES)}") from None


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for data in _read(path, READ_BYTES):
        digest.update(data)
        size += len(data)
    return size, digest.hexdigest()


def _read(path: Path, piece: int) -> Iterator[bytes]:
    with path.open("rb") as source:
        while data := source.read(piece):
            yield data
