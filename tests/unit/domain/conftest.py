"""Use cases wired to the in-memory catalog, the memory blob driver and a clock that moves only
when a test moves it: no database, no disk, no sockets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.domain.access import Principal
from weighthouse.domain.audit import Audit
from weighthouse.domain.blob_proof import BlobProof
from weighthouse.domain.buckets import Buckets
from weighthouse.domain.commits import Commits
from weighthouse.domain.encryption import ObjectEncryption
from weighthouse.domain.files import Files
from weighthouse.domain.model import Scope, User
from weighthouse.domain.object_locks import ObjectLocks
from weighthouse.domain.orgs import Organizations
from weighthouse.domain.repos import Repos
from weighthouse.domain.revisions import Revisions
from weighthouse.metadata.memory import MemoryCatalog
from weighthouse.security.cipher import AesGcmSecretCipher
from weighthouse.security.object_cipher import AesCtrObjectCipher

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FixedClock:
    """The time is :data:`START` until a test calls :meth:`advance`."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)


GRACE = timedelta(hours=6)
"""How long an upload proves its sender may commit it by hash, as the default setting."""


@dataclass
class Hub:
    catalog: MemoryCatalog
    blobs: ContentBlobStore
    clock: FixedClock
    audit: Audit
    repos: Repos
    revisions: Revisions
    commits: Commits
    files: Files
    buckets: Buckets
    orgs: Organizations
    encryption: ObjectEncryption
    object_locks: ObjectLocks

    def user(self, name: str, *, is_admin: bool = False, scope: Scope = Scope.WRITE) -> Principal:
        """A new user, signed in with a credential of ``scope``."""
        user = User(id=uuid.uuid4().hex, name=name, is_admin=is_admin, created_at=self.clock())
        self.catalog.add_user(user)
        return Principal(user=user, scope=scope)


def object_encryption() -> ObjectEncryption:
    """Server-side encryption with the real ciphers, its key ring in memory."""
    return ObjectEncryption(AesCtrObjectCipher(), AesGcmSecretCipher.ephemeral())


def make_hub(catalog: MemoryCatalog | None = None) -> Hub:
    """Every use case on ``catalog`` (a new one when ``None``)."""
    catalog = MemoryCatalog() if catalog is None else catalog
    clock = FixedClock()
    blobs = ContentBlobStore(MemoryBlobDriver(clock))
    audit = Audit(catalog, clock)
    encryption = object_encryption()
    return Hub(
        catalog=catalog,
        blobs=blobs,
        clock=clock,
        audit=audit,
        repos=Repos(catalog, clock, audit),
        revisions=Revisions(catalog, clock, audit),
        commits=Commits(catalog, blobs, clock, BlobProof(catalog, blobs, clock, GRACE)),
        files=Files(catalog, blobs),
        buckets=Buckets(catalog, blobs, clock, encryption=encryption),
        orgs=Organizations(catalog, clock, audit),
        encryption=encryption,
        object_locks=ObjectLocks(catalog, clock),
    )


@pytest.fixture
def hub() -> Hub:
    return make_hub()


@pytest.fixture
def alice(hub: Hub) -> Principal:
    return hub.user("alice")


@pytest.fixture
def bob(hub: Hub) -> Principal:
    return hub.user("bob")
