"""The in-memory catalog's tables: plain dicts keyed like the SQL tables' primary keys.

Every value is a frozen dataclass that is never changed in place (replacing it is the only way
to update a row), so a snapshot for rollback is a shallow copy of each dict.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from weighthouse.domain.discussions_model import Discussion, DiscussionEvent
from weighthouse.domain.jobs_model import Job
from weighthouse.domain.model import (
    AccessKey,
    AccessRequest,
    AuditEvent,
    BucketObject,
    Commit,
    ManifestPart,
    MultipartUpload,
    Organization,
    Ref,
    Repo,
    RepoType,
    Role,
    Session,
    Token,
    TreeEntry,
    UploadedPart,
    User,
)
from weighthouse.domain.object_lock import ObjectLockConfiguration
from weighthouse.domain.object_versions import ObjectVersion, Versioning

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


@dataclass(frozen=True)
class Grant:
    """A membership or a collaboration: the user's name is read from the user, as SQL joins."""

    role: Role
    created_at: datetime


@dataclass
class Tables:
    namespaces: dict[str, str] = field(default_factory=dict)  # folded name -> "user" | "org"
    users: dict[str, User] = field(default_factory=dict)  # by id
    user_ids: dict[str, str] = field(default_factory=dict)  # name -> id
    tokens: dict[str, Token] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    access_keys: dict[str, AccessKey] = field(default_factory=dict)  # by id
    orgs: dict[str, Organization] = field(default_factory=dict)  # by id
    org_ids: dict[str, str] = field(default_factory=dict)  # name -> id
    memberships: dict[tuple[str, str], Grant] = field(default_factory=dict)  # (org, user)
    repos: dict[str, Repo] = field(default_factory=dict)  # by id
    repo_ids: dict[tuple[RepoType, str, str], str] = field(default_factory=dict)
    collaborators: dict[tuple[str, str], Grant] = field(default_factory=dict)  # (repo, user)
    # (repo, user); ``user`` (the name) is read from the user, as SQL joins
    access_requests: dict[tuple[str, str], AccessRequest] = field(default_factory=dict)
    refs: dict[tuple[str, str], Ref] = field(default_factory=dict)  # (repo, name)
    # (repo, num) and (repo, num, seq); ``author`` is read from the user, as SQL joins
    discussions: dict[tuple[str, int], Discussion] = field(default_factory=dict)
    discussion_events: dict[tuple[str, int, int], DiscussionEvent] = field(default_factory=dict)
    likes: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (repo, user) -> at
    # (repo, tag name, commit it named) -> deleted at
    deleted_tags: dict[tuple[str, str, str], datetime] = field(default_factory=dict)
    commits: dict[tuple[str, str], Commit] = field(default_factory=dict)  # (repo, id)
    trees: dict[tuple[str, str], tuple[TreeEntry, ...]] = field(default_factory=dict)
    objects: dict[tuple[str, str], BucketObject] = field(default_factory=dict)  # (repo, key)
    # The position of each latest object among its bucket's versions, by (repo, key).
    positions: dict[tuple[str, str], int] = field(default_factory=dict)
    # The other versions (older objects, delete markers) by (repo, key, version id).
    versions: dict[tuple[str, str, str], ObjectVersion] = field(default_factory=dict)
    # A bucket's versioning once set, and the position of its newest version.
    versioning: dict[str, Versioning] = field(default_factory=dict)
    version_counters: dict[str, int] = field(default_factory=dict)
    # A bucket's object lock once enabled.
    object_locks: dict[str, ObjectLockConfiguration] = field(default_factory=dict)
    # (repo, name) -> document
    bucket_configurations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, MultipartUpload] = field(default_factory=dict)  # by id
    parts: dict[tuple[str, int], UploadedPart] = field(default_factory=dict)  # (upload, number)
    manifests: dict[str, tuple[ManifestPart, ...]] = field(default_factory=dict)  # by id
    manifest_times: dict[str, datetime] = field(default_factory=dict)  # recorded, by id
    # (user, sha256) -> (size, uploaded at)
    blob_uploads: dict[tuple[str, str], tuple[int, datetime]] = field(default_factory=dict)
    # (user, xorb hash) -> (sha256, size, uploaded at)
    xorbs: dict[tuple[str, str], tuple[str, int, datetime]] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)  # by id
    # (sha256, app) -> result
    findings: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[AuditEvent] = field(default_factory=list)
    last_event_id: int = 0
    credential_epoch: str = ""

    def copy(self) -> Tables:
        """A snapshot that later writes to ``self`` do not change."""
        copied = {
            f.name: getattr(self, f.name).copy() for f in fields(self) if f.name not in _SCALARS
        }
        return Tables(**copied, **{name: getattr(self, name) for name in _SCALARS})


_SCALARS = ("last_event_id", "credential_epoch")


class MemoryTables:
    """The state every part of ``MemoryCatalog`` shares: the committed tables, the lock that
    guards them, and each thread's open unit of work.

    Every method holds ``_lock`` for its whole run, so each call is atomic and sees one state.
    Inside :meth:`MemoryCatalog.atomic` a thread works on its own copy of the tables (what
    ``_tables`` then returns), which replaces the committed tables when the unit ends; other
    threads keep reading the committed tables, and their writes wait for the unit to end
    (``_unit_lock``), as a database's writers wait for a write transaction.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._unit_lock = threading.RLock()
        self._committed = Tables()
        self._units = threading.local()

    @property
    def _tables(self) -> Tables:
        working: Tables | None = getattr(self._units, "working", None)
        return self._committed if working is None else working

    def credential_epoch(self) -> str:
        with self._lock:
            return self._tables.credential_epoch

    def _bump_credential_epoch(self) -> None:
        """Called, holding the lock, by every change the epoch must tell (see
        :class:`~weighthouse.domain.catalog.CredentialEpochCatalog`)."""
        self._tables.credential_epoch = uuid.uuid4().hex


def in_utc(record: R) -> R:
    """``record`` with every datetime field in UTC, as the SQL catalog returns them. Naive
    datetimes are refused, as the SQL catalog refuses them."""
    changes: dict[str, object] = {}
    for each in fields(record):
        value = getattr(record, each.name)
        if isinstance(value, datetime):
            changes[each.name] = utc(value)
    return replace(record, **changes) if changes else record


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def utf8(text: str) -> bytes:
    """The sort and comparison key of names, paths and keys, as on every SQL database."""
    return text.encode("utf-8")
