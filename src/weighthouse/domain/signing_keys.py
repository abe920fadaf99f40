"""SigV4 signing keys of access keys that recently signed a request, so that an S3 client
sending many requests a second pays for its key's rows and secret once, not on every request.

An S3 request names its access key and signs with a key derived from the key's secret, the
day, the region and the service (``sigv4.signing_key``). Without this cache every request read
the access key and its user (two catalog statements) and unsealed the secret (AES-GCM under
the server's key ring): about 40 % of a small S3 request's CPU. An entry keeps the derived
signing key (valid for that day, region and service only, never the secret itself), the key's
row and its user, and is used only while all of these hold, as for
:class:`~weighthouse.domain.principal_cache.PrincipalCache`:

* it is younger than the configured lifetime (a few seconds);
* the catalog's credential epoch is the one read before the entry's rows were: revoking the
  key, disabling its user or changing what the user may do replaces the epoch, so the next
  request authenticates afresh in every process.

Entries are made only after a signature matched; a failure is never cached. The key's own
expiry and revocation are still checked on every request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from weighthouse.domain.catalog import CredentialEpochCatalog
from weighthouse.domain.model import AccessKey, User
from weighthouse.domain.ports import Clock

MAX_ENTRIES = 10_000
"""Keys and scopes remembered at once; the oldest entry goes first beyond that."""

Scope = tuple[str, str, str, str]
"""(access key id, date, region, service): what a signing key is derived for."""


@dataclass(frozen=True)
class SigningKey:
    """An access key's signing key for one scope, with its rows as read under ``epoch``."""

    key: AccessKey
    user: User
    signing_key: bytes
    epoch: str
    until: datetime


class SigningKeyCache:
    """Signing keys by scope (see the module docstring); ``lifetime`` of zero keeps none."""

    def __init__(
        self,
        epochs: CredentialEpochCatalog,
        clock: Clock,
        *,
        lifetime: timedelta,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self._epochs = epochs
        self._clock = clock
        self.lifetime = lifetime
        self._max_entries = max_entries
        self._entries: dict[Scope, SigningKey] = {}
        self._lock = threading.Lock()

    @property
    def keeps(self) -> bool:
        """Whether entries are kept at all: with a lifetime of zero the epoch is not read."""
        return self.lifetime > timedelta(0)

    def epoch(self) -> str:
        """The catalog's credential epoch now: read it before the rows an entry is made of."""
        return self._epochs.credential_epoch()

    def get(self, scope: Scope, epoch: str) -> SigningKey | None:
        """The entry for ``scope`` if it was made under ``epoch`` and is still young."""
        entry = self._entries.get(scope)
        if entry is None or entry.epoch != epoch or self._clock() >= entry.until:
            return None
        return entry

    def put(self, scope: Scope, epoch: str, key: AccessKey, user: User, signing_key: bytes) -> None:
        """Remember a signing key whose signature matched, with the rows read under
        ``epoch``."""
        if not self.keeps:
            return
        entry = SigningKey(key, user, signing_key, epoch, self._clock() + self.lifetime)
        with self._lock:
            self._entries.pop(scope, None)
            while len(self._entries) >= self._max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[scope] = entry
