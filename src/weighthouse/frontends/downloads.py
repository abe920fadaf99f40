"""Serving stored bytes over HTTP: validators, conditional requests, one byte range, and a
streaming response that is zero-copy when the server supports ``http.response.pathsend``.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from weighthouse.domain.errors import RangeNotSatisfiableError
from weighthouse.domain.files import Download

CHUNK = 4 << 20
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_EXTRA_TYPES = {
    ".safetensors": "application/octet-stream",
    ".gguf": "application/octet-stream",
    ".bin": "application/octet-stream",
    ".pt": "application/octet-stream",
    ".onnx": "application/octet-stream",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".jsonl": "application/jsonl",
    ".parquet": "application/vnd.apache.parquet",
}

Opener = Callable[[str, int], BinaryIO]


def guess_type(name: str) -> str:
    dot = name.rfind(".")
    if dot >= 0 and name[dot:].lower() in _EXTRA_TYPES:
        return _EXTRA_TYPES[name[dot:].lower()]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def content_disposition(name: str) -> str:
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One byte range as ``(start, end_exclusive)``; ``None`` to serve the whole file.

    Several ranges or a malformed header are ignored (RFC 9110 allows serving 200); a
    well-formed range that lies outside the file raises ``RangeNotSatisfiableError``.
    """
    if header is None or len(header) > 200:
        return None
    match = _RANGE.fullmatch(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiableError("an empty suffix range", size=size)
        return (max(0, size - suffix), size)
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiableError(f"range starts at {start}, past the end ({size})", size=size)
    return (start, end)


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: str


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def blob_response(
    request: Request,
    download: Download,
    opener: Opener,
    *,
    content_type: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """The response for GET or HEAD of ``download``: 200, 206, 304 or 416."""
    etag = f'"{download.sha256}"'
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(download.modified_at, usegmt=True),
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(download.name),
        **(extra_headers or {}),
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    ctype = content_type or guess_type(download.name)
    size = download.size
    byte_range = None
    if _if_range_holds(request.headers.get("if-range"), etag, download):
        # Raises RangeNotSatisfiableError(size=...); front-ends add "Content-Range: bytes */size".
        byte_range = parse_range(request.headers.get("range"), size)
    status, start, end = 200, 0, size
    if byte_range is not None:
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    return BlobStreamResponse(
        opener,
        download,
        start,
        end,
        status=status,
        headers=headers,
        media_type=ctype,
        head_only=request.method == "HEAD",
    )


def _if_range_holds(header: str | None, etag: str, download: Download) -> bool:
    if header is None:
        return True
    header = header.strip()
    if header.startswith(('"', "W/")):
        return header == etag
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return when >= download.modified_at.replace(microsecond=0)


SMALL = 256 * 1024


class BlobStreamResponse(Response):
    """Streams ``[start, end)`` of a blob. Sends ``pathsend`` for a whole local file when the
    server offers it; otherwise reads in a worker thread, 1 MiB at a time."""

    def __init__(
        self,
        opener: Opener,
        download: Download,
        start: int,
        end: int,
        *,
        status: int,
        headers: dict[str, str],
        media_type: str,
        head_only: bool,
    ) -> None:
        super().__init__(status_code=status, headers=headers, media_type=media_type)
        self._opener = opener
        self._download = download
        self._start = start
        self._end = end
        self._head_only = head_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        length = self._end - self._start
        if self._head_only or length == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        path = self._download.local_path
        if (
            path
            and length == self._download.size
            and "http.response.pathsend" in scope.get("extensions", {})
        ):
            await send({"type": "http.response.pathsend", "path": path})
            return
        if length <= SMALL:
            # One trip to a worker thread for the whole body instead of one per step.
            body = await run_in_threadpool(self._read_all, length)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        handle = await run_in_threadpool(self._opener, self._download.sha256, self._start)
        try:
            remaining = length
            while remaining > 0:
                chunk = await run_in_threadpool(handle.read, min(CHUNK, remaining))
                if not chunk:
                    # A blob shorter than its record: abort rather than end cleanly short.
                    raise OSError(f"blob {self._download.sha256} ended early")
                remaining -= len(chunk)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": remaining > 0}
                )
        finally:
            handle.close()

    def _read_all(self, length: int) -> bytes:
        with self._opener(self._download.sha256, self._start) as handle:
            body = handle.read(length)
        if len(body) != length:
            raise OSError(f"blob {self._download.sha256} ended early")
        return body
