"""The principal cache's shared level in Redis: one process authenticates a token, every process
and host on the same Redis reuses the result for the cache's few seconds.

An entry is JSON under ``<prefix><hex of the credential's digest>``, written with ``SET … PX`` so
Redis drops it when it can no longer be used. It holds no secret: the key is a digest of the
credential, and the user is stored without its password hash. Whether an entry may be used is
decided by :class:`~weighthouse.domain.principal_cache.PrincipalCache` (the epoch it was made
under must still be the catalog's), so a stale entry is never trusted; Redis is trusted as the
catalog is, to hold what the server wrote.

Redis is an optimisation here, never a dependency: every command has short socket timeouts, a
failure or an entry that does not parse is a miss, and after a failure the store is left alone
for ``retry_seconds`` so that a Redis that hangs costs one timeout, not one per request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from weighthouse.domain.access import Principal
from weighthouse.domain.model import Scope, User
from weighthouse.domain.principal_cache import CachedPrincipal

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

PREFIX = "weighthouse:principal:"
_FORMAT = 1


class RedisPrincipals:
    """Implements ``SharedPrincipals`` in Redis (``weighthouse[redis]``)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 0.2,
        retry_seconds: float = 5.0,
        prefix: str = PREFIX,
    ) -> None:
        import redis as redis_module  # an optional dependency, needed only here

        self._redis: redis.Redis = redis_module.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=30,
        )
        self._errors = (redis_module.RedisError, OSError)
        self._prefix = prefix
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._resting_until = 0.0  # time.monotonic(); no command is sent before it

    def get(self, key: bytes) -> CachedPrincipal | None:
        if self._resting():
            return None
        try:
            raw = self._redis.get(self._prefix + key.hex())
        except self._errors as exc:
            self._failed(exc)
            return None
        if raw is None:
            return None
        try:
            return decode(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a principal cache entry in Redis that does not parse")
            return None

    def put(self, key: bytes, entry: CachedPrincipal, ttl: timedelta) -> None:
        milliseconds = int(ttl.total_seconds() * 1000)
        if milliseconds <= 0 or self._resting():
            return
        try:
            self._redis.set(self._prefix + key.hex(), encode(entry), px=milliseconds)
        except self._errors as exc:
            self._failed(exc)

    def close(self) -> None:
        self._redis.close()

    def _resting(self) -> bool:
        return time.monotonic() < self._resting_until

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            first = not self._resting()
            self._resting_until = time.monotonic() + self._retry_seconds
        if first:
            log.warning(
                "the principal cache's Redis failed (%s); authenticating from the catalog, "
                "trying Redis again in %.0f s",
                exc,
                self._retry_seconds,
            )


def encode(entry: CachedPrincipal) -> bytes:
    """The JSON of ``entry``; the user's password hash is left out."""
    principal = entry.principal
    user = principal.user
    document: dict[str, Any] = {
        "format": _FORMAT,
        "epoch": entry.epoch,
        "until": entry.until.isoformat(),
        "user": None
        if user is None
        else {
            "id": user.id,
            "name": user.name,
            "is_admin": user.is_admin,
            "created_at": user.created_at.isoformat(),
            "disabled": user.disabled,
        },
        "scope": principal.scope.value,
        "token_id": principal.token_id,
        "session_id": principal.session_id,
        "restrict_to": list(principal.restrict_to),
        "access_key_id": principal.access_key_id,
        "expires_at": None if principal.expires_at is None else principal.expires_at.isoformat(),
    }
    return json.dumps(document, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> CachedPrincipal:
    """The entry :func:`encode` wrote. Raises ``ValueError``, ``KeyError`` or ``TypeError`` for
    anything else (another format, a damaged value)."""
    document = json.loads(raw)
    if document["format"] != _FORMAT:
        raise ValueError(f"unknown format {document['format']!r}")
    found = document["user"]
    user = (
        None
        if found is None
        else User(
            id=_text(found["id"]),
            name=_text(found["name"]),
            is_admin=found["is_admin"] is True,
            created_at=datetime.fromisoformat(found["created_at"]),
            disabled=found["disabled"] is not False,
        )
    )
    expires = document["expires_at"]
    principal = Principal(
        user=user,
        scope=Scope(document["scope"]),
        token_id=_optional_text(document["token_id"]),
        session_id=_optional_text(document["session_id"]),
        restrict_to=tuple(_text(item) for item in document["restrict_to"]),
        access_key_id=_optional_text(document["access_key_id"]),
        expires_at=None if expires is None else datetime.fromisoformat(expires),
    )
    return CachedPrincipal(
        principal, _text(document["epoch"]), datetime.fromisoformat(document["until"])
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)
