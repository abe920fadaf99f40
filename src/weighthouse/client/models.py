"""What the client returns: frozen dataclasses read from the REST API's JSON bodies.

Each ``from_json`` takes one decoded object; unknown fields are ignored so a newer server does
not break an older client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from weighthouse.domain.model import RepoType


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _required_time(value: Any) -> datetime:
    parsed = _time(value)
    if parsed is None:
        raise ValueError(f"expected a timestamp, got {value!r}")
    return parsed


@dataclass(frozen=True)
class UserInfo:
    """A user. A ``disabled`` user's tokens and sessions do not work."""

    id: str
    name: str
    is_admin: bool
    created_at: datetime
    disabled: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UserInfo:
        return cls(
            id=data["id"],
            name=data["name"],
            is_admin=bool(data["is_admin"]),
            created_at=_required_time(data["created_at"]),
            disabled=bool(data.get("disabled", False)),
        )


@dataclass(frozen=True)
class SessionInfo:
    """A sign-in: ``token`` (``whs.…``) is sent as a bearer token until ``expires_at`` or
    until ``sign_out``. It is returned once and never stored by the server."""

    token: str = field(repr=False)
    expires_at: datetime
    user: UserInfo

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionInfo:
        return cls(
            token=data["token"],
            expires_at=_required_time(data["expires_at"]),
            user=UserInfo.from_json(data["user"]),
        )


@dataclass(frozen=True)
class WhoAmI:
    """``user`` and ``scope`` are ``None`` for an anonymous caller."""

    user: UserInfo | None
    scope: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WhoAmI:
        user = data.get("user")
        return cls(user=UserInfo.from_json(user) if user else None, scope=data.get("scope"))


@dataclass(frozen=True)
class TokenInfo:
    """An API token. ``secret`` is set only in the answer to its creation; ``restrict_to``
    lists the namespaces (``ns``) and repos (``ns/name``) it is limited to (empty: none)."""

    id: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    secret: str | None = field(default=None, repr=False)
    restrict_to: tuple[str, ...] = ()

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``active`` at ``now`` (an aware datetime)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenInfo:
        return cls(
            id=data["id"],
            name=data["name"],
            scope=data["scope"],
            created_at=_required_time(data["created_at"]),
            expires_at=_time(data.get("expires_at")),
            revoked_at=_time(data.get("revoked_at")),
            last_used_at=_time(data.get("last_used_at")),
            secret=data.get("token"),
            restrict_to=tuple(data.get("restrict_to") or ()),
        )


@dataclass(frozen=True)
class AccessKeyInfo:
    """An S3 access key. ``secret`` is set only in the answer to its creation; ``buckets``
    lists the namespaces (``ns``) and buckets (``ns/name``) it is limited to (empty: none)."""

    id: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    secret: str | None = field(default=None, repr=False)
    buckets: tuple[str, ...] = ()

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``active`` at ``now`` (an aware datetime)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccessKeyInfo:
        return cls(
            id=data["id"],
            name=data["name"],
            scope=data["scope"],
            created_at=_required_time(data["created_at"]),
            expires_at=_time(data.get("expires_at")),
            revoked_at=_time(data.get("revoked_at")),
            last_used_at=_time(data.get("last_used_at")),
            secret=data.get("secret"),
            buckets=tuple(data.get("buckets") or ()),
        )


@dataclass(frozen=True)
class OrgInfo:
    """An organisation: a namespace its members share."""

    name: str
    description: str
    created_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrgInfo:
        return cls(
            name=data["name"],
            description=data.get("description") or "",
            created_at=_required_time(data["created_at"]),
        )


@dataclass(frozen=True)
class MemberInfo:
    """A user's ``role`` (read, write or admin) in an organisation or on one repo."""

    user: str
    role: str
    since: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MemberInfo:
        return cls(user=data["user"], role=data["role"], since=_required_time(data["since"]))


@dataclass(frozen=True)
class AuditEventInfo:
    """One security event of the audit log. ``actor`` is ``None`` for the anonymous or the
    server itself; ``client`` is the caller's address when known."""

    id: int
    at: datetime
    action: str
    actor: str | None
    target: str
    client: str | None
    success: bool
    detail: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEventInfo:
        return cls(
            id=int(data["id"]),
            at=_required_time(data["at"]),
            action=data["action"],
            actor=data.get("actor"),
            target=data.get("target") or "",
            client=data.get("client"),
            success=bool(data.get("success", True)),
            detail={str(k): str(v) for k, v in (data.get("detail") or {}).items()},
        )


@dataclass(frozen=True)
class RepoInfo:
    """``id`` is ``namespace/name``."""

    id: str
    type: RepoType
    namespace: str
    name: str
    private: bool
    description: str
    created_at: datetime
    gated: str = "off"
    """``off``, ``auto`` or ``manual``: whether the files need an accepted access request."""
    findings: dict[str, Any] | None = None
    """What the inspect and scan apps found in the files of the revision asked for:
    ``labels``, ``safetensors`` and ``files`` (each with ``inspect``, ``scan``, ``labels``)."""
    size: int = 0
    """Bytes of the files at the head of ``main``; a bucket's: of all its objects."""
    updated_at: datetime | None = None
    """The last commit to any branch, or object write or delete (the creation time before)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoInfo:
        return cls(
            id=data["id"],
            type=RepoType(data["type"]),
            namespace=data["namespace"],
            name=data["name"],
            private=bool(data["private"]),
            description=data.get("description") or "",
            created_at=_required_time(data["created_at"]),
            gated=data.get("gated") or "off",
            findings=data.get("findings"),
            size=int(data.get("size") or 0),
            updated_at=_time(data.get("updated_at")),
        )


@dataclass(frozen=True)
class AccessRequestInfo:
    """A user's request for a gated repo's files: ``pending``, ``accepted`` or ``rejected``."""

    user: str
    status: str
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    reason: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccessRequestInfo:
        return cls(
            user=data["user"],
            status=data["status"],
            created_at=_required_time(data["created_at"]),
            updated_at=_required_time(data["updated_at"]),
            decided_by=data.get("decided_by"),
            reason=data.get("reason") or "",
        )


@dataclass(frozen=True)
class RefInfo:
    kind: str
    name: str
    commit: str
    created_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RefInfo:
        return cls(
            kind=data["kind"],
            name=data["name"],
            commit=data["commit"],
            created_at=_required_time(data["created_at"]),
        )


@dataclass(frozen=True)
class Refs:
    """Branches, tags, and the commit that the revision ``latest`` names (``None`` if empty)."""

    branches: tuple[RefInfo, ...]
    tags: tuple[RefInfo, ...]
    latest: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refs:
        return cls(
            branches=tuple(RefInfo.from_json(r) for r in data.get("branches", ())),
            tags=tuple(RefInfo.from_json(r) for r in data.get("tags", ())),
            latest=data.get("latest"),
        )


@dataclass(frozen=True)
class CommitInfo:
    id: str
    parent: str | None
    tree: str
    author: str
    message: str
    created_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CommitInfo:
        return cls(
            id=data["id"],
            parent=data.get("parent"),
            tree=data["tree"],
            author=data["author"],
            message=data["message"],
            created_at=_required_time(data["created_at"]),
        )


@dataclass(frozen=True)
class EntryInfo:
    """A file or directory of a tree. Directories carry no size or digests."""

    path: str
    type: str
    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None
    findings: dict[str, Any] | None = None
    """What the inspect and scan apps found in the file: ``inspect``, ``scan``, ``labels``."""

    @property
    def is_file(self) -> bool:
        return self.type == "file"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryInfo:
        return cls(
            path=data["path"],
            type=data["type"],
            size=data.get("size"),
            sha256=data.get("sha256"),
            git_sha1=data.get("git_sha1"),
            findings=data.get("findings"),
        )


@dataclass(frozen=True)
class BlobInfo:
    """A blob the server stored for a later commit."""

    sha256: str
    size: int
    git_sha1: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlobInfo:
        return cls(sha256=data["sha256"], size=data["size"], git_sha1=data.get("git_sha1"))


@dataclass(frozen=True)
class UploadInfo:
    """The answer to a one-file upload: the commit it made and the file's digest."""

    commit: CommitInfo
    path: str
    sha256: str
    size: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadInfo:
        return cls(
            commit=CommitInfo.from_json(data["commit"]),
            path=data["path"],
            sha256=data["sha256"],
            size=data["size"],
        )


@dataclass(frozen=True)
class ObjectInfo:
    """A bucket object. ``etag`` is the hex MD5 of its bytes (what S3 clients compare), or for
    an object a multipart upload joined from its parts ``<MD5 of the parts' MD5s>-<parts>``;
    ``sha256`` is ``None`` for such an object, whose whole-content digest is not known."""

    key: str
    size: int
    sha256: str | None
    etag: str
    content_type: str
    modified_at: datetime | None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObjectInfo:
        return cls(
            key=data["key"],
            size=data["size"],
            sha256=data["sha256"],
            etag=data["etag"],
            content_type=data["content_type"],
            modified_at=_time(data.get("modified_at")),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True)
class ObjectListing:
    """A whole bucket listing: objects, and the common prefixes a delimiter rolled up."""

    objects: tuple[ObjectInfo, ...]
    common_prefixes: tuple[str, ...]
