"""S3 access control lists on the wire: ``x-amz-acl`` and the ``x-amz-grant-*`` headers (on
bucket and object writes), the ``AccessControlPolicy`` document of PutBucketAcl and
PutObjectAcl, and GetBucketAcl's and GetObjectAcl's answer (an object's latest version's, or
with ``versionId`` that version's). What a grant allows, and where it is kept, is the
domain's (:mod:`weighthouse.domain.acls`).

* A canned ACL is one of :data:`~weighthouse.domain.acls.CANNED`; ``aws-exec-read`` and
  ``log-delivery-write`` grant AWS services this server does not have (``NotImplemented``),
  any other value is ``InvalidArgument``.
* A grant header lists grantees as ``id="<user id>"``, ``uri="<group>"`` (``AllUsers``,
  ``AuthenticatedUsers``) or ``emailAddress="..."``, comma-separated. Users here have no
  e-mail addresses, so a grant by address is ``UnresolvableGrantByEmailAddress``, as S3
  answers an address no account has; a grant to S3's ``LogDelivery`` group is
  ``NotImplemented``; an unknown group is ``InvalidArgument``. A canned ACL and grant headers
  together are ``InvalidRequest``, as in S3.
* An ``AccessControlPolicy`` that is not XML, names no owner, or holds a grant without a
  grantee or with an unknown permission is ``MalformedACLError``; so is one over 64 KiB (S3
  allows 100 grants, a few KiB).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from starlette.responses import Response

from weighthouse.domain import acls
from weighthouse.domain.access_lists import AclView
from weighthouse.domain.acls import AclRequest, Grant, Grantee, GranteeKind, Permission
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, anonymous_write, in_thread
from weighthouse.frontends.s3.errors import S3Error

SERVICE_CANNED = ("aws-exec-read", "log-delivery-write")
GRANT_HEADERS = {
    "x-amz-grant-read": Permission.READ,
    "x-amz-grant-write": Permission.WRITE,
    "x-amz-grant-read-acp": Permission.READ_ACP,
    "x-amz-grant-write-acp": Permission.WRITE_ACP,
    "x-amz-grant-full-control": Permission.FULL_CONTROL,
}
ALL_USERS_URI = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS_URI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY_URI = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = {ALL_USERS_URI: acls.ALL_USERS, AUTHENTICATED_USERS_URI: acls.AUTHENTICATED_USERS}
MAX_ACL_BYTES = 64 * 1024
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
VISIBILITY_CANNED = ("private", "bucket-owner-read", "bucket-owner-full-control", "public-read")
"""Canned ACLs a new bucket's visibility states in full (the owner-side ones are ``private``
on a bucket)."""


def requested(call: S3Call) -> AclRequest | None:
    """The ACL the request's headers ask for, ``None`` when they ask for none."""
    canned = canned_name(call.header("x-amz-acl"))
    grants: list[Grant] = []
    for header, permission in GRANT_HEADERS.items():
        value = call.header(header)
        if value is not None:
            grants.extend(Grant(g, permission) for g in header_grantees(value, header))
    if canned is not None and grants:
        raise S3Error(
            400, "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed"
        )
    if canned is not None:
        return AclRequest(canned=canned)
    return AclRequest(grants=tuple(grants)) if grants else None


def canned_name(value: str | None) -> str | None:
    """A canned ACL's name, lower-cased; the errors the module docstring lists."""
    if value is None:
        return None
    name = value.strip().lower()
    if name in SERVICE_CANNED:
        raise S3Error(
            501,
            "NotImplemented",
            f"the canned ACL {name!r} grants an AWS service this server lacks",
        )
    if name not in acls.CANNED:
        raise S3Error(400, "InvalidArgument", f"{value[:40]!r} is not a canned ACL")
    return name


def header_grantees(value: str, header: str) -> list[Grantee]:
    found = []
    for item in value.split(","):
        kind, equals, raw = item.strip().partition("=")
        if not equals:
            raise S3Error(400, "InvalidArgument", f'{header} must list key="value" grantees')
        found.append(_grantee(kind.strip().lower(), raw.strip().strip('"').strip()))
    return found


def _grantee(kind: str, value: str) -> Grantee:
    if kind == "id" and value:
        return Grantee.user(value)
    if kind == "uri":
        return _group(value)
    if kind == "emailaddress":
        raise S3Error(
            400,
            "UnresolvableGrantByEmailAddress",
            "The e-mail address you provided does not match any account on record.",
        )
    raise S3Error(400, "InvalidArgument", f"{kind[:20]!r} is not a grantee kind")


def _group(uri: str) -> Grantee:
    if uri in GROUPS:
        return GROUPS[uri]
    if uri == LOG_DELIVERY_URI:
        raise S3Error(501, "NotImplemented", "this server has no log delivery to grant to")
    raise S3Error(400, "InvalidArgument", f"{uri[:80]!r} is not a group")


async def policy_body(call: S3Call) -> bytes:
    try:
        return await xml_input.read_small(call.request.stream(), MAX_ACL_BYTES)
    except S3Error:
        raise _malformed("the ACL document is over 64 KiB") from None


def parse_policy(body: bytes) -> tuple[str, tuple[Grant, ...]]:
    """The owner id and the grants of an ``AccessControlPolicy`` document."""
    try:
        root = xml_input.parse(body)
    except S3Error:
        raise _malformed("The XML you provided was not well-formed") from None
    if xml_input.local(root.tag) != "AccessControlPolicy":
        raise _malformed("the document is not an AccessControlPolicy")
    owners = xml_input.children(root, "Owner")
    owner_id = (xml_input.text(owners[0], "ID") or "").strip() if owners else ""
    if not owner_id:
        raise _malformed("the AccessControlPolicy names no owner")
    lists = xml_input.children(root, "AccessControlList")
    if len(lists) != 1:
        raise _malformed("the AccessControlPolicy needs one AccessControlList")
    grants = []
    for element in xml_input.children(lists[0], "Grant"):
        grantees = xml_input.children(element, "Grantee")
        permission = (xml_input.text(element, "Permission") or "").strip()
        if len(grantees) != 1 or permission not in Permission.__members__:
            raise _malformed("each Grant needs one Grantee and a known Permission")
        grants.append(Grant(_policy_grantee(grantees[0]), Permission(permission)))
        if len(grants) > acls.MAX_GRANTS:
            raise _malformed(f"an ACL holds at most {acls.MAX_GRANTS} grants")
    return owner_id, tuple(grants)


def _policy_grantee(element: ET.Element) -> Grantee:
    kind = element.get(f"{{{_XSI}}}type", "")
    user_id = (xml_input.text(element, "ID") or "").strip()
    uri = (xml_input.text(element, "URI") or "").strip()
    email = xml_input.text(element, "EmailAddress")
    if kind == "CanonicalUser" or (not kind and user_id):
        if not user_id:
            raise _malformed("a CanonicalUser grantee needs an ID")
        return Grantee.user(user_id)
    if kind == "Group" or (not kind and uri):
        return _group(uri)
    if kind == "AmazonCustomerByEmail" or (not kind and email is not None):
        return _grantee("emailaddress", email or "")
    raise _malformed("a Grantee needs a type: CanonicalUser, Group or AmazonCustomerByEmail")


def _malformed(message: str) -> S3Error:
    return S3Error(400, "MalformedACLError", message)


async def handle(call: S3Call) -> Response:
    """GET or PUT ``?acl`` on a bucket or an object."""
    method = call.request.method
    if method not in ("GET", "PUT"):
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?acl")
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    key = call.key
    version_id = call.param("versionId") if key is not None and call.has("versionId") else None
    lists = call.hub.access_lists
    if method == "GET":

        def read() -> AclView:
            if key is None:
                return lists.bucket_acl(call.principal, repo_id)
            return lists.object_acl(call.principal, repo_id, key, version_id=version_id)

        return Response(render(await in_thread(read)), media_type=wire.XML)

    # Whether the caller may change this ACL at all comes first, as S3 decides it: one who
    # may not is refused before the body is read or a header judged.
    def may_write() -> None:
        with anonymous_write(call.principal):
            lists.check_acl_write(call.principal, repo_id, key, version_id=version_id)

    await in_thread(may_write)
    asked = requested(call)
    body = await policy_body(call)
    if asked is not None and body.strip():
        raise S3Error(400, "UnexpectedContent", "send an ACL in headers or in the body, not both")
    if asked is None and not body.strip():
        raise _malformed("send x-amz-acl, x-amz-grant-* headers or an AccessControlPolicy")
    owner_id: str | None = None
    if asked is None:
        owner_id, grants = parse_policy(body)
        asked = AclRequest(grants=grants)
    canned, given = asked.canned, asked.grants

    def store() -> None:
        with anonymous_write(call.principal):
            if key is None:
                lists.set_bucket_acl(
                    call.principal, repo_id, given, canned=canned, owner_id=owner_id
                )
            else:
                lists.set_object_acl(
                    call.principal,
                    repo_id,
                    key,
                    given,
                    canned=canned,
                    owner_id=owner_id,
                    version_id=version_id,
                )

    await in_thread(store)
    return Response()


def render(view: AclView) -> bytes:
    root = wire.element("AccessControlPolicy")
    owner = wire.add(root, "Owner")
    wire.add(owner, "ID", view.owner_id)
    wire.add(owner, "DisplayName", view.owner_name)
    listed = wire.add(root, "AccessControlList")
    for grant in view.grants:
        element = wire.add(listed, "Grant")
        if grant.grantee.kind is GranteeKind.USER:
            grantee = _grantee_element(element, "CanonicalUser")
            wire.add(grantee, "ID", grant.grantee.id)
            wire.add(grantee, "DisplayName", view.names.get(grant.grantee.id, ""))
        else:
            uri = (
                ALL_USERS_URI
                if grant.grantee.kind is GranteeKind.ALL_USERS
                else AUTHENTICATED_USERS_URI
            )
            wire.add(_grantee_element(element, "Group"), "URI", uri)
        wire.add(element, "Permission", grant.permission.value)
    return wire.document(root)


def _grantee_element(grant: ET.Element, kind: str) -> ET.Element:
    grantee = wire.add(grant, "Grantee")
    grantee.set("xmlns:xsi", _XSI)
    grantee.set("xsi:type", kind)
    return grantee
