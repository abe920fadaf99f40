"""S3 access control lists as far as the core's model can state them truthfully.

The core knows one thing about who may read: a bucket is private or public, and every object
in it is readable exactly as the bucket is; writers are the namespace's members. So:

* CreateBucket takes the canned ACL ``private`` (the default) or ``public-read``;
* an object write (PutObject, CopyObject, CreateMultipartUpload) takes ``private`` and the
  owner-side ``bucket-owner-read`` / ``bucket-owner-full-control`` (one account owns both the
  bucket and its objects here), and ``public-read`` only in a public bucket, where it is true;
* GetBucketAcl and GetObjectAcl state the owner's ``FULL_CONTROL`` and, for a public bucket,
  ``READ`` for everyone;
* PutBucketAcl and PutObjectAcl accept a canned ACL that states what already holds and
  change nothing.

Any other canned ACL S3 defines, and every ``x-amz-grant-*`` header, asks for access the core
cannot grant: ``NotImplemented`` (501) rather than a silent success that leaves the object
less (or more) readable than the client was told. A value S3 does not define is
``InvalidArgument`` (400), as S3 answers it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from starlette.responses import Response

from weighthouse.domain.model import Repo
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error
from weighthouse.frontends.s3.owners import bucket_owner

CANNED = (
    "private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
)  # fmt: skip
GRANT_HEADERS = (
    "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
)  # fmt: skip
_OWNER_SIDE = ("private", "bucket-owner-read", "bucket-owner-full-control")
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def canned_acl(call: S3Call) -> str | None:
    """The request's ``x-amz-acl``, lower-cased; ``InvalidArgument`` for a value S3 does not
    define and ``NotImplemented`` for explicit grants."""
    for header in GRANT_HEADERS:
        if call.header(header) is not None:
            raise S3Error(501, "NotImplemented", f"{header} is not implemented: use a bucket's "
                          "visibility (private or public-read)")  # fmt: skip
    value = call.header("x-amz-acl")
    if value is None:
        return None
    acl = value.strip().lower()
    if acl not in CANNED:
        raise S3Error(400, "InvalidArgument", f"{value[:40]!r} is not a canned ACL")
    return acl


def bucket_private(call: S3Call) -> bool:
    """Whether CreateBucket asks for a private bucket (the default) or a public one."""
    acl = canned_acl(call) or "private"
    if acl not in ("private", "public-read"):
        raise S3Error(501, "NotImplemented", f"the canned ACL {acl!r} is not implemented")
    return acl == "private"


def needs_public_bucket(call: S3Call) -> bool:
    """Check an object write's ACL; whether it holds only in a public bucket (``public-read``),
    for :func:`check_object_acl` to confirm once the bucket is read."""
    return object_acl_needs_public(canned_acl(call))


def object_acl_needs_public(acl: str | None) -> bool:
    """:func:`needs_public_bucket` for a canned ACL given as a value (a POST form's ``acl``)."""
    if acl is None or acl in _OWNER_SIDE:
        return False
    if acl == "public-read":
        return True
    if acl not in CANNED:
        raise S3Error(400, "InvalidArgument", f"{acl[:40]!r} is not a canned ACL")
    raise S3Error(501, "NotImplemented", f"the object ACL {acl!r} is not implemented")


def check_object_acl(repo: Repo) -> None:
    """``NotImplemented`` when the write asks for a public object in a private bucket."""
    if repo.private:
        raise S3Error(
            501,
            "NotImplemented",
            "objects are readable as their bucket is: public-read needs a public bucket",
        )


async def handle(call: S3Call) -> Response:
    """GET or PUT ``?acl`` on a bucket or an object."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    method = call.request.method
    if method not in ("GET", "PUT"):
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?acl")
    key = call.key

    def read() -> tuple[Repo, str, str]:
        repo = call.hub.repos.get(call.principal, repo_id)
        if key is not None:
            call.hub.buckets.head(call.principal, repo_id, key)
        owner = bucket_owner(call, repo)
        return repo, owner.id, owner.display_name

    if method == "PUT":
        if call.principal.user is None:
            raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
        acl = canned_acl(call)
        body = await xml_input.read_small(call.request.stream())
        if acl is None and body.strip():
            raise S3Error(501, "NotImplemented", "grants in an ACL document are not implemented")
        if acl is None:
            raise S3Error(400, "MalformedACLError", "send x-amz-acl or an ACL document")

        def writable() -> Repo:
            call.hub.buckets.check_writable(call.principal, repo_id)
            return read()[0]

        repo = await in_thread(writable)
        holds = acl in _OWNER_SIDE if repo.private else acl == "public-read"
        if not holds:
            raise S3Error(
                501,
                "NotImplemented",
                f"{acl!r} would change who may read; a bucket's visibility is changed through "
                "the REST API",
            )
        return Response()
    repo, owner_id, name = await in_thread(read)
    return Response(_policy(owner_id, name, public=not repo.private), media_type=wire.XML)


def _policy(owner_id: str, display_name: str, *, public: bool) -> bytes:
    root = wire.element("AccessControlPolicy")
    owner = wire.add(root, "Owner")
    wire.add(owner, "ID", owner_id)
    wire.add(owner, "DisplayName", display_name)
    grants = wire.add(root, "AccessControlList")
    grant = wire.add(grants, "Grant")
    grantee = _grantee(grant, "CanonicalUser")
    wire.add(grantee, "ID", owner_id)
    wire.add(grantee, "DisplayName", display_name)
    wire.add(grant, "Permission", "FULL_CONTROL")
    if public:
        grant = wire.add(grants, "Grant")
        wire.add(_grantee(grant, "Group"), "URI", _ALL_USERS)
        wire.add(grant, "Permission", "READ")
    return wire.document(root)


def _grantee(grant: ET.Element, kind: str) -> ET.Element:
    grantee = wire.add(grant, "Grantee")
    grantee.set("xmlns:xsi", _XSI)
    grantee.set("xsi:type", kind)
    return grantee
