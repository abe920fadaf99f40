"""Checking a job callback on the receiving side: its signature and its age.

A job submitted with a ``notify_url`` comes back with a ``notify_secret``, shown once. Each
callback the server POSTs carries ``X-Weighthouse-Signature: t=<unix seconds>,v1=<hex>``;
:func:`verify_notice` recomputes it over the exact bytes received and refuses a timestamp more
than ``NOTICE_TOLERANCE_SECONDS`` away from now (a replay). Events are delivered at least once:
a receiver should treat a second ``(job_id, event)`` as already handled.
"""

from __future__ import annotations

import json
import time
from typing import Any

from weighthouse.wire import NOTICE_TOLERANCE_SECONDS, signed_at


class InvalidNoticeError(ValueError):
    """The request is not a callback signed with this secret, or it is too old."""


def verify_notice(
    secret: str,
    body: bytes,
    signature: str | None,
    *,
    now: float | None = None,
    tolerance: float = NOTICE_TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """The callback's JSON body, once its signature and timestamp check out; raises
    ``InvalidNoticeError`` otherwise."""
    timestamp = signed_at(secret, body, signature)
    if timestamp is None:
        raise InvalidNoticeError("the signature does not match")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidNoticeError("the callback is too old (or from the future)")
    found = json.loads(body)
    if not isinstance(found, dict):
        raise InvalidNoticeError("the body is not a JSON object")
    return found
