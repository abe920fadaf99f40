"""Request and response bodies of the REST API (pydantic at the edge only)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
)

from weighthouse import wire
from weighthouse.domain.blob_proof import MAX_CHECK, BlobRef
from weighthouse.domain.file_findings import FileFindings, RevisionFindings
from weighthouse.domain.model import (
    AccessRequest,
    AccessRequestStatus,
    AuditEvent,
    BucketObject,
    Commit,
    EntryKind,
    Gating,
    Member,
    Organization,
    PathEntry,
    Ref,
    Repo,
    RepoType,
    Role,
    Scope,
    Token,
    User,
)
from weighthouse.frontends.rest import patterns


class Strict(BaseModel):
    """A request body: unknown fields are refused, and text must be encodable as UTF-8."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _utf8_only(cls, value: object) -> object:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError("text must be valid Unicode (no lone surrogates)") from None
        return value


class RepoKind(enum.StrEnum):
    """The plural used in URLs."""

    models = "models"
    datasets = "datasets"
    buckets = "buckets"

    @property
    def type(self) -> RepoType:
        return {"models": RepoType.MODEL, "datasets": RepoType.DATASET}.get(
            self.value, RepoType.BUCKET
        )


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: dict[str, object] = {}


class ErrorOut(BaseModel):
    error: ErrorBody


class RepoCreate(Strict):
    type: RepoType = RepoType.MODEL
    namespace: str | None = Field(
        default=None, description="default: your user name", json_schema_extra=patterns.NAME
    )
    name: str = Field(json_schema_extra=patterns.NAME)
    private: StrictBool | None = Field(
        default=None, description="default: the site's setting repos.default_private (true)"
    )
    description: str = ""


class RepoUpdate(Strict):
    private: StrictBool | None = None
    description: str | None = None
    gated: Gating | None = Field(
        default=None,
        description="models and datasets: 'auto' accepts every access request as it is made,"
        " 'manual' waits for a repo admin, 'off' opens the files to every reader",
    )


class RepoMove(Strict):
    namespace: str | None = Field(
        default=None, description="default: where the repo is now", json_schema_extra=patterns.NAME
    )
    name: str | None = Field(
        default=None, description="default: its name now", json_schema_extra=patterns.NAME
    )


class RepoOut(BaseModel):
    id: str
    type: RepoType
    namespace: str
    name: str
    private: bool
    description: str
    created_at: datetime
    gated: Gating = Gating.OFF
    size: int = Field(
        default=0, description="Bytes of the files at the head of main; a bucket's: all objects"
    )
    updated_at: datetime | None = Field(
        default=None,
        description="The last commit to any branch, or object write or delete; else creation",
    )

    @classmethod
    def of(cls, repo: Repo) -> RepoOut:
        return cls(
            id=repo.full_name,
            type=repo.type,
            namespace=repo.namespace,
            name=repo.name,
            private=repo.private,
            description=repo.description,
            created_at=repo.created_at,
            gated=repo.gated,
            size=repo.size,
            updated_at=repo.updated_at or repo.created_at,
        )


class InspectOut(BaseModel):
    """What the inspect app read in a weight file, without executing it."""

    format: str = Field(description="safetensors, gguf, onnx, pytorch-zip, pickle...")
    tensor_count: int
    parameter_count: int
    dtypes: dict[str, int] = Field(description="parameters per dtype")


class PickleImportOut(BaseModel):
    """A global a pickle imports, as it names it, with the scan's verdict on it."""

    module: str
    name: str
    verdict: str = Field(description="safe, suspicious or dangerous")


class ScanOut(BaseModel):
    """The scan app's verdict on a pickled file, read from its opcodes without loading it."""

    verdict: str = Field(description="safe, suspicious or dangerous")
    flagged: list[str] = Field(description="the globals its pickles import that decided it")
    imports: list[PickleImportOut] | None = Field(
        default=None,
        description="every global its pickles import, the worst first, at most 100; absent"
        " for files scanned before imports were listed",
    )


class SafetensorsOut(BaseModel):
    parameters: dict[str, int] = Field(description="parameters per dtype")
    total: int


class FileFindingsOut(BaseModel):
    path: str
    sha256: str
    inspect: InspectOut | None = Field(default=None, description="what the inspect app read")
    scan: ScanOut | None = Field(default=None, description="the scan app's verdict")
    labels: list[str] = Field(
        default_factory=list, description="'unsafe-pickle' when the scan calls it dangerous"
    )

    @classmethod
    def of(cls, found: FileFindings) -> FileFindingsOut:
        return cls(
            path=found.path,
            sha256=found.sha256,
            inspect=None if found.inspect is None else InspectOut.model_validate(found.inspect),
            scan=None if found.scan is None else ScanOut.model_validate(found.scan),
            labels=list(found.labels),
        )


class FindingsOut(BaseModel):
    commit: str = Field(description="the commit the revision named")
    labels: list[str] = Field(description="'unsafe-pickle' when a file of it is dangerous")
    safetensors: SafetensorsOut | None = Field(
        description="parameters per dtype and in total over the .safetensors files, once"
        " every one was inspected"
    )
    files: list[FileFindingsOut] = Field(description="the files with findings, by path")

    @classmethod
    def of(cls, found: RevisionFindings) -> FindingsOut:
        return cls(
            commit=found.commit,
            labels=list(found.labels),
            safetensors=None
            if found.safetensors is None
            else SafetensorsOut.model_validate(found.safetensors),
            files=[FileFindingsOut.of(f) for f in found.files],
        )


class RepoInfoOut(RepoOut):
    findings: FindingsOut | None = Field(
        default=None,
        description="what the inspect and scan apps (queued by every push) found in the files"
        " of the revision asked for; none for buckets",
    )


class AccessDecision(Strict):
    status: AccessRequestStatus
    reason: str = Field(default="", max_length=1000, description="shown for a rejection")


class AccessRequestOut(BaseModel):
    user: str
    status: AccessRequestStatus
    created_at: datetime
    updated_at: datetime
    decided_by: str | None
    reason: str

    @classmethod
    def of(cls, request: AccessRequest) -> AccessRequestOut:
        return cls(
            user=request.user,
            status=request.status,
            created_at=request.created_at,
            updated_at=request.updated_at,
            decided_by=request.decided_by,
            reason=request.reason,
        )


class RepoPage(BaseModel):
    items: list[RepoOut]
    next_cursor: str | None


class RefCreate(Strict):
    name: str = Field(json_schema_extra=patterns.REF)
    revision: str = Field(default="main", json_schema_extra=patterns.REVISION)


class RefOut(BaseModel):
    kind: Literal["branch", "tag"]
    name: str
    commit: str
    created_at: datetime

    @classmethod
    def of(cls, ref: Ref) -> RefOut:
        return cls(
            kind=ref.kind.value, name=ref.name, commit=ref.commit_id, created_at=ref.created_at
        )


class RefsOut(BaseModel):
    branches: list[RefOut]
    tags: list[RefOut]
    latest: str | None = Field(description="the commit that the revision 'latest' names")


class CommitOut(BaseModel):
    id: str
    parent: str | None
    tree: str
    author: str
    message: str
    created_at: datetime

    @classmethod
    def of(cls, commit: Commit) -> CommitOut:
        return cls(
            id=commit.id,
            parent=commit.parent_id,
            tree=commit.tree_id,
            author=commit.author,
            message=commit.message,
            created_at=commit.created_at,
        )


class CommitPage(BaseModel):
    items: list[CommitOut]
    next_cursor: str | None


class EntryOut(BaseModel):
    path: str
    type: EntryKind
    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None
    findings: FileFindingsOut | None = Field(
        default=None, description="what the inspect and scan apps found in the file, if any"
    )

    @classmethod
    def of(cls, item: PathEntry, findings: FileFindings | None = None) -> EntryOut:
        entry = item.entry
        if entry.kind is EntryKind.DIRECTORY:
            return cls(path=item.path, type=entry.kind)
        return cls(
            path=item.path,
            type=entry.kind,
            size=entry.size,
            sha256=entry.sha256,
            git_sha1=entry.git_sha1,
            findings=None if findings is None else FileFindingsOut.of(findings),
        )


class TreeOut(BaseModel):
    commit: str
    entries: list[EntryOut]
    next_cursor: str | None


def _refuse_booleans(value: object) -> object:
    # JSON's true and false are not sizes, though Python would read them as 1 and 0.
    if isinstance(value, bool):
        raise ValueError("must be an integer, not true or false")
    return value


BlobSize = Annotated[int, Field(ge=0, le=wire.BLOB_SIZE_MAX), BeforeValidator(_refuse_booleans)]


class AddOperation(Strict):
    op: Literal["add"]
    path: str = Field(json_schema_extra=patterns.PATH)
    sha256: str = Field(json_schema_extra=patterns.SHA256)
    size: BlobSize


class DeleteOperation(Strict):
    op: Literal["delete"]
    path: str = Field(json_schema_extra=patterns.PATH)


class CommitCreate(Strict):
    message: str = Field(min_length=1, max_length=wire.COMMIT_MESSAGE_MAX)
    parent_commit: str | None = Field(default=None, json_schema_extra=patterns.COMMIT)
    operations: list[Annotated[AddOperation | DeleteOperation, Field(discriminator="op")]] = Field(
        min_length=1, max_length=wire.COMMIT_OPERATIONS_MAX
    )


class BlobRefIn(Strict):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="64 lowercase hex digits")
    size: BlobSize


class BlobCheck(Strict):
    blobs: list[BlobRefIn] = Field(min_length=1, max_length=MAX_CHECK)


class BlobRefOut(BaseModel):
    sha256: str
    size: int

    @classmethod
    def of(cls, ref: BlobRef) -> BlobRefOut:
        return cls(sha256=ref.sha256, size=ref.size)


class BlobCheckOut(BaseModel):
    available: list[BlobRefOut] = Field(
        description="a commit here may add these without uploading them"
    )
    missing: list[BlobRefOut] = Field(
        description="upload these first: not stored, not yours to use, or of another size "
        "(indistinguishable on purpose)"
    )


class BlobOut(BaseModel):
    sha256: str
    size: int
    git_sha1: str | None


class UploadOut(BaseModel):
    commit: CommitOut
    path: str
    sha256: str
    size: int


class ObjectOut(BaseModel):
    key: str
    size: int
    sha256: str | None = Field(
        description="SHA-256 of the bytes; null for an object a multipart upload joined from "
        "its parts, whose whole-content digest is not computed"
    )
    etag: str = Field(
        description="MD5 of the bytes in hex, or for an object joined from multipart parts "
        "`<MD5 of the parts' MD5s>-<number of parts>` (the ETag S3 gives it)"
    )
    content_type: str
    modified_at: datetime
    metadata: dict[str, str]

    @classmethod
    def of(cls, obj: BucketObject) -> ObjectOut:
        return cls(
            key=obj.key,
            size=obj.size,
            sha256=obj.content_sha256,
            etag=object_etag(obj),
            content_type=obj.content_type,
            modified_at=obj.modified_at,
            metadata=obj.metadata,
        )


class ListingOut(BaseModel):
    objects: list[ObjectOut]
    common_prefixes: list[str]
    next_cursor: str | None


class UserCreate(Strict):
    name: str = Field(max_length=200, json_schema_extra=patterns.NAME)
    is_admin: StrictBool = False
    password: str | None = Field(default=None, max_length=2048, json_schema_extra=patterns.PASSWORD)


class UserUpdate(Strict):
    disabled: StrictBool


class SignUp(Strict):
    name: str = Field(max_length=200, json_schema_extra=patterns.NAME)
    password: str = Field(max_length=2048, json_schema_extra=patterns.PASSWORD)


class SignIn(Strict):
    name: str = Field(max_length=200)
    password: str = Field(max_length=2048)


class PasswordChange(Strict):
    current: str | None = Field(default=None, max_length=2048)
    new: str = Field(max_length=2048)


class UserOut(BaseModel):
    id: str
    name: str
    is_admin: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            is_admin=user.is_admin,
            disabled=user.disabled,
            created_at=user.created_at,
        )


class SessionOut(BaseModel):
    token: str = Field(description="send as 'Authorization: Bearer <token>'")
    expires_at: datetime
    user: UserOut


class OrgCreate(Strict):
    name: str = Field(max_length=200, json_schema_extra=patterns.NAME)
    description: str = Field(default="", max_length=2000)


class OrgOut(BaseModel):
    name: str
    description: str
    created_at: datetime

    @classmethod
    def of(cls, org: Organization) -> OrgOut:
        return cls(name=org.name, description=org.description, created_at=org.created_at)


class RoleSet(Strict):
    role: Role


class MemberOut(BaseModel):
    user: str
    role: Role
    since: datetime

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls(user=member.user_name, role=member.role, since=member.created_at)


class AuditOut(BaseModel):
    id: int
    at: datetime
    action: str
    actor: str | None
    target: str
    client: str | None
    success: bool
    detail: dict[str, str]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditOut:
        return cls(
            id=event.id or 0,
            at=event.at,
            action=event.action,
            actor=event.actor,
            target=event.target,
            client=event.client,
            success=event.success,
            detail=event.detail,
        )


class WhoAmI(BaseModel):
    user: UserOut | None
    scope: Scope | None


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    scope: Scope = Scope.READ
    user: str | None = Field(default=None, description="admins only: make it for this user")
    expires_at: AwareDatetime | None = Field(
        default=None, description="with a time zone, e.g. 2027-01-01T00:00:00Z"
    )
    restrict_to: list[str] = Field(
        default=[], max_length=100, description="only these namespaces ('ns') or repos ('ns/name')"
    )


class TokenOut(BaseModel):
    id: str
    name: str
    scope: Scope
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    restrict_to: list[str]

    @classmethod
    def of(cls, token: Token) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            scope=token.scope,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
            restrict_to=list(token.restrict_to),
        )


class TokenCreated(TokenOut):
    token: str = Field(description="the secret; shown once, never again")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = {}


def object_etag(obj: BucketObject) -> str:
    """The MD5 of an object's bytes, or a joined object's ``<MD5 of the parts' MD5s>-<N>``."""
    if obj.joined and obj.parts_md5 is not None:
        return f"{obj.parts_md5}-{len(obj.part_sizes)}"
    return obj.md5
