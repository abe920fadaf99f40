"""Object versioning of buckets, as S3 defines it, and the catalog's role for it.

A bucket starts unversioned. Once its versioning is set it is ``Enabled`` or ``Suspended``,
never unversioned again. Every key then has a history of versions, newest first: objects and
delete markers. The newest is the key's *latest*; when it is an object, that object is what
every front-end sees at the key (the catalog's ``objects``), and when it is a delete marker,
or there is none, the key holds no object.

* Enabled: each write adds a version with a new id; deleting without a version id adds a delete
  marker with a new id.
* Suspended: each write or delete replaces the key's :data:`~weighthouse.domain.model.NULL_VERSION`
  (wherever it is in the history) with the new latest; versions with ids stay.
* Objects written before versioning was set are the ``null`` version of their key.
* Removing one version by id is permanent; when it was the latest, the next newest becomes the
  latest (a delete marker hides the key again, an object shows it).
* Each object version keeps its own tags, object lock and access control list, whether it is
  the latest or not.

Version ids are opaque to clients: 16 hex digits of the version's position (a counter per
bucket, so later versions have higher positions) and 16 random hex digits, so a listing can
continue after a version that was removed meanwhile.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from weighthouse.domain.errors import DeleteMarkerError, InvalidInputError, VersionNotFoundError
from weighthouse.domain.model import NULL_VERSION, Acl, BucketObject

VERSION_ID_LENGTH = 32
_POSITION_DIGITS = 16
_HEX = frozenset("0123456789abcdef")


class Versioning(enum.StrEnum):
    """A bucket's versioning once set (an unversioned bucket has none)."""

    ENABLED = "Enabled"
    SUSPENDED = "Suspended"


def new_version_id(position: int) -> str:
    """A fresh version id for the version at ``position`` of its bucket."""
    return f"{position:0{_POSITION_DIGITS}x}{secrets.token_hex(8)}"


def check_version_id(version_id: str) -> str:
    """``version_id`` when it can name a version (``null`` or one :func:`new_version_id`
    makes); ``InvalidInputError`` otherwise, before anything is looked up."""
    if version_id == NULL_VERSION:
        return version_id
    if len(version_id) != VERSION_ID_LENGTH or not set(version_id) <= _HEX:
        raise InvalidInputError("invalid version id", version_id=version_id[:64])
    return version_id


def version_position(version_id: str) -> int | None:
    """The position a version id was made for; ``None`` for the ``null`` version, whose
    position only the catalog knows."""
    if version_id == NULL_VERSION:
        return None
    return int(check_version_id(version_id)[:_POSITION_DIGITS], 16)


@dataclass(frozen=True)
class ObjectVersion:
    """One version of a key: an object, or a delete marker (``object`` is ``None``).
    ``position`` orders a bucket's versions (higher is newer); ``latest`` says whether it is
    the newest of its key."""

    key: str
    version_id: str
    position: int
    modified_at: datetime
    latest: bool
    object: BucketObject | None = None

    @property
    def delete_marker(self) -> bool:
        return self.object is None


@dataclass(frozen=True)
class Deletion:
    """What deleting a key (with no version id) did. ``removed``: an object was taken out of
    view. ``marker``: the version id of the delete marker that now hides the key, in a bucket
    whose versioning is set (there one is added even when the key held no object)."""

    removed: bool
    marker: str | None = None


VersionPosition = tuple[bytes, int | None]
"""Where a listing of versions continues: after the key's UTF-8 bytes and, within that key,
after the version at that position (``None``: after every version of the key). The bytes may
end in ``0xFF`` to skip every key under a prefix."""


@dataclass(frozen=True)
class VersionListing:
    """One page of versions in key byte order, newest first within a key, and common
    prefixes. ``next_key``/``next_version_id`` name the last version (or common prefix, with no
    version id) of the page when there is more, ``next_after`` is where the next page starts."""

    versions: tuple[ObjectVersion, ...]
    common_prefixes: tuple[str, ...]
    next_after: VersionPosition | None
    next_key: str | None = None
    next_version_id: str | None = None


class ObjectVersionCatalog(Protocol):
    """Versioning of bucket objects. Part of :class:`~weighthouse.domain.catalog.Catalog`.

    Object writes and deletions (:class:`~weighthouse.domain.catalog.ObjectCatalog`) follow the
    bucket's versioning in the same write that changes the key (see the module docstring):
    ``put_object`` returns the version id it stored, ``delete_object`` adds a delete marker
    when versioning is set. ``get_object``, ``find_object``, ``list_objects`` and the bucket's
    size see only the latest objects. Every version's blob (or manifest) counts as referenced
    until the version is removed; versions go with their bucket."""

    def bucket_versioning(self, repo_id: str) -> Versioning | None:
        """The bucket's versioning, ``None`` when it was never set (or no such bucket)."""
        ...

    def set_bucket_versioning(self, repo_id: str, versioning: Versioning) -> None:
        """Raises ``RepoNotFoundError`` when the bucket does not exist."""
        ...

    def get_object_version(self, repo_id: str, key: str, version_id: str) -> ObjectVersion | None:
        """The version of ``key`` with that id (``null`` included), or ``None``."""
        ...

    def delete_object_version(
        self,
        repo_id: str,
        key: str,
        version_id: str,
        at: datetime,
        *,
        bypass_governance: bool = False,
    ) -> ObjectVersion | None:
        """Remove that version for good and return it as it was; ``None`` when there is none.
        When it was the latest the next newest becomes the latest, and the bucket's size and
        last update (``at``) follow the key's latest object, in the same write. An object
        version under a legal hold, or a retention running past ``at`` (a governance one
        unless ``bypass_governance``), stays: ``ObjectLockedError``, decided in that write."""
        ...

    def set_object_version_tags(
        self, repo_id: str, key: str, version_id: str, tags: dict[str, str]
    ) -> bool:
        """Replace the tags of that version, an object; ``False`` when there is no such object
        version (a delete marker has no tags)."""
        ...

    def set_object_version_acl(
        self, repo_id: str, key: str, version_id: str, acl: Acl, *, read: BucketObject
    ) -> bool:
        """Replace the access control list of that version, an object, changing nothing else
        of it, if it is still ``read`` (the object as the caller read it to decide its
        permission), decided in the write; ``False`` when there is no such object version (a
        delete marker has no ACL) or it changed since (a new object that replaced the ``null``
        version, say). The ACL stays with the version when a newer one replaces it."""
        ...

    def list_object_versions(
        self, repo_id: str, prefix: str, after: VersionPosition | None, limit: int
    ) -> Sequence[ObjectVersion]:
        """Up to ``limit`` versions of keys starting with ``prefix``, after ``after``, in key
        byte order and newest first within a key."""
        ...


def find_object_version(
    catalog: ObjectVersionCatalog, repo_id: str, key: str, version_id: str
) -> BucketObject:
    """The object that is version ``version_id`` of ``key``: ``InvalidInputError`` for an id
    no version can have, ``VersionNotFoundError`` when the key has none of that id,
    ``DeleteMarkerError`` when that version is a delete marker."""
    found = catalog.get_object_version(repo_id, key, check_version_id(version_id))
    return version_object(found, key, version_id)


def version_object(found: ObjectVersion | None, key: str, version_id: str) -> BucketObject:
    """The object ``found`` (what the catalog read for version ``version_id`` of ``key``):
    ``VersionNotFoundError`` when it is ``None``, ``DeleteMarkerError`` for a delete
    marker."""
    if found is None:
        raise VersionNotFoundError(
            f"no version {version_id!r} of {key!r}", key=key, version_id=version_id
        )
    if found.object is None:
        raise DeleteMarkerError(
            f"version {version_id!r} of {key!r} is a delete marker",
            key=key,
            version_id=version_id,
            delete_marker=version_id,
        )
    return found.object
