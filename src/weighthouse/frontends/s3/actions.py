"""Each S3 request in a bucket policy's terms: the action it is (``s3:GetObject``), the
object it names, and the facts a policy's conditions may test. The decision is the
permission service's (:mod:`weighthouse.domain.access`); this only describes the request.

Facts: those of :mod:`weighthouse.frontends.policy_requests` (``aws:SourceIp`` is the
peer's address, or what :mod:`weighthouse.frontends.client_addresses` reads from
``X-Forwarded-For`` when ``auth.trust_forwarded_for`` is set);
``s3:prefix``, ``s3:delimiter``, ``s3:max-keys``
and ``s3:VersionId`` from the query; every ``x-amz-*`` header as ``s3:x-amz-*``
(``s3:x-amz-acl``, ``s3:x-amz-metadata-directive``; ``s3:x-amz-copy-source`` decoded, as
``<bucket>/<key>``); ``s3:RequestObjectTag/<key>`` and ``s3:RequestObjectTagKeys`` from
``x-amz-tagging``. ``s3:ExistingObjectTag/<key>`` is read from the stored object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request

from weighthouse.domain.access import Principal
from weighthouse.frontends.client_addresses import request_address
from weighthouse.frontends.policy_requests import asking

# Sub-resource: the action of its GET (and HEAD), PUT (and POST) and DELETE.
_BUCKET: dict[str, tuple[str, str, str]] = {
    "policy": ("GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    "policyStatus": ("GetBucketPolicyStatus",) * 3,
    "acl": ("GetBucketAcl", "PutBucketAcl", "PutBucketAcl"),
    "cors": ("GetBucketCORS", "PutBucketCORS", "PutBucketCORS"),
    "tagging": ("GetBucketTagging", "PutBucketTagging", "PutBucketTagging"),
    "lifecycle": ("GetLifecycleConfiguration",) + ("PutLifecycleConfiguration",) * 2,
    "website": ("GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    "encryption": ("GetEncryptionConfiguration",) + ("PutEncryptionConfiguration",) * 2,
    "replication": ("GetReplicationConfiguration",) + ("PutReplicationConfiguration",) * 2,
    "object-lock": ("GetBucketObjectLockConfiguration",)
    + ("PutBucketObjectLockConfiguration",) * 2,
    "publicAccessBlock": ("GetBucketPublicAccessBlock",) + ("PutBucketPublicAccessBlock",) * 2,
    "ownershipControls": (
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
    ),
    "logging": ("GetBucketLogging",) + ("PutBucketLogging",) * 2,
    "notification": ("GetBucketNotification",) + ("PutBucketNotification",) * 2,
    "accelerate": ("GetAccelerateConfiguration",) + ("PutAccelerateConfiguration",) * 2,
    "requestPayment": ("GetBucketRequestPayment",) + ("PutBucketRequestPayment",) * 2,
    "versioning": ("GetBucketVersioning",) + ("PutBucketVersioning",) * 2,
    "analytics": ("GetAnalyticsConfiguration",) + ("PutAnalyticsConfiguration",) * 2,
    "inventory": ("GetInventoryConfiguration",) + ("PutInventoryConfiguration",) * 2,
    "metrics": ("GetMetricsConfiguration",) + ("PutMetricsConfiguration",) * 2,
    "intelligent-tiering": ("GetIntelligentTieringConfiguration",)
    + ("PutIntelligentTieringConfiguration",) * 2,
    "location": ("GetBucketLocation",) * 3,
    "uploads": ("ListBucketMultipartUploads",) * 3,
    "versions": ("ListBucketVersions",) * 3,
    "delete": ("DeleteObject",) * 3,
}
_OBJECT: dict[str, tuple[str, str, str]] = {
    "acl": ("GetObjectAcl", "PutObjectAcl", "PutObjectAcl"),
    "tagging": ("GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging"),
    "attributes": ("GetObjectAttributes",) * 3,
    "retention": ("GetObjectRetention",) + ("PutObjectRetention",) * 2,
    "legal-hold": ("GetObjectLegalHold",) + ("PutObjectLegalHold",) * 2,
    "torrent": ("GetObjectTorrent",) * 3,
    "restore": ("RestoreObject",) * 3,
    "uploadId": ("ListMultipartUploadParts", "PutObject", "AbortMultipartUpload"),
}
# The action of an object request naming one version (``?versionId=``), as IAM names it.
_VERSION_ACTIONS = {
    "GetObject": "GetObjectVersion",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
    "GetObjectAttributes": "GetObjectVersionAttributes",
    "GetObjectTorrent": "GetObjectVersionTorrent",
}
_LISTING = {"prefix": "s3:prefix", "delimiter": "s3:delimiter", "max-keys": "s3:max-keys"}
_SOURCE_HEADER = "x-amz-copy-source"
_TAGGING_HEADER = "x-amz-tagging"


def decoded_source(text: str) -> str:
    """A URL-encoded part of ``x-amz-copy-source`` decoded as S3 decodes it: as a form value,
    ``+`` a space and ``%2B`` a plus. s5cmd encodes keys so (a copy of ``a b+c`` sends
    ``a+b%2Bc``); the SDKs send ``%20`` and ``%2B``, which read the same either way."""
    return unquote_plus(text)


def action(method: str, key: str | None, has: Callable[[str], bool]) -> str:
    """The policy action of a ``method`` request on the bucket (``key`` ``None``) or on an
    object, with the query naming the sub-resources ``has`` finds."""
    table = _BUCKET if key is None else _OBJECT
    for name, actions in table.items():
        if has(name):
            return "s3:" + _versioned(actions[_slot(method)], key, has)
    if key is not None:
        named = ("GetObject", "PutObject", "DeleteObject")[_slot(method)]
        return "s3:" + _versioned(named, key, has)
    return "s3:" + {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "POST": "PutObject"}.get(
        method, "ListBucket"
    )


def _versioned(name: str, key: str | None, has: Callable[[str], bool]) -> str:
    if key is None or not has("versionId"):
        return name
    return _VERSION_ACTIONS.get(name, name)


def _slot(method: str) -> int:
    return {"PUT": 1, "POST": 1, "DELETE": 2}.get(method, 0)


def policy_request(
    request: Request,
    query: list[tuple[str, str]],
    key: str | None,
    principal: Principal,
    *,
    trust_forwarded_for: bool,
) -> Principal:
    """``principal`` with the request described as
    :class:`~weighthouse.domain.bucket_policy.PolicyRequest` describes it."""
    facts: dict[str, tuple[str, ...]] = {}
    for name, value in query:
        if name in _LISTING and key is None:
            facts[_LISTING[name]] = (value,)
        elif name == "versionId":
            facts["s3:versionid"] = (value,)
    for name, value in request.headers.items():
        name = name.lower()
        if name.startswith("x-amz-"):
            facts["s3:" + name] = (value,)
    source = request.headers.get(_SOURCE_HEADER)
    if source is not None:
        facts["s3:" + _SOURCE_HEADER] = (decoded_source(source.split("?", 1)[0]).lstrip("/"),)
    tags = request.headers.get(_TAGGING_HEADER)
    if tags:
        pairs = parse_qsl(tags, keep_blank_values=True)
        for tag, value in pairs:
            facts[f"s3:requestobjecttag/{tag}"] = (value,)
        facts["s3:requestobjecttagkeys"] = tuple(tag for tag, _ in pairs)
    names = {name for name, _ in query}
    operation = action(request.method, key, names.__contains__)
    address = request_address(request, trust_forwarded_for=trust_forwarded_for)
    return asking(principal, request, operation, key, address, facts)


def for_object(principal: Principal, name: str, key: str) -> Principal:
    """``principal`` asking ``s3:<name>`` of the object ``key`` with the same request's
    facts: a copy's source (``GetObject``), each key of a multi-object delete."""
    if principal.request is None:
        return principal
    return replace(principal, request=principal.request.for_object("s3:" + name, key))
