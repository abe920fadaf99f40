"""Proof before reuse: when a request may name stored bytes by their hash.

A hash is not a capability. Anything that references an existing blob by SHA-256 (a commit's
added file today; an S3 copy, a Hub pre-upload or LFS batch, chunk dedup later) may use it only
when the caller

* uploaded those bytes within the grace period (``gc_grace_seconds``), so they held them; or
* can read the files of a repo or bucket that holds them (a tree entry or a bucket object), as
  :func:`~weighthouse.domain.access.may_read_files` decides: seeing a gated repo is not
  enough, or a hash copied from its listing would carry its bytes past the gate into a repo
  of one's own. The target repo itself counts.

Otherwise the blob is *unknown* to the caller. Unknown reads exactly the same whether the bytes
are stored somewhere or not: one error type, one message built by :func:`unknown_blob`, no size.
The blob store is asked only after the proof holds, so neither the answer nor the work done
depends on other users' data. A caller with proof may learn a blob's stored size (a declared
size that differs is a ``DigestMismatchError``): they could read it anyway.

Every use case that references blobs by hash goes through :class:`BlobProof`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from weighthouse.domain.access import Principal, may_read_files, require_user
from weighthouse.domain.catalog import AccessRequestCatalog, BlobSourceCatalog, GrantCatalog
from weighthouse.domain.errors import BlobMissingError, BlobUnknownError, InvalidInputError
from weighthouse.domain.model import BlobDigest, Repo
from weighthouse.domain.ports import BlobSourceQuery, BlobStore, Clock

MAX_CHECK = 1000
"""The most blobs one availability check may ask about."""

HOLDERS_PER_BLOB = 4
"""Candidate repos asked about per blob. The catalog lists only repos the caller may see, so
the first nearly always passes; a bound keeps a popular blob from costing a check per repo."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, order=True)
class BlobRef:
    """A blob as a request names it: its SHA-256 (64 lowercase hex digits) and size."""

    sha256: str
    size: int


def check_sha256(sha256: str, path: str | None = None) -> str:
    """Raise ``InvalidInputError`` unless ``sha256`` is 64 lowercase hex digits."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        fields = {"path": path} if path is not None else {}
        raise InvalidInputError("sha256 must be 64 lowercase hex digits", **fields)
    return sha256


def unknown_blob(sha256: str, path: str | None = None) -> BlobUnknownError:
    """The one refusal for a blob the caller may not use, whatever the reason."""
    if path is None:
        return BlobUnknownError(
            f"blob {sha256} is not available to you; upload it first", sha256=sha256
        )
    return BlobUnknownError(
        f"{path!r}: blob {sha256} is not available to you; upload it first",
        path=path,
        sha256=sha256,
    )


class BlobProofCatalog(BlobSourceCatalog, GrantCatalog, AccessRequestCatalog, Protocol):
    """What the proof rule reads: the sources of blobs, and grants for the permission check."""


class BlobProof:
    """The proof rule of this module, on a catalog and a blob store.

    ``grace`` is how long an upload proves possession (the garbage collector's grace period,
    which also keeps the unreferenced bytes that long).
    """

    def __init__(
        self, catalog: BlobProofCatalog, blobs: BlobStore, clock: Clock, grace: timedelta
    ) -> None:
        self._catalog = catalog
        self._blobs = blobs
        self._clock = clock
        self._grace = grace

    def record_upload(self, principal: Principal, digest: BlobDigest) -> None:
        """Remember that the caller sent these bytes. Call it after the bytes are durable.
        Idempotent; raises ``AuthenticationError`` for an anonymous caller."""
        user = require_user(principal)
        self._catalog.record_blob_upload(user.id, digest.sha256, digest.size, self._clock())

    def proven(self, principal: Principal, target: Repo, sha256s: Iterable[str]) -> frozenset[str]:
        """The hashes among ``sha256s`` that the caller may reference in ``target``.

        ``target`` must be a repo or bucket the caller may read (the use case has checked).
        Only the proof: the store is not asked, so a proven blob may still be missing from it
        (see :meth:`available`). Raises ``InvalidInputError`` for a malformed hash. Costs one
        catalog transaction, plus the permission checks of the candidate repos (each repo once).
        """
        wanted = sorted({check_sha256(sha256) for sha256 in sha256s})
        if not wanted:
            return frozenset()
        query = BlobSourceQuery(
            user_id=principal.viewer_id,
            uploaded_since=self._clock() - self._grace,
            see_all=principal.is_admin,
            restrict_to=principal.restrict_to,
            prefer_repo_id=target.id,
            per_blob=HOLDERS_PER_BLOB,
        )
        sources = self._catalog.find_blob_sources(wanted, query)
        proven = set(sources.uploaded)
        readable: dict[str, bool] = {target.id: True}
        for sha256, holders in sources.holders.items():
            if any(self._may_read(principal, repo, readable) for repo in holders):
                proven.add(sha256)
        return frozenset(proven)

    def available(
        self, principal: Principal, target: Repo, wanted: Iterable[BlobRef]
    ) -> frozenset[BlobRef]:
        """Those of ``wanted`` that are proven (see :meth:`proven`) *and* stored with exactly
        the size named. Anything else is simply absent: unknown, unprovable and wrong-sized
        blobs look alike."""
        refs = set(wanted)
        for ref in refs:
            if ref.size < 0:
                raise InvalidInputError("size must not be negative", sha256=ref.sha256)
        proven = self.proven(principal, target, (ref.sha256 for ref in refs))
        sizes: dict[str, int | None] = {}
        found = set()
        for ref in refs:
            if ref.sha256 in proven and self.stored_size(ref.sha256, sizes) == ref.size:
                found.add(ref)
        return frozenset(found)

    def stored_size(self, sha256: str, cache: dict[str, int | None] | None = None) -> int | None:
        """The size of a stored blob, ``None`` if it is not stored. Ask only about proven
        blobs: the answer says whether bytes exist. ``cache`` spares repeated lookups."""
        if cache is not None and sha256 in cache:
            return cache[sha256]
        try:
            size: int | None = self._blobs.stat(sha256).size
        except BlobMissingError:
            size = None
        if cache is not None:
            cache[sha256] = size
        return size

    def _may_read(self, principal: Principal, repo: Repo, known: dict[str, bool]) -> bool:
        if repo.id not in known:
            known[repo.id] = may_read_files(self._catalog, principal, repo)
        return known[repo.id]
