"""Serving stored bytes over HTTP: validators, conditional requests, one byte range, and a
response that takes the fastest way the blob store offers: a redirect to a presigned URL, a
zero-copy send of local files when the server supports it (:data:`PATHSEND_RANGE` for any
range and for blobs made of several files, else ``http.response.pathsend`` for a whole file),
or streaming 1 MiB pieces read in a worker thread.

Nothing here opens a file: the reader does its own I/O, and a local file travels only as a
path the ASGI server opens.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from weighthouse import wire
from weighthouse.domain.errors import RangeNotSatisfiableError, StorageError
from weighthouse.domain.files import Download
from weighthouse.domain.ports import READ_PIECE, BlobReader, FileSpan
from weighthouse.frontends.http_dates import http_date
from weighthouse.frontends.user_content import USER_CONTENT_HEADERS, served_type

CHUNK = READ_PIECE
SMALL = 256 * 1024
"""Bodies up to this size are read in the same worker-thread trip that opens the blob."""
SEND_PIECE = 256 * 1024
"""Bytes per body message handed to the server. The event loop's transport keeps what the
socket does not take at once in a buffer of its own (a copy, and on Python 3.11 a bytearray
that keeps its size for the connection's life), so a whole read handed over at once was held
twice per connection. In small messages the server's flow control waits for the socket
between them."""
STREAM_READ = 1 << 20
"""Bytes per read of a streamed body. Each read is a fresh buffer made in a worker thread, and
ten concurrent downloads held ten of them: with 4 MiB reads (the store's read piece) the
server's peak RSS during boto3's ranged download of 256 MiB was 65-70 MB above idle, with
1 MiB reads and 256 KiB messages about 30 MB, at no loss of speed for the four times as
many worker-thread trips (about a thousand per GiB)."""
PATHSEND = "http.response.pathsend"
"""The ASGI extension (and message) that sends a whole file named by its path."""
PATHSEND_RANGE = "weighthouse.pathsend_range"
"""The server's extension, and the message type, for a zero-copy send of part of a file:
``{"type": PATHSEND_RANGE, "path": str, "offset": int, "count": int, "more_body": bool}``
sends the ``count`` bytes of the file at ``path`` from ``offset`` as the next piece of the
body; with ``more_body`` more messages (of either body kind) follow.

ASGI's own ``http.response.zerocopysend`` takes a file the application has opened, which no
front-end may do (they never touch the file system), and ``http.response.pathsend`` sends only
a whole file and ends the body. This is pathsend with a range and ``more_body``, so a ranged
GET and an object made of several part files go out without their bytes passing through
Python. It has a name of its own so that no other server or middleware mistakes it for a
whole-file pathsend; the application sends it only when ``scope["extensions"]`` offers it."""
PRESIGNED_SECONDS = 300
"""How long a presigned URL handed out in a redirect stays valid."""
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_EXTRA_TYPES = {
    ".safetensors": wire.OCTET_STREAM,
    ".gguf": wire.OCTET_STREAM,
    ".bin": wire.OCTET_STREAM,
    ".pt": wire.OCTET_STREAM,
    ".onnx": wire.OCTET_STREAM,
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".jsonl": "application/jsonl",
    ".parquet": "application/vnd.apache.parquet",
}

Opener = Callable[[Download], BlobReader]
"""Opens the blob of an access-checked download (``Files.reader``, ``Buckets.reader``)."""


def guess_type(name: str) -> str:
    dot = name.rfind(".")
    if dot >= 0 and name[dot:].lower() in _EXTRA_TYPES:
        return _EXTRA_TYPES[name[dot:].lower()]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or wire.OCTET_STREAM


def content_disposition(name: str) -> str:
    """``Content-Disposition: attachment`` naming ``name``: ``filename`` with every character
    outside printable ASCII (and ``"``, ``\\``) as ``_``, ``filename*`` percent-encoded."""
    if _UNRESERVED.fullmatch(name):
        # Nothing to replace or escape (most names): the same text without the character
        # loop and ``quote``, a tenth of a small GET's response building.
        return f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
"""Names that ``quote(name, safe="")`` leaves as they are, all printable ASCII."""


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
        if size == 0:
            # RFC 9110 §14.1.1: no suffix of an empty representation is satisfiable.
            raise RangeNotSatisfiableError("a suffix range of an empty file", size=size)
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


def preload(opener: Opener, download: Download, *, limit: int = SMALL) -> bytes | None:
    """The whole of a small blob (up to ``limit`` bytes), read at once, so a caller already
    in a worker thread can hand it to :func:`blob_response` and spare the response a second
    trip there. ``None`` for larger blobs and for drivers that redirect to a presigned URL."""
    if download.size > limit:
        return None
    reader = opener(download)
    try:
        if reader.presigned_url(PRESIGNED_SECONDS) is not None:
            return None
        return reader.read_range(0, download.size) if download.size else b""
    finally:
        reader.close()


def blob_response(
    request: Request,
    download: Download,
    opener: Opener,
    *,
    content_type: str | None = None,
    extra_headers: dict[str, str] | None = None,
    preloaded: bytes | None = None,
    etag: str | None = None,
) -> Response:
    """The response for GET or HEAD of ``download``: 200, 206, 304 or 416, always as an
    attachment with ``nosniff`` and a type browsers will not run (see ``user_content``).
    ``preloaded``, the whole blob from :func:`preload`, is served without opening it again.
    ``etag``, quoted, is the entity tag sent and matched by ``If-None-Match`` and
    ``If-Range``; the quoted SHA-256 of the bytes when not given."""
    etag = etag or f'"{download.sha256}"'
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(download.modified_at),
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(download.name),
        **(extra_headers or {}),
        **USER_CONTENT_HEADERS,
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    ctype = served_type(content_type or guess_type(download.name))
    size = download.size
    byte_range = None
    if if_range_holds(request.headers.get("if-range"), etag, download):
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
        preloaded=preloaded,
    )


def if_range_holds(header: str | None, etag: str, download: Download) -> bool:
    """Whether a ``Range`` may be honoured under ``If-Range`` (RFC 9110 13.1.5): no header,
    the current strong entity tag, or a date no earlier than the file's ``Last-Modified``.

    Never raises: a malformed header, like a stale validator, means "send the whole file". A
    date without a zone (or with ``-0000``, "UTC, origin unknown") is read as UTC, the only
    zone an HTTP date may carry; comparing it as a naive datetime would fail.
    """
    if header is None:
        return True
    header = header.strip()
    if header.startswith(('"', "W/")):
        return header == etag
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when >= download.modified_at.replace(microsecond=0)


@dataclass
class _Opened:
    """What the worker thread found: exactly one of the fields is set."""

    body: bytes | None = None
    reader: BlobReader | None = None
    pathsend: str | None = None
    spans: list[FileSpan] | None = None
    redirect: str | None = None


class BlobStreamResponse(Response):
    """Serves ``[start, end)`` of a blob, by the fastest means its reader offers: a redirect to
    a presigned URL (GET only), a zero-copy send of its local files when the server supports
    it (:data:`PATHSEND_RANGE` span by span, else ``pathsend`` of a whole file), one read for
    a small body, or 1 MiB pieces each read in a worker thread. Memory stays flat whatever
    the size.

    The blob is opened before the status line goes out, so a missing blob still gets a clean
    error response.
    """

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
        preloaded: bytes | None = None,
    ) -> None:
        super().__init__(status_code=status, headers=headers, media_type=media_type)
        if preloaded is not None and len(preloaded) != download.size:
            raise StorageError("a blob read back at another size", sha256=download.sha256)
        self._preloaded = preloaded
        self._opener = opener
        self._download = download
        self._start = start
        self._end = end
        self._head_only = head_only
        self._plain_headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = self._end - self._start
        if self._head_only or length == 0:
            await self._send_start(send)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if self._preloaded is not None:
            await self._send_start(send)
            body = self._preloaded[self._start : self._end]
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        extensions = scope.get("extensions") or {}
        opened = await run_in_threadpool(
            self._open, length, PATHSEND in extensions, PATHSEND_RANGE in extensions
        )
        if opened.redirect is not None:
            await self._send_redirect(send, opened.redirect)
            return
        await self._send_start(send)
        if opened.pathsend is not None:
            await send({"type": PATHSEND, "path": opened.pathsend})
            return
        if opened.spans is not None:
            last = len(opened.spans) - 1
            for index, span in enumerate(opened.spans):
                await send(
                    {
                        "type": PATHSEND_RANGE,
                        "path": span.path,
                        "offset": span.offset,
                        "count": span.count,
                        "more_body": index < last,
                    }
                )
            return
        if opened.body is not None:
            await send({"type": "http.response.body", "body": opened.body, "more_body": False})
            return
        reader = opened.reader
        assert reader is not None
        try:
            position = self._start
            while position < self._end:
                want = min(STREAM_READ, self._end - position)
                piece = await run_in_threadpool(reader.read_range, position, want)
                if not piece:
                    # A reader that breaks its contract must not spin here forever.
                    raise StorageError("a blob ended before its size", sha256=self._download.sha256)
                position += len(piece)
                for offset in range(0, len(piece), SEND_PIECE):
                    part = piece[offset : offset + SEND_PIECE]
                    more = position < self._end or offset + SEND_PIECE < len(piece)
                    await send({"type": "http.response.body", "body": part, "more_body": more})
        finally:
            reader.close()

    def _open(self, length: int, can_pathsend: bool, can_send_spans: bool) -> _Opened:
        """Open the blob and pick how to serve it, in one worker-thread trip."""
        reader = self._opener(self._download)
        keep_open = False
        try:
            url = reader.presigned_url(PRESIGNED_SECONDS)
            if url is not None:
                return _Opened(redirect=url)
            # The server opens the paths itself; this reader is no longer needed. The files
            # stay: blobs are immutable, and the garbage collector spares any for hours.
            if can_send_spans:
                spans = reader.local_spans(self._start, length)
                if spans:
                    return _Opened(spans=spans)
            elif can_pathsend and length == reader.size:
                local = reader.local_file()
                if local is not None:
                    return _Opened(pathsend=local.path)
            if length <= SMALL:
                return _Opened(body=reader.read_range(self._start, length))
            keep_open = True
            return _Opened(reader=reader)
        finally:
            if not keep_open:
                reader.close()

    async def _send_start(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )

    async def _send_redirect(self, send: Send, url: str) -> None:
        # The validators and digests stay, so a client can check what it fetches from the URL.
        keep = {"etag", "last-modified"} | {
            h.lower() for h in (wire.SHA256_HEADER, wire.REPO_COMMIT_HEADER, wire.MD5_HEADER)
        }
        headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in self._plain_headers.items()
            if k.lower() in keep
        ]
        headers += [(b"location", url.encode("latin-1")), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 307, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
