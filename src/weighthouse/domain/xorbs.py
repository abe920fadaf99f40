"""Blobs a client names by a hash of its own: the xorbs of Xet uploads.

A Xet client uploads a file as xorbs (runs of chunks named by their Xet hash) and then a
shard listing the chunk ranges that make up each file. Each xorb is stored as an ordinary,
SHA-256-addressed blob and its name recorded for the user who sent it, so their later shards
can be rebuilt into files; nobody else can read it through its name, and knowing the name
grants nothing. The front-end has checked the bytes against the name before they get here.
Xorbs are never part of a commit: the garbage collector removes them, and their records,
after the grace period.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Protocol

from weighthouse.domain.access import Principal, require_user
from weighthouse.domain.catalog import BlobSourceCatalog
from weighthouse.domain.errors import BlobMissingError, BlobUnknownError
from weighthouse.domain.model import RepoId
from weighthouse.domain.ports import BlobReader, BlobStore, Clock
from weighthouse.domain.repos import RepoLookup, find_upload_target


class XorbCatalog(RepoLookup, BlobSourceCatalog, Protocol):
    """What storing and finding xorbs reads and writes."""


class Xorbs:
    def __init__(
        self, catalog: XorbCatalog, blobs: BlobStore, clock: Clock, grace: timedelta
    ) -> None:
        self._catalog = catalog
        self._blobs = blobs
        self._clock = clock
        self._grace = grace

    def authorize(
        self, principal: Principal, repo_id: RepoId, *, for_pull_request: bool = False
    ) -> None:
        """Raise unless the caller may upload for a commit to ``repo_id``: the ``write`` role
        on a versioned repo, or with ``for_pull_request`` what opening a pull request needs
        (:func:`~weighthouse.domain.repos.find_upload_target`)."""
        require_user(principal)
        find_upload_target(self._catalog, principal, repo_id, for_pull_request=for_pull_request)

    def store(
        self,
        principal: Principal,
        repo_id: RepoId,
        name: str,
        chunks: Iterable[bytes],
        *,
        for_pull_request: bool = False,
    ) -> bool:
        """Store the xorb ``name`` for the caller; ``False`` (and ``chunks`` unread) when they
        already have it. Access is checked (as :meth:`authorize` does) before any byte is
        read. If ``chunks`` raises (the bytes do not match ``name``), nothing is stored."""
        self.authorize(principal, repo_id, for_pull_request=for_pull_request)
        user = require_user(principal)
        known = self._catalog.find_xorb(user.id, name, self._clock() - self._grace)
        if known is not None and self._blobs.exists(known[0]):
            return False
        # A push sends many xorbs at once: hashing each on its own thread, rather than on
        # helpers, keeps fewer of their bytes in memory and costs no speed on busy cores.
        with self._blobs.provisional(chunks, helpers=False) as digest:
            self._catalog.record_xorb(user.id, name, digest.sha256, digest.size, self._clock())
        return True

    def open(self, principal: Principal, name: str) -> BlobReader:
        """A reader of the xorb ``name`` the caller uploaded within the grace period; the
        caller closes it. ``BlobUnknownError`` for any other name."""
        user = require_user(principal)
        known = self._catalog.find_xorb(user.id, name, self._clock() - self._grace)
        if known is None:
            raise BlobUnknownError(f"xorb {name} was not uploaded by this user recently")
        try:
            return self._blobs.reader(known[0])
        except BlobMissingError:
            raise BlobUnknownError(f"xorb {name} is no longer stored: upload it again") from None
