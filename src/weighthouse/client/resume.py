"""When and how to resume a download from a partial file: pure decisions, no I/O.

A partial file is only trusted together with a validator. The request then carries
``Range: bytes=<have>-`` and ``If-Range: "<sha256>"`` (the server's ETag is the quoted SHA-256),
so a server whose file changed answers 200 with the whole new file instead of a range that
would splice two versions together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


@dataclass(frozen=True)
class ResumePlan:
    """``offset``: bytes of the partial file to keep. ``complete``: the partial file already
    has every byte and only needs its digest checked. ``headers``: what to send."""

    offset: int
    complete: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def plan_resume(have: int, *, size: int | None, sha256: str | None) -> ResumePlan:
    """Plan the request for a file of ``size`` bytes (if known) when ``have`` are on disk."""
    if have <= 0 or sha256 is None:
        return ResumePlan(0)
    if size is not None and have > size:
        # Longer than the file can be: not a prefix of it.
        return ResumePlan(0)
    if size is not None and have == size:
        return ResumePlan(have, complete=True)
    return ResumePlan(have, headers={"Range": f"bytes={have}-", "If-Range": f'"{sha256}"'})


def parse_content_range(header: str | None) -> tuple[int, int, int | None] | None:
    """``(first, last, total)`` of ``bytes first-last/total``; total ``None`` for ``*``."""
    if header is None:
        return None
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last, total = match.groups()
    return int(first), int(last), None if total == "*" else int(total)


def body_offset(status: int, content_range: str | None, asked: int) -> int:
    """Where in the file a response body starts, given that bytes from ``asked`` were asked
    for: 0 for a 200 (the whole file, e.g. because ``If-Range`` no longer matched), ``asked``
    for a 206 that starts there. Raises ``ValueError`` for a range that starts elsewhere,
    which would corrupt the file if appended."""
    if status == 200:
        return 0
    if status != 206:
        raise ValueError(f"unexpected status {status} for a download")
    parsed = parse_content_range(content_range)
    if parsed is None or parsed[0] != asked:
        raise ValueError(f"asked for bytes from {asked}, got Content-Range {content_range!r}")
    return asked


def etag_sha256(etag: str | None) -> str | None:
    """The SHA-256 in a strong ETag of the form ``"<64 hex digits>"``, else ``None``."""
    if etag is None:
        return None
    value = etag.strip()
    if value.startswith("W/"):
        return None
    value = value.strip('"').lower()
    if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value
    return None
