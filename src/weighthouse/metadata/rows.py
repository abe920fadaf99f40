"""Conversions between table rows and domain dataclasses, in both directions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from weighthouse.domain.acls import Acl, acl_document, acl_from
from weighthouse.domain.encryption import encryption_document, encryption_from
from weighthouse.domain.model import (
    AccessKey,
    AccessRequest,
    AccessRequestStatus,
    AuditEvent,
    BucketObject,
    Commit,
    Encryption,
    EntryKind,
    Gating,
    Member,
    MultipartUpload,
    Organization,
    Ref,
    RefKind,
    Repo,
    RepoType,
    Role,
    Scope,
    Session,
    Token,
    TreeEntry,
    UploadedPart,
    User,
)
from weighthouse.domain.object_lock import LockMode, Retention
from weighthouse.metadata.tables import AUDIT_ACTION, AUDIT_ACTOR, AUDIT_CLIENT


def user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "is_admin": user.is_admin,
        "disabled": user.disabled,
        "created_at": user.created_at,
        "password_hash": user.password_hash,
    }


def user_from(row: Row[Any]) -> User:
    return User(
        id=row.id,
        name=row.name,
        is_admin=row.is_admin,
        created_at=row.created_at,
        disabled=row.disabled,
        password_hash=row.password_hash,
    )


def token_row(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "user_id": token.user_id,
        "name": token.name,
        "scope": token.scope.value,
        "secret_sha256": token.secret_sha256,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
        "restrict_to": list(token.restrict_to),
    }


def token_from(row: Row[Any]) -> Token:
    return Token(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        scope=Scope(row.scope),
        secret_sha256=row.secret_sha256,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        restrict_to=tuple(row.restrict_to),
    )


def access_key_row(key: AccessKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "user_id": key.user_id,
        "name": key.name,
        "scope": key.scope.value,
        "sealed_secret": key.sealed_secret,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
        "buckets": list(key.buckets),
    }


def access_key_from(row: Row[Any]) -> AccessKey:
    return AccessKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        scope=Scope(row.scope),
        sealed_secret=row.sealed_secret,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        buckets=tuple(row.buckets),
    )


def session_row(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
    }


def session_from(row: Row[Any]) -> Session:
    return Session(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def org_row(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "created_at": org.created_at,
    }


def org_from(row: Row[Any]) -> Organization:
    return Organization(
        id=row.id, name=row.name, created_at=row.created_at, description=row.description
    )


def member_row(member: Member) -> dict[str, Any]:
    """The columns memberships and collaborators share; the caller adds the org or repo id.
    ``user_name`` is not stored: it is read from the user."""
    return {"user_id": member.user_id, "role": member.role.value, "created_at": member.created_at}


def member_from(row: Row[Any]) -> Member:
    """From a membership or collaborator row joined with the user's ``user_name``."""
    return Member(
        user_id=row.user_id, user_name=row.user_name, role=Role(row.role), created_at=row.created_at
    )


def event_row(event: AuditEvent) -> dict[str, Any]:
    """The id is left to the database. Bounded columns are cut to fit, so an event is never
    lost to a long client string or a hostile name; ``target`` and ``detail`` are unbounded."""
    return {
        "at": event.at,
        "action": event.action[:AUDIT_ACTION],
        "actor": None if event.actor is None else event.actor[:AUDIT_ACTOR],
        "target": event.target,
        "client": None if event.client is None else event.client[:AUDIT_CLIENT],
        "success": event.success,
        "detail": dict(event.detail),
    }


def event_from(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        action=row.action,
        actor=row.actor,
        target=row.target,
        client=row.client,
        success=row.success,
        detail=dict(row.detail),
    )


def repo_row(repo: Repo) -> dict[str, Any]:
    return {
        "id": repo.id,
        "type": repo.type.value,
        "namespace": repo.namespace,
        "name": repo.name,
        "full_name": repo.full_name,
        "search_name": repo.full_name.lower(),
        "private": repo.private,
        "owner_id": repo.owner_id,
        "description": repo.description,
        "created_at": repo.created_at,
        "gated": repo.gated.value,
        "size": 0,
        "updated_at": repo.created_at,
    }


def repo_from(row: Any, *, size: str = "size", updated_at: str = "updated_at") -> Repo:
    """``size`` and ``updated_at`` name the row's columns of those fields, which a statement
    joining objects (which have a size too) renames."""
    return Repo(
        id=row.id,
        type=RepoType(row.type),
        namespace=row.namespace,
        name=row.name,
        private=row.private,
        created_at=row.created_at,
        owner_id=row.owner_id,
        description=row.description,
        gated=Gating(row.gated),
        size=getattr(row, size),
        # Filled by every write since 0018; the creation time is what it would say anyway.
        updated_at=getattr(row, updated_at) or row.created_at,
        # A statement that does not select it leaves it unknown: every configuration is read.
        configuration_revision=getattr(row, "configuration_revision", None),
    )


def ref_row(repo_id: str, ref: Ref) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "name": ref.name,
        "kind": ref.kind.value,
        "commit_id": ref.commit_id,
        "created_at": ref.created_at,
    }


def ref_from(row: Row[Any]) -> Ref:
    return Ref(
        kind=RefKind(row.kind), name=row.name, commit_id=row.commit_id, created_at=row.created_at
    )


def commit_row(repo_id: str, commit: Commit) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "id": commit.id,
        "tree_id": commit.tree_id,
        "parent_id": commit.parent_id,
        "author": commit.author,
        "message": commit.message,
        "created_at": commit.created_at,
    }


def commit_from(row: Row[Any]) -> Commit:
    return Commit(
        id=row.id,
        tree_id=row.tree_id,
        parent_id=row.parent_id,
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )


def entry_row(repo_id: str, tree_id: str, entry: TreeEntry) -> dict[str, Any]:
    return {
        "repo_id": repo_id,
        "tree_id": tree_id,
        "name": entry.name,
        "kind": entry.kind.value,
        "child_tree_id": entry.tree_id,
        "sha256": entry.sha256,
        "size": entry.size,
        "git_sha1": entry.git_sha1,
    }


def entry_from(row: Row[Any]) -> TreeEntry:
    return TreeEntry(
        name=row.name,
        kind=EntryKind(row.kind),
        tree_id=row.child_tree_id,
        sha256=row.sha256,
        size=row.size,
        git_sha1=row.git_sha1,
    )


def object_row(repo_id: str, obj: BucketObject, position: int = 0) -> dict[str, Any]:
    """The row of ``objects``; ``position`` orders it among its bucket's versions."""
    return {
        "repo_id": repo_id,
        "key": obj.key,
        "sha256": obj.sha256,
        "size": obj.size,
        "md5": obj.md5,
        "content_type": obj.content_type,
        "metadata": dict(obj.metadata),
        "content_headers": dict(obj.content_headers),
        "checksums": dict(obj.checksums),
        "modified_at": obj.modified_at,
        "part_sizes": list(obj.part_sizes) if obj.part_sizes else None,
        "parts_md5": obj.parts_md5,
        "tags": dict(obj.tags) or None,
        "version_id": obj.version_id,
        "position": position,
        "acl": acl_document(obj.acl) if obj.acl is not None else None,
        "encryption": _encryption_document(obj.encryption),
        **lock_columns(obj.retention, obj.legal_hold),
    }


def lock_columns(retention: Retention | None, legal_hold: bool | None) -> dict[str, Any]:
    """The object lock columns of ``objects``, ``object_versions`` and ``multipart_uploads``
    (``legal_hold`` NULL: never set)."""
    return {
        "lock_mode": None if retention is None else retention.mode.value,
        "retain_until": None if retention is None else retention.until,
        "legal_hold": legal_hold,
    }


def retention_from(row: Any) -> Retention | None:
    """The retention of a row with the object lock columns (none in a delete marker's)."""
    mode = getattr(row, "lock_mode", None)
    if mode is None or row.retain_until is None:
        return None
    return Retention(LockMode(mode), row.retain_until)


def object_from(row: Row[Any]) -> BucketObject:
    return BucketObject(
        key=row.key,
        sha256=row.sha256,
        size=row.size,
        md5=row.md5,
        content_type=row.content_type,
        modified_at=row.modified_at,
        metadata=dict(row.metadata),
        # Rows written before these columns existed hold NULL.
        content_headers=dict(row.content_headers or {}),
        checksums=dict(row.checksums or {}),
        part_sizes=tuple(row.part_sizes or ()),
        parts_md5=row.parts_md5,
        tags=dict(row.tags or {}),
        version_id=row.version_id,
        acl=_acl(getattr(row, "acl", None)),
        encryption=_encryption(row.encryption),
        retention=retention_from(row),
        legal_hold=getattr(row, "legal_hold", None),
    )


def _acl(document: Any) -> Acl | None:
    return acl_from(document) if document is not None else None


def _encryption(document: Any) -> Encryption | None:
    return encryption_from(document) if document is not None else None


def _encryption_document(encryption: Encryption | None) -> dict[str, Any] | None:
    return encryption_document(encryption) if encryption is not None else None


def upload_row(upload: MultipartUpload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "repo_id": upload.repo_id,
        "key": upload.key,
        "initiator_id": upload.initiator_id,
        "created_at": upload.created_at,
        "content_type": upload.content_type,
        "metadata": dict(upload.metadata),
        "checksum_algorithm": upload.checksum_algorithm,
        "checksum_type": upload.checksum_type,
        "content_headers": dict(upload.content_headers),
        "tags": dict(upload.tags) or None,
        "acl": acl_document(upload.acl) if upload.acl is not None else None,
        "encryption": _encryption_document(upload.encryption),
        **lock_columns(upload.retention, upload.legal_hold),
    }


def upload_from(row: Row[Any]) -> MultipartUpload:
    return MultipartUpload(
        id=row.id,
        repo_id=row.repo_id,
        key=row.key,
        initiator_id=row.initiator_id,
        created_at=row.created_at,
        content_type=row.content_type,
        metadata=dict(row.metadata),
        checksum_algorithm=row.checksum_algorithm,
        checksum_type=row.checksum_type,
        content_headers=dict(row.content_headers or {}),
        tags=dict(row.tags or {}),
        acl=acl_from(row.acl) if row.acl is not None else None,
        encryption=_encryption(row.encryption),
        retention=retention_from(row),
        legal_hold=row.legal_hold,
    )


def part_row(upload_id: str, part: UploadedPart) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "number": part.number,
        "sha256": part.sha256,
        "size": part.size,
        "md5": part.md5,
        "checksum": part.checksum,
        "modified_at": part.modified_at,
        "iv": part.iv or None,
    }


def part_from(row: Row[Any]) -> UploadedPart:
    return UploadedPart(
        number=row.number,
        sha256=row.sha256,
        size=row.size,
        md5=row.md5,
        modified_at=row.modified_at,
        checksum=row.checksum,
        iv=row.iv or "",
    )


def access_request_row(request: AccessRequest) -> dict[str, Any]:
    return {
        "repo_id": request.repo_id,
        "user_id": request.user_id,
        "status": request.status.value,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "decided_by": request.decided_by,
        "reason": request.reason,
    }


def access_request_from(row: Row[Any]) -> AccessRequest:
    """``row`` also holds the user's name as ``user_name``."""
    return AccessRequest(
        repo_id=row.repo_id,
        user_id=row.user_id,
        status=AccessRequestStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        user=row.user_name,
        decided_by=row.decided_by,
        reason=row.reason,
    )
