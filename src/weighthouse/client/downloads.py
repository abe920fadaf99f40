"""Streaming downloads of repo files to disk, resumable, checked against their SHA-256.

A large plain-HTTP body is read straight from the socket (``socket_body``); otherwise the
receiving thread only reads through httpx and a :class:`HashingWriter` writes and hashes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from weighthouse import wire
from weighthouse.client.errors import ApiError, DigestMismatchError
from weighthouse.client.file_writer import HashingWriter
from weighthouse.client.hashing import CHUNK, OnBytes
from weighthouse.client.resume import body_offset, etag_sha256, plan_resume
from weighthouse.client.socket_body import direct_socket, receive_body
from weighthouse.client.transport import Transport, quote_path, repo_path
from weighthouse.domain.model import RepoType

log = logging.getLogger("weighthouse.client")

OnResume = Callable[[int], object]


def partial_path_for(dest: Path) -> Path:
    """Where ``dest`` is written until its digest checks out: ``<dest>.part`` beside it."""
    return dest.with_name(dest.name + ".part")


class DownloadsApi(Transport):
    def file_url(
        self, repo: str, path: str, *, revision: str = "main", repo_type: RepoType | str
    ) -> str:
        return f"{repo_path(repo, repo_type)}/resolve/{quote(revision, safe='')}/{quote_path(path)}"

    def read_file(
        self,
        repo: str,
        path: str,
        *,
        revision: str = "main",
        byte_range: tuple[int, int] | None = None,
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> bytes:
        """The bytes of a (small) file in memory; ``byte_range`` is ``(first, last)``
        inclusive, as in an HTTP ``Range`` header."""
        headers = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else None
        url = self.file_url(repo, path, revision=revision, repo_type=repo_type)
        return self.request("GET", url, headers=headers).content

    def stream_file(
        self,
        repo: str,
        path: str,
        sink: Callable[[bytes], object],
        *,
        revision: str = "main",
        repo_type: RepoType | str = RepoType.MODEL,
    ) -> tuple[str, str | None]:
        """Feed the bytes of a repo file to ``sink`` piece by piece, hashing them on the way;
        ``(their SHA-256, the SHA-256 the server declared or None)``. Comparing the two is
        the caller's call, since ``sink`` has the bytes by then."""
        url = self.file_url(repo, path, revision=revision, repo_type=repo_type)
        digest = hashlib.sha256()
        with self.stream("GET", url) as response:
            own = response.history[0].headers if response.history else response.headers
            declared = own.get(wire.SHA256_HEADER) or etag_sha256(own.get("etag"))
            for chunk in response.iter_bytes(CHUNK):
                digest.update(chunk)
                sink(chunk)
        return digest.hexdigest(), declared.lower() if declared else None

    def download(
        self,
        repo: str,
        path: str,
        dest: Path,
        *,
        revision: str = "main",
        repo_type: RepoType | str = RepoType.MODEL,
        sha256: str | None = None,
        size: int | None = None,
        partial: Path | None = None,
        on_bytes: OnBytes | None = None,
        on_resume: OnResume | None = None,
    ) -> Path:
        """Stream a repo file to ``dest``; see ``download_url`` for resuming and checking."""
        url = self.file_url(repo, path, revision=revision, repo_type=repo_type)
        return self.download_url(
            url,
            dest,
            sha256=sha256,
            size=size,
            partial=partial,
            on_bytes=on_bytes,
            on_resume=on_resume,
        )

    def download_url(
        self,
        url: str,
        dest: Path,
        *,
        sha256: str | None = None,
        size: int | None = None,
        partial: Path | None = None,
        on_bytes: OnBytes | None = None,
        on_resume: OnResume | None = None,
    ) -> Path:
        """Stream the file at ``url`` (a path on this server) into ``partial`` (default
        ``<dest>.part``), then rename it to ``dest`` once its SHA-256 matches.

        A partial file left by an interrupted run is continued with a ``Range`` request
        guarded by ``If-Range``; ``on_resume(offset)`` is called when the server agreed.
        ``sha256`` defaults to what the server declares. Raises ``DigestMismatchError`` (the
        partial file is removed first), ``ApiError`` or ``ServerUnreachableError``.
        """
        part = partial or partial_path_for(dest)
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have and sha256 is None:
            sha256, size = self._validators(url)
        plan = plan_resume(have, size=size, sha256=sha256)
        if plan.complete and _sha256_prefix(part, have) == sha256:
            _notify_resumed(have, on_bytes, on_resume)
            return _move_into_place(part, dest)
        offset, headers = (plan.offset, plan.headers) if not plan.complete else (0, {})
        try:
            actual, declared = self._fetch(url, part, offset, headers, on_bytes, on_resume)
        except ApiError as exc:
            if exc.status != 416 or not offset:
                raise
            # The partial file reaches past the end of what the server has now; start over.
            actual, declared = self._fetch(url, part, 0, {}, on_bytes, on_resume)
        expected = (sha256 or declared or actual).lower()
        if actual != expected:
            part.unlink(missing_ok=True)
            raise DigestMismatchError(str(dest), expected, actual)
        return _move_into_place(part, dest)

    def _validators(self, url: str) -> tuple[str | None, int | None]:
        head = self.request("HEAD", url)
        length = head.headers.get("content-length")
        sha = head.headers.get(wire.SHA256_HEADER) or etag_sha256(head.headers.get("etag"))
        return sha, int(length) if length and length.isdigit() else None

    def _fetch(
        self,
        url: str,
        part: Path,
        offset: int,
        headers: dict[str, str],
        on_bytes: OnBytes | None,
        on_resume: OnResume | None,
    ) -> tuple[str, str | None]:
        """GET into ``part``, keeping its first ``offset`` bytes if the server sends a range
        from there; ``(SHA-256 of the whole part file, SHA-256 the server declared)``."""
        if headers:
            log.debug("GET %s Range: %s If-Range: %s", url, headers["Range"], headers["If-Range"])
        with self.stream("GET", url, headers=headers) as response:
            try:
                start = body_offset(
                    response.status_code, response.headers.get("content-range"), offset
                )
            except ValueError as exc:
                raise ApiError(response.status_code, "bad_range", str(exc)) from None
            digest = hashlib.sha256()
            _read_prefix(part, start, digest.update)
            _notify_resumed(start, on_bytes, on_resume)
            # After a redirect to a presigned URL, the digest is the one the server promised,
            # not whatever the storage service calls an ETag.
            own = response.history[0].headers if response.history else response.headers
            declared = own.get(wire.SHA256_HEADER) or etag_sha256(own.get("etag"))
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | (0 if start else os.O_TRUNC), 0o644)
            try:
                os.ftruncate(fd, start)
                os.lseek(fd, start, os.SEEK_SET)
                sock = direct_socket(response)
                if sock is not None:
                    receive_body(response, sock, fd, digest, on_bytes)
                else:
                    # This thread only reads the socket; another writes and hashes, in order.
                    with HashingWriter(fd, digest) as writer:
                        for piece in response.iter_bytes():
                            writer.write(piece)
                            if on_bytes is not None:
                                on_bytes(len(piece))
                # The rename that follows must not publish a file whose bytes a crash loses.
                os.fsync(fd)
            finally:
                os.close(fd)
        return digest.hexdigest(), declared


def _read_prefix(part: Path, length: int, sink: Callable[[bytes], object]) -> None:
    """Feed the first ``length`` bytes of ``part`` to ``sink``."""
    if length == 0:
        return
    remaining = length
    with part.open("rb") as handle:
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                raise OSError(f"{part} is shorter than {length} bytes")
            sink(chunk)
            remaining -= len(chunk)


def _sha256_prefix(part: Path, length: int) -> str:
    digest = hashlib.sha256()
    _read_prefix(part, length, digest.update)
    return digest.hexdigest()


def _notify_resumed(offset: int, on_bytes: OnBytes | None, on_resume: OnResume | None) -> None:
    if offset <= 0:
        return
    if on_resume is not None:
        on_resume(offset)
    if on_bytes is not None:
        on_bytes(offset)


def _move_into_place(part: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part.replace(dest)
    return dest
