"""A short-lived cache in front of the :class:`~weighthouse.domain.authentication.Authenticator`,
so that a client sending the same token many times a second pays for its token and user rows
once, not on every request.

An entry is used only while all of these hold:

* it is younger than the configured lifetime (a few seconds);
* the credential has not expired by itself (a token's or session's ``expires_at``);
* the catalog's credential epoch is the one read just before the entry was made. Every revoke,
  sign-out, disable, password change and membership change replaces the epoch in its own
  transaction (:class:`~weighthouse.domain.catalog.CredentialEpochCatalog`), so the next
  request after it, in any server process, authenticates afresh: a revoked token stops
  working at once, not after the lifetime;
* for a session token, its signing key is still in the server's key ring: retiring a key
  (``weighthouse keys retire``, a change to a file, not to the catalog) signs out its sessions
  at once, so every hit checks the signature again (one HMAC, no catalog read).

With a shared store (Redis, :class:`SharedPrincipals`), an entry one process makes serves every
process and host that uses the same store, under the same rules: the epoch it was made under
must still be the catalog's, so a revoke seen by the catalog ends it everywhere at once. The
store is a second level behind each process's own entries; a store that fails or answers
slowly is a miss, never a failed request.

Only bearer, bare and session tokens are cached: they are the same bytes on every request.
Passwords go through the rate-limited check every time, cookie sessions need their CSRF token
checked per request, and SigV4 signatures differ per request. Keys are SHA-256 digests of the
credential, so the cache holds no secret; failures are never cached.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.authentication import Authenticator
from weighthouse.domain.catalog import CredentialEpochCatalog
from weighthouse.domain.credentials import (
    SESSION_PREFIX,
    BareToken,
    BearerToken,
    ChunkSignatures,
    Credential,
    SessionToken,
    SigV4Signature,
)
from weighthouse.domain.ports import Clock, SessionSigner

MAX_ENTRIES = 10_000
"""Distinct credentials remembered at once; the oldest entry goes first beyond that."""


@dataclass(frozen=True)
class CachedPrincipal:
    """A principal as authenticated under credential ``epoch``, usable until ``until``."""

    principal: Principal
    epoch: str
    until: datetime


class SharedPrincipals(Protocol):
    """Entries shared by several processes, keyed by the credential's digest.

    Implementations never raise: an unreachable or failing store answers ``None`` to ``get``
    and drops a ``put``, so the caller falls back to the catalog. ``put`` keeps an entry no
    longer than ``ttl``.
    """

    def get(self, key: bytes) -> CachedPrincipal | None: ...

    def put(self, key: bytes, entry: CachedPrincipal, ttl: timedelta) -> None: ...


class PrincipalCache:
    """Answers :meth:`authenticate` like the ``Authenticator`` it wraps, from memory when it
    safely can (see the module docstring). ``lifetime`` of zero turns caching off."""

    def __init__(
        self,
        authenticator: Authenticator,
        epochs: CredentialEpochCatalog,
        clock: Clock,
        *,
        signer: SessionSigner,
        lifetime: timedelta,
        max_entries: int = MAX_ENTRIES,
        shared: SharedPrincipals | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._epochs = epochs
        self._clock = clock
        self._signer = signer
        self._lifetime = lifetime
        self._max_entries = max_entries
        self._shared = shared
        self._entries: dict[bytes, CachedPrincipal] = {}
        self._lock = threading.Lock()

    def authenticate(
        self, credential: Credential | None, *, client: str | None = None
    ) -> Principal:
        """As :meth:`Authenticator.authenticate`, with the same errors."""
        if credential is None:
            return ANONYMOUS
        key = _key(credential) if self._lifetime > timedelta(0) else None
        if key is None:
            return self._authenticator.authenticate(credential, client=client)
        # Read before authenticating: a change committed after this read gives the catalog a
        # new epoch, so an entry made from older rows can never match it.
        epoch = self._epochs.credential_epoch()
        now = self._clock()
        entry = self._entries.get(key)
        if not _usable(entry, epoch, now) and self._shared is not None:
            entry = self._shared.get(key)
            if _usable(entry, epoch, now):
                assert entry is not None
                self._remember(key, entry)
        if entry is not None and _usable(entry, epoch, now):
            return self._still_signed(credential, entry)
        principal = self._authenticator.authenticate(credential, client=client)
        until = now + self._lifetime
        if principal.expires_at is not None:
            until = min(until, principal.expires_at)
        made = CachedPrincipal(principal, epoch, until)
        self._remember(key, made)
        if self._shared is not None:
            self._shared.put(key, made, until - now)
        return principal

    def remembered(self, credential: Credential | None) -> Principal | None:
        """The principal :meth:`authenticate` would answer, from this process's own entries
        alone; ``None`` when only the authenticator or the shared store could tell (an entry
        missing, stale or made under another epoch, a kind never cached, caching off). Reads
        the credential epoch and nothing else, so it waits on no network when the catalog is
        local; raises as :meth:`authenticate` for a session whose signing key is retired."""
        if credential is None:
            return ANONYMOUS
        key = _key(credential) if self._lifetime > timedelta(0) else None
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            return None  # nothing to check: the epoch read is spared too
        if not _usable(entry, self._epochs.credential_epoch(), self._clock()):
            return None
        return self._still_signed(credential, entry)

    def _still_signed(self, credential: Credential, entry: CachedPrincipal) -> Principal:
        """The entry's principal, once a session's signature is checked again (one HMAC): it
        raises ``AuthenticationError`` once the session's signing key has been retired."""
        session = _session_value(credential)
        if session is not None:
            self._signer.verify(session)
        return entry.principal

    def authenticate_chunked(self, credential: SigV4Signature) -> tuple[Principal, ChunkSignatures]:
        """As :meth:`Authenticator.authenticate_chunked`; signatures are never cached."""
        return self._authenticator.authenticate_chunked(credential)

    def _remember(self, key: bytes, entry: CachedPrincipal) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = entry


def _usable(entry: CachedPrincipal | None, epoch: str, now: datetime) -> bool:
    return entry is not None and entry.epoch == epoch and now < entry.until


def _session_value(credential: Credential) -> str | None:
    """The session token a credential carries, in whichever header it came; else ``None``."""
    if isinstance(credential, SessionToken):
        return credential.value
    if isinstance(credential, BearerToken | BareToken) and credential.value.startswith(
        SESSION_PREFIX
    ):
        return credential.value
    return None


def _key(credential: Credential) -> bytes | None:
    """The cache key of a cacheable credential; ``None`` for the kinds never cached."""
    if isinstance(credential, BearerToken | BareToken | SessionToken):
        kind = type(credential).__name__.encode("ascii")
        return hashlib.sha256(kind + b"\0" + credential.value.encode("utf-8")).digest()
    return None
