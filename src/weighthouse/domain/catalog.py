"""The catalog's ports: one small Protocol per role, and :class:`Catalog`, which is all of them.

Use cases take only the roles they call (each use-case module names the combination it needs),
so a test can see at a glance what a use case touches, and a fake may implement a few roles.
Adapters implement the whole :class:`Catalog`: ``SqlCatalog`` on SQLite, PostgreSQL or MariaDB,
and ``MemoryCatalog`` in process memory. Both pass one contract suite
(``tests/contract/catalog``).

Rules every role shares:

* Every call is one transaction, unless it runs inside :meth:`UnitOfWork.atomic`, where it
  joins the block's transaction.
* Methods raise the domain's ``*NotFoundError`` and ``*ExistsError`` as documented; a call that
  raises a domain error changed nothing.
* :class:`~weighthouse.domain.errors.StorageError` means the catalog could not be reached; the
  caller may retry and nothing was changed.
* Names, paths and keys are case-sensitive and compare and sort by their UTF-8 bytes.
* Datetimes go in timezone-aware and come back aware, in UTC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from weighthouse.domain.bucket_configurations_catalog import (
    BucketConfigurationCatalog,
    ConfigurationDocument,
)
from weighthouse.domain.discussions_catalog import DiscussionCatalog
from weighthouse.domain.findings_catalog import FindingsCatalog
from weighthouse.domain.jobs_catalog import JobCatalog
from weighthouse.domain.likes_catalog import LikeCatalog
from weighthouse.domain.model import (
    AccessKey,
    AccessRequest,
    AccessRequestStatus,
    AuditEvent,
    BucketObject,
    Commit,
    ManifestPart,
    Member,
    MultipartUpload,
    Organization,
    Ref,
    RefKind,
    Repo,
    RepoOrder,
    RepoType,
    Role,
    Session,
    Token,
    Tree,
    TreeEntry,
    UploadedPart,
    User,
)
from weighthouse.domain.object_lock_catalog import ObjectLockCatalog
from weighthouse.domain.object_versions import Deletion, ObjectVersionCatalog

T = TypeVar("T")


class UserCatalog(Protocol):
    """Accounts of people. User names share one namespace with organisation names."""

    def add_user(self, user: User) -> None:
        """Raises ``UserExistsError`` when a user or an organisation has the name, or the id is
        taken."""
        ...

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Raises ``UserNotFoundError``."""
        ...

    def set_user_disabled(self, user_id: str, disabled: bool) -> None:
        """Idempotent: setting the current value still finds the user. Raises
        ``UserNotFoundError``."""
        ...

    def get_user(self, name: str) -> User:
        """Raises ``UserNotFoundError``."""
        ...

    def get_user_by_id(self, user_id: str) -> User:
        """Raises ``UserNotFoundError``."""
        ...

    def list_users(self) -> list[User]:
        """In name byte order."""
        ...

    def count_users(self) -> int: ...


class TokenCatalog(Protocol):
    """API tokens; only the SHA-256 of a token's secret is stored."""

    def add_token(self, token: Token) -> None:
        """Raises ``UserNotFoundError`` when the token's user does not exist."""
        ...

    def get_token(self, token_id: str) -> Token:
        """Raises ``TokenNotFoundError``."""
        ...

    def list_tokens(self, user_id: str) -> list[Token]:
        """The user's tokens by creation time, then id; empty for an unknown user."""
        ...

    def revoke_token(self, token_id: str, at: datetime) -> None:
        """Idempotent: a second call keeps the first revocation time. Raises
        ``TokenNotFoundError``."""
        ...

    def touch_token(self, token_id: str, at: datetime) -> None:
        """Record a use; a missing token is ignored."""
        ...


class SessionCatalog(Protocol):
    """Signed-in sessions, named by the signed session token."""

    def add_session(self, session: Session) -> None:
        """Raises ``UserNotFoundError`` when the session's user does not exist."""
        ...

    def get_session(self, session_id: str) -> Session:
        """Raises ``SessionNotFoundError``."""
        ...

    def revoke_session(self, session_id: str, at: datetime) -> None:
        """Idempotent (keeps the first time); a missing session is ignored."""
        ...


class AccessKeyCatalog(Protocol):
    """S3 access keys; only the sealed (encrypted) secret is stored, never the secret."""

    def add_access_key(self, key: AccessKey) -> None:
        """Raises ``UserNotFoundError`` when the key's user does not exist."""
        ...

    def get_access_key(self, key_id: str) -> AccessKey:
        """Raises ``AccessKeyNotFoundError``."""
        ...

    def list_access_keys(self, user_id: str) -> list[AccessKey]:
        """The user's keys by creation time, then id; empty for an unknown user."""
        ...

    def revoke_access_key(self, key_id: str, at: datetime) -> None:
        """Idempotent: a second call keeps the first revocation time. Raises
        ``AccessKeyNotFoundError``."""
        ...

    def touch_access_key(self, key_id: str, at: datetime) -> None:
        """Record a use; a missing key is ignored."""
        ...


class OrganizationCatalog(Protocol):
    """Organisations and their members."""

    def add_org(self, org: Organization, founder: Member) -> None:
        """Create the organisation with ``founder`` as its first member, in one transaction.

        Raises ``UserNotFoundError`` when the founder does not exist (checked first), and
        ``UserExistsError`` when a user or an organisation has the name, or the id is taken.
        """
        ...

    def get_org(self, name: str) -> Organization:
        """Raises ``OrganizationNotFoundError``."""
        ...

    def list_orgs(self, member_id: str | None = None) -> list[Organization]:
        """All organisations, or those ``member_id`` belongs to, in name byte order."""
        ...

    def set_member(self, org_id: str, member: Member) -> None:
        """Add the member at ``member.created_at``, or give an existing member the new role
        (keeping the date it joined). Raises ``OrganizationNotFoundError`` when ``org_id``
        names nothing (checked first), ``UserNotFoundError`` when the user does not exist."""
        ...

    def remove_member(self, org_id: str, user_id: str) -> bool:
        """``True`` if a membership was removed."""
        ...

    def list_members(self, org_id: str) -> list[Member]:
        """In user name byte order; empty for an unknown organisation."""
        ...


class CollaboratorCatalog(Protocol):
    """Collaborators: users with a role on one repo. They go when the repo is deleted."""

    def set_collaborator(self, repo_id: str, member: Member) -> None:
        """Add a collaborator at ``member.created_at``, or give an existing one the new role
        (keeping its date). Raises ``RepoNotFoundError`` when ``repo_id`` names nothing
        (checked first), ``UserNotFoundError`` when the user does not exist."""
        ...

    def remove_collaborator(self, repo_id: str, user_id: str) -> bool:
        """``True`` if a collaborator was removed."""
        ...

    def list_collaborators(self, repo_id: str) -> list[Member]:
        """In user name byte order; empty for an unknown repo."""
        ...


class GrantCatalog(Protocol):
    """The questions the permission service asks (:mod:`weighthouse.domain.access`): the two
    it asks on every request, and a bucket's stored grants. Each is one query and never raises
    a not-found error."""

    def member_role(self, namespace: str, user_id: str) -> Role | None:
        """The user's role in the organisation named ``namespace``; ``None`` when there is no
        such organisation or the user is not a member."""
        ...

    def collaborator_role(self, repo_id: str, user_id: str) -> Role | None:
        """The user's role as a collaborator on the repo; ``None`` when there is none."""
        ...

    def get_bucket_configuration(
        self, repo_id: str, name: str, *, revision: int | None = None
    ) -> ConfigurationDocument | None:
        """A bucket's configuration ``name``, or ``None``: asked for the grants of a bucket's
        access control list that no role states (:mod:`weighthouse.domain.acls`), only when
        the caller's role does not already allow the request. ``revision`` as
        :meth:`~weighthouse.domain.bucket_configurations_catalog.BucketConfigurationCatalog.get_bucket_configuration`
        takes it."""
        ...


class AccessRequestCatalog(Protocol):
    """Access requests to gated repos: one per user and repo; they go with the repo."""

    def access_request(self, repo_id: str, user_id: str) -> AccessRequest | None:
        """The user's request for the repo, if any; never raises a not-found error."""
        ...

    def save_access_request(self, request: AccessRequest) -> None:
        """Store the request, or replace the status, ``updated_at``, ``decided_by`` and
        ``reason`` of the one the user has (keeping its ``created_at``). Idempotent. Raises
        ``RepoNotFoundError`` or ``UserNotFoundError`` when either id names nothing."""
        ...

    def list_access_requests(
        self, repo_id: str, status: AccessRequestStatus
    ) -> list[AccessRequest]:
        """The repo's requests in that status, oldest first, with ``user`` filled in."""
        ...


class AuditCatalog(Protocol):
    """The append-only log of security events."""

    def record_event(self, event: AuditEvent) -> None:
        """Append an event. Its ``id`` is ignored: the catalog numbers events in increasing
        order. ``action`` is cut to 64 characters, ``actor`` and ``client`` to 255, so an event
        is never lost to an overlong field; ``target`` and ``detail`` are kept whole."""
        ...

    def list_events(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEvent]:
        """Newest (highest id) first; ``before`` is the id of the last event of the previous
        page. ``actor`` and ``action`` match exactly."""
        ...


@dataclass(frozen=True)
class RepoQuery:
    """A page of repos in ``order`` (see :class:`RepoOrder`): by ``order`` first (most recently
    updated first, or largest first), then by the UTF-8 bytes of ``namespace/name``, then by
    type.

    ``after`` is ``(namespace/name, type)`` of the last repo of the previous page; for the
    orders other than ``NAME`` the page continues after that repo's ``updated_at`` or ``size``,
    given as ``after_key`` (an aware datetime or an int; required with ``after`` then).
    ``search`` matches a case-insensitive substring of ``namespace/name`` (no wildcards).

    Public repos are always listed. Private repos are listed when ``see_all`` is set, or when
    the user ``viewer_id`` may read them: the namespace is the viewer's own user name, or an
    organisation the viewer is a member of, or the viewer is a collaborator on the repo. When
    ``restrict_to`` is not empty, private repos are further limited to those entries
    (``namespace`` or ``namespace/name``, whole names only), as a restricted token sees them,
    even with ``see_all``.
    """

    type: RepoType | None = None
    namespace: str | None = None
    search: str | None = None
    after: tuple[str, RepoType] | None = None
    limit: int = 50
    viewer_id: str | None = None
    see_all: bool = False
    restrict_to: tuple[str, ...] = ()
    order: RepoOrder = RepoOrder.NAME
    after_key: datetime | int | None = None


class RepoCatalog(Protocol):
    """Repos: what exists, who owns it, and whether it is private."""

    def add_repo(self, repo: Repo) -> None:
        """Raises ``UserNotFoundError`` when the owner does not exist (checked first), and
        ``RepoExistsError`` when ``(type, namespace, name)`` or the id is taken."""
        ...

    def get_repo(self, type: RepoType, namespace: str, name: str) -> Repo:
        """Raises ``RepoNotFoundError``."""
        ...

    def list_repos(self, query: RepoQuery) -> list[Repo]:
        """Up to ``query.limit`` repos, as :class:`RepoQuery` says."""
        ...

    def update_repo(self, repo: Repo) -> None:
        """Store new ``private``, ``description`` and ``gated`` for the repo with ``repo.id``;
        the other fields are not changed. Idempotent. Raises ``RepoNotFoundError``."""
        ...

    def rename_repo(self, repo_id: str, namespace: str, name: str) -> None:
        """Give the repo with id ``repo_id`` a new namespace and name; everything it holds
        (refs, commits, collaborators) stays with it. Raises ``RepoExistsError`` when a repo
        of its type has that name, ``RepoNotFoundError`` when the id names no repo."""
        ...

    def delete_repo(self, repo_id: str, *, at: datetime | None = None) -> None:
        """Remove a repo with its refs, commits, trees, objects and collaborators. Idempotent.
        Raises ``ObjectLockedError``, having removed nothing, when the repo (a bucket) holds an
        object version under a legal hold or a retention running past ``at`` (default: now)."""
        ...


class HistoryCatalog(Protocol):
    """Refs, commits and trees of versioned repos.

    Branch and tag names share one namespace per repo. Commits and trees are immutable and
    content-addressed: storing one that exists is skipped.
    """

    def get_ref(self, repo_id: str, kind: RefKind, name: str) -> Ref:
        """Raises ``RevisionNotFoundError`` (also when the name is a ref of the other kind)."""
        ...

    def list_refs(self, repo_id: str) -> list[Ref]:
        """Branches first, then tags, each in name byte order; empty for an unknown repo."""
        ...

    def create_ref(self, repo_id: str, ref: Ref) -> None:
        """Raises ``RefExistsError`` when a branch or tag of that name exists (either kind)."""
        ...

    def delete_ref(self, repo_id: str, kind: RefKind, name: str) -> None:
        """Raises ``RevisionNotFoundError``."""
        ...

    def record_deleted_tag(self, repo_id: str, name: str, commit_id: str, at: datetime) -> None:
        """Remember that the tag ``name`` named ``commit_id`` when it was deleted. Idempotent:
        recording the same tag and commit again keeps the first time. Kept until the repo
        goes."""
        ...

    def deleted_tag_commits(self, repo_id: str, name: str) -> set[str]:
        """Every commit a deleted tag of that name named; empty when none was deleted."""
        ...

    def get_commit(self, repo_id: str, commit_id: str) -> Commit:
        """Raises ``RevisionNotFoundError``."""
        ...

    def save_commit(
        self,
        repo_id: str,
        commit: Commit,
        trees: Sequence[Tree],
        branch: str,
        expected_head: str | None,
    ) -> None:
        """Atomically store ``trees`` (those already stored are skipped), the commit, and move
        ``branch`` from ``expected_head`` to ``commit.id`` (compare-and-swap).

        The repo's ``updated_at`` becomes ``commit.created_at``; a commit to ``main`` also
        sets its ``size`` to the bytes of the files of ``commit.tree_id``. Both in the same
        transaction. ``expected_head=None`` creates the branch, which must not exist yet. Raises
        ``CommitConflictError`` when the branch head is not ``expected_head`` (or the name
        exists, as a branch or a tag, when ``None`` was expected); then nothing is stored. Of
        concurrent calls expecting one head, exactly one succeeds.
        """
        ...

    def get_tree(self, repo_id: str, tree_id: str) -> Tree:
        """All entries of a directory, sorted by name bytes. Raises ``RevisionNotFoundError``."""
        ...

    def get_entry(self, repo_id: str, tree_id: str, name: str) -> TreeEntry | None:
        """One entry of a directory by exact name, without loading the rest; ``None`` when
        the tree or the name is not there."""
        ...

    def list_entries(
        self, repo_id: str, tree_id: str, after: str | None, limit: int
    ) -> list[TreeEntry]:
        """Up to ``limit`` entries with name bytes greater than ``after``, in byte order."""
        ...


class ObjectCatalog(Protocol):
    """Objects of buckets: mutable keys, each naming one blob."""

    def put_object(
        self,
        repo_id: str,
        obj: BucketObject,
        *,
        if_none_match: bool = False,
        if_match: str | None = None,
    ) -> str:
        """Create or replace the object at ``obj.key``; without a condition the last writer
        wins. Returns the version id stored: as the bucket's versioning says (see
        :class:`~weighthouse.domain.object_versions.ObjectVersionCatalog`; ``obj.version_id`` is
        ignored), :data:`~weighthouse.domain.model.NULL_VERSION` in a bucket without it. The
        bucket's size gains the object's size (less the replaced one's) and its last update
        becomes ``obj.modified_at``, in the same write, exact under concurrent writers.

        The conditions are a compare-and-swap, decided atomically with the write: with
        ``if_none_match`` the object is stored only if the key holds none (exactly one of any
        number of concurrent creators succeeds); with ``if_match`` (a SHA-256) it replaces only
        an object whose ``sha256`` is that value (of concurrent replacers expecting the same
        value, exactly one succeeds unless a winner stored that value again). Raises
        :class:`~weighthouse.domain.errors.PreconditionFailedError` when the condition does not
        hold; then nothing is changed. Giving both raises ``ValueError``.
        """
        ...

    def get_object(self, repo_id: str, key: str) -> BucketObject:
        """Raises ``EntryNotFoundError``."""
        ...

    def find_object(
        self, type: RepoType, namespace: str, name: str, key: str
    ) -> tuple[Repo, BucketObject | None]:
        """The repo named ``(type, namespace, name)`` and its object at ``key`` (``None`` when
        it holds none), read together in one statement, as a small GET needs them. Raises
        ``RepoNotFoundError`` when no such repo exists."""
        ...

    def delete_object(
        self,
        repo_id: str,
        key: str,
        *,
        if_sha256: str | None = None,
        at: datetime | None = None,
    ) -> Deletion:
        """Take the object at ``key`` out of view: ``removed`` if there was one. With
        ``if_sha256``, only an object of that SHA-256 is removed, decided in the same write (a
        compare-and-delete); when it does not match nothing changes. A removal takes the
        object's size off the bucket's and makes ``at`` (now when ``None``) its last update,
        in the same write. In a bucket whose versioning is set the object stays as an older
        version and a delete marker (``marker``, its version id) becomes the key's latest,
        whether or not there was an object; elsewhere the object is gone."""
        ...

    def set_object_tags(self, repo_id: str, key: str, tags: Mapping[str, str]) -> bool:
        """Replace the tag set of the object at ``key`` with ``tags`` (in their order; empty
        removes them), changing nothing else of it; ``False`` when the key holds no object."""
        ...

    def list_objects(
        self, repo_id: str, prefix: str, after: bytes | None, limit: int
    ) -> list[BucketObject]:
        """Up to ``limit`` objects whose key starts with ``prefix`` and whose UTF-8 key bytes are
        greater than ``after``, in byte order. ``after`` may be any bytes (a position ending in
        ``0xFF`` skips every key under a prefix)."""
        ...

    def put_manifest(self, manifest_id: str, parts: Sequence[ManifestPart], at: datetime) -> None:
        """Record the parts of a joined object under ``manifest_id`` (their
        :func:`~weighthouse.domain.model.manifest_id`) as named at ``at``; when it is recorded
        already only that time changes, so concurrent writers of one manifest both succeed.
        Call it in the unit of work that stores the object naming it. The parts' blobs count
        as referenced while an object names the manifest; one no object names goes with
        :meth:`ReferenceCatalog.prune_manifests` once ``at`` is older than its cutoff."""
        ...

    def manifest(self, manifest_id: str) -> list[ManifestPart]:
        """The parts of a manifest, in order; ``BlobMissingError`` when none is recorded."""
        ...


class MultipartCatalog(Protocol):
    """Open multipart uploads and their parts. A part's blob counts as referenced (for the
    garbage collector) while its upload is open."""

    def add_upload(self, upload: MultipartUpload) -> None:
        """Record a new upload; raises ``RepoNotFoundError`` when its bucket is gone."""
        ...

    def get_upload(self, upload_id: str) -> MultipartUpload:
        """Raises ``UploadNotFoundError``."""
        ...

    def put_part(self, upload_id: str, part: UploadedPart) -> None:
        """Create or replace part ``part.number`` (the last upload of a number wins); raises
        ``UploadNotFoundError`` when the upload is no longer open."""
        ...

    def list_parts(self, upload_id: str, after: int, limit: int) -> list[UploadedPart]:
        """Up to ``limit`` parts numbered above ``after``, in ascending order."""
        ...

    def end_upload(self, upload_id: str) -> None:
        """Remove the upload and its parts (completed or aborted): of concurrent callers, one
        succeeds; the others, and any caller once it is gone, get ``UploadNotFoundError``.
        Inside a unit of work this is how a completion claims the upload."""
        ...

    def list_uploads(
        self, repo_id: str, prefix: str, after: tuple[bytes, str] | None, limit: int
    ) -> list[MultipartUpload]:
        """Up to ``limit`` open uploads of the bucket whose key starts with ``prefix``, ordered
        by key bytes then id, after the position ``(key bytes, id)``."""
        ...

    def prune_uploads(self, before: datetime) -> int:
        """Remove uploads started before ``before`` with their parts; returns how many."""
        ...


@dataclass(frozen=True)
class BlobSourceQuery:
    """Whose proofs count when a caller references blobs by hash.

    ``user_id``'s uploads count when recorded at or after ``uploaded_since``. Repos and buckets
    count when the caller may see them by :class:`RepoQuery`'s rules for ``user_id`` (as its
    ``viewer_id``), ``see_all`` and ``restrict_to``; ``prefer_repo_id`` is listed first, and at
    most ``per_blob`` holders are listed for each blob.
    """

    user_id: str | None
    uploaded_since: datetime
    see_all: bool = False
    restrict_to: tuple[str, ...] = ()
    prefer_repo_id: str | None = None
    per_blob: int = 4


@dataclass(frozen=True)
class BlobSources:
    """What the catalog knows that could prove a caller may use some blobs.

    ``uploaded``: the hashes the caller uploaded recently. ``holders``: for each other hash, the
    repos and buckets (visible to the caller) with a tree entry or object of that content.
    A hash absent from both has no source for this caller, whether or not it is stored.
    """

    uploaded: frozenset[str]
    holders: Mapping[str, tuple[Repo, ...]]


class BlobSourceCatalog(Protocol):
    """What could prove a caller may reference a stored blob by hash: their recent uploads,
    and the repos and buckets holding it (see :mod:`~weighthouse.domain.blob_proof`)."""

    def record_blob_upload(self, user_id: str, sha256: str, size: int, at: datetime) -> None:
        """Remember that ``user_id`` uploaded the blob at ``at``. One record per user and blob:
        a later upload overwrites its size and time. Idempotent."""
        ...

    def find_blob_sources(self, sha256s: Collection[str], query: BlobSourceQuery) -> BlobSources:
        """For each hash in ``sha256s`` (any number, in one read transaction): in ``uploaded``
        when ``query.user_id`` recorded an upload of it at or after ``query.uploaded_since``;
        otherwise, in ``holders`` with up to ``query.per_blob`` repos and buckets holding it that
        the caller may see (see :class:`BlobSourceQuery`), when there are any. The listing is a
        hint: :func:`~weighthouse.domain.access.repo_role` decides."""
        ...

    def prune_blob_uploads(self, before: datetime) -> int:
        """Forget upload records older than ``before``, xorb records included; returns how
        many. Idempotent."""
        ...

    def record_xorb(
        self, user_id: str, xorb_hash: str, sha256: str, size: int, at: datetime
    ) -> None:
        """Remember that ``user_id`` uploaded, at ``at``, the Xet xorb ``xorb_hash`` (its
        string form), stored as the blob ``sha256``. One record per user and xorb: a later
        upload overwrites it. Idempotent."""
        ...

    def find_xorb(self, user_id: str, xorb_hash: str, since: datetime) -> tuple[str, int] | None:
        """``(sha256, size)`` of the blob holding the xorb ``user_id`` uploaded at or after
        ``since``; ``None`` otherwise (another user's upload proves nothing)."""
        ...


class ReferenceCatalog(Protocol):
    """Which blobs the catalog refers to: what the garbage collector and fsck ask."""

    def referenced_blobs(self) -> Iterator[tuple[str, int]]:
        """``(sha256, size)`` of every blob a tree entry or object refers to, each sha256 once
        (with the largest size recorded for it, so a disagreement shows up in fsck). The
        iterator may be abandoned midway (closed) without holding anything."""
        ...

    def is_referenced(self, sha256: str) -> bool: ...

    def prune_manifests(self, before: datetime) -> int:
        """Remove the manifests no object names that were last recorded before ``before``;
        how many. A manifest recorded again (:meth:`ObjectCatalog.put_manifest`) in a unit of
        work still open when this runs is kept, whichever reaches it first."""
        ...


class CredentialEpochCatalog(Protocol):
    """A value that changes, in the same transaction, with every change that can end a
    credential or lower what a user may do: a token, session or access key revoked, a user
    disabled, re-enabled or given a new password, a membership or collaboration set or
    removed. Equal values read at two times mean none of those happened in between; the value
    itself means nothing (it is not ordered)."""

    def credential_epoch(self) -> str:
        """The current epoch; the empty string before the first change."""
        ...


class ReadinessCatalog(Protocol):
    local_reads: bool
    """True when a read waits on nothing but this machine's memory and disks (an embedded
    database, no server to reach), so a front-end may make a short one on its event loop."""

    loop_writes: bool
    """True when writing one bucket object waits on nothing an event loop cannot await: the
    commit it shares through a group commit (:mod:`weighthouse.on_loop`), or memory."""

    def check_ready(self) -> None:
        """Raise ``StorageError`` if the catalog is unreachable."""
        ...


class UnitOfWork(Protocol):
    """Several catalog calls as one transaction.

    Inside ``with catalog.atomic():`` every call on that catalog made by the same thread joins
    one transaction: committed when the block ends normally, rolled back when it raises, so
    either all of the block's changes are stored or none is. ``atomic()`` blocks nest: an inner
    block joins the outer one, and only the outermost commits. A call that raises inside a
    block changes nothing (its own changes are rolled back to where it began) and the block may
    catch the error and go on. Other threads do not see the block's changes before the commit,
    and calls from other threads never join it.

    A unit holds a write transaction from its start (on SQLite the database's write lock), so
    it must hold no slow work: hash passwords, upload blobs and check permissions before it.

    **Transient conflicts.** A database may abort a transaction because of a concurrent one
    (deadlock, serialization failure, SQLite busy): the catalog then raises
    :class:`~weighthouse.domain.errors.StorageError` and nothing of the transaction is stored.
    A call made outside a unit is retried by the catalog itself. Inside a unit nothing is
    retried (the whole transaction is lost, not one call), so :meth:`atomic` raises and the
    caller gets ``StorageError``. :meth:`run_atomic` runs a whole unit again instead; use cases
    use it, and the work they pass must therefore be safe to run more than once (catalog
    calls and values computed from them only, no blob uploads or other side effects).
    """

    def atomic(self) -> contextlib.AbstractContextManager[None]:
        """A block whose catalog calls form one transaction; see the class docstring."""
        ...

    def run_atomic(self, work: Callable[[], T]) -> T:
        """Call ``work`` inside :meth:`atomic` and return its result. When the transaction is
        aborted by a transient conflict, run ``work`` again in a new one (a bounded number of
        times, with a jittered backoff), then raise ``StorageError``. Inside an open unit,
        ``work`` simply joins it and is not retried: the outermost unit is what may be retried.
        Any other exception from ``work`` rolls the unit back and propagates unchanged."""
        ...

    def after_commit(self, action: Callable[[], None]) -> None:
        """Call ``action`` once what this thread has written is committed: at once outside a
        unit; inside one, right after its outermost block commits, and never if it rolls back
        (nor for an attempt of :meth:`run_atomic` that is run again). For what must not happen
        before the data it speaks of is visible to others, such as telling a worker on another
        connection that a job is queued. An action registered by a call that failed inside
        the unit still runs if the unit commits, so an action must be harmless when what it
        speaks of is missing. An action that raises is logged; the commit stands and the
        other actions still run."""
        ...


class Catalog(
    UserCatalog,
    TokenCatalog,
    SessionCatalog,
    AccessKeyCatalog,
    OrganizationCatalog,
    CollaboratorCatalog,
    GrantCatalog,
    AccessRequestCatalog,
    AuditCatalog,
    RepoCatalog,
    HistoryCatalog,
    ObjectCatalog,
    ObjectVersionCatalog,
    ObjectLockCatalog,
    MultipartCatalog,
    BucketConfigurationCatalog,
    BlobSourceCatalog,
    ReferenceCatalog,
    ReadinessCatalog,
    CredentialEpochCatalog,
    JobCatalog,
    DiscussionCatalog,
    FindingsCatalog,
    LikeCatalog,
    UnitOfWork,
    Protocol,
):
    """The whole catalog: accounts, organisations, access, audit, repos, history, objects and
    maintenance. The composition root builds one and hands it to every use case, each of which
    sees only its roles."""
