"""What the client raises.

::

    ClientError                  base of everything below
    ├── ApiError                 the server answered with an error (status, code, message, detail)
    ├── ServerUnreachableError   no HTTP answer at all: refused, DNS, timeout, dropped connection
    ├── DigestMismatchError      downloaded bytes do not hash to the SHA-256 the server promised
    ├── RefExistsError           a push's tag exists already (raised before anything is sent)
    └── EntryNotFoundError       a pull asked for a path the revision does not have

``ApiError.code`` is the stable machine-readable code of the server's JSON envelope
(``repo_not_found``, ``unauthenticated``, ...); ``message`` is meant for people.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from weighthouse.wire import STATUS_CODES


class ClientError(Exception):
    """Base of the client's errors."""


class ApiError(ClientError):
    """An error response. Built from ``{"error": {"code", "message", "detail"}}`` when the body
    has that shape; otherwise the code is derived from the status and the message is the body's
    first line (a proxy's HTML page, a plain-text 502)."""

    def __init__(
        self, status: int, code: str, message: str, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail or {}

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        """Read the error envelope of ``response``; its body must already be read."""
        status = response.status_code
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            detail = error.get("detail")
            return cls(
                status,
                error["code"],
                str(error.get("message") or response.reason_phrase),
                detail if isinstance(detail, dict) else {},
            )
        return cls(status, _fallback_code(status), _first_line(response))


def _fallback_code(status: int) -> str:
    return STATUS_CODES.get(status, f"http_{status}")


def _first_line(response: httpx.Response) -> str:
    try:
        text = response.text.strip()
    except (UnicodeDecodeError, LookupError):
        text = ""
    line = text.splitlines()[0][:200] if text else ""
    return line or response.reason_phrase or f"HTTP {response.status_code}"


class ServerUnreachableError(ClientError):
    """The request got no HTTP answer: ``url`` is the server, ``reason`` what went wrong."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class DigestMismatchError(ClientError):
    """The bytes of ``path`` hash to ``actual``, not the ``expected`` SHA-256. The partial file
    is deleted before this is raised, so a retry starts clean."""

    def __init__(self, path: str, expected: str, actual: str) -> None:
        super().__init__(f"{path}: SHA-256 is {actual}, expected {expected}")
        self.path = path
        self.expected = expected
        self.actual = actual


class RefExistsError(ClientError):
    """A push was asked to create tag ``name``, which ``repo`` already has at ``commit``;
    raised before anything is uploaded or committed."""

    def __init__(self, repo: str, name: str, commit: str) -> None:
        super().__init__(
            f"ref_exists: tag {name!r} already exists in {repo} (at commit {commit[:12]}); "
            "tags never move, so nothing was pushed"
        )
        self.repo = repo
        self.name = name
        self.commit = commit


class EntryNotFoundError(ClientError):
    """``path`` is neither a file nor a folder of the revision ``where`` (``ns/name@rev``),
    or, with ``folder``, a folder where a file was asked for."""

    def __init__(self, where: str, path: str, *, folder: bool = False) -> None:
        problem = "is a folder, not a file" if folder else "is neither a file nor a folder"
        super().__init__(f"entry_not_found: {path!r} in {where} {problem}")
        self.where = where
        self.path = path
