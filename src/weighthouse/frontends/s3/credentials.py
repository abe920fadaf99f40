"""An S3 request's signature turned into a credential value; no decisions.

Builds the SigV4 canonical request exactly as the client did (the raw path as sent, the query
re-encoded with the RFC 3986 unreserved set and sorted, the signed headers trimmed) and the
string to sign from it, and hands both to the domain's authenticator in a
:class:`~weighthouse.domain.credentials.SigV4Signature`. Whether the signature is good is not
decided here. Accepted: the ``Authorization: AWS4-HMAC-SHA256 …`` header, presigned v4
query parameters (``X-Amz-Algorithm`` … ``X-Amz-Signature``), and Signature Version 2 both
as presigned query parameters (``AWSAccessKeyId``, ``Expires``, ``Signature``: boto3's default
presigning for a custom endpoint) and as the ``Authorization: AWS <key id>:<signature>``
header (boto3's ``signature_version="s3"``, s3cmd, older SDKs).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote

from weighthouse.domain.credentials import (
    SigV2HeaderSignature,
    SigV2QuerySignature,
    SigV4Signature,
)
from weighthouse.frontends.s3.errors import S3Error

ALGORITHM = "AWS4-HMAC-SHA256"
V2_SCHEME = "AWS"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_AUTHORIZATION = 4096
_AUTH_FIELD = re.compile(r"\s*(Credential|SignedHeaders|Signature)\s*=\s*([^,\s]*)\s*")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SignedRequest:
    """What an S3 request presented: the credential, and the payload hash it signed
    (``x-amz-content-sha256``: a hex SHA-256, ``UNSIGNED-PAYLOAD`` or a ``STREAMING-…``
    mode)."""

    credential: SigV4Signature | SigV2QuerySignature | SigV2HeaderSignature
    payload_hash: str
    presigned: bool


@dataclass(frozen=True)
class RequestParts:
    """The parts of an HTTP request a signature covers, as received."""

    method: str
    raw_path: str
    query: list[tuple[str, str]]  # decoded names and values, in the order sent
    headers: dict[str, list[str]]  # lower-case names
    host_bucket: str | None = None
    """The bucket the ``Host`` named (virtual-host addressing), which SigV2 signs as the first
    piece of the resource although the path does not carry it."""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return ",".join(values) if values else None

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


def parse_query(raw: str) -> list[tuple[str, str]]:
    """``a=1&b&c=x%20y`` as decoded pairs; a value-less name has the value ``""``."""
    pairs = []
    for part in raw.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def signed_request(parts: RequestParts) -> SignedRequest | None:
    """The signature the request carries; ``None`` when it carries none (anonymous)."""
    authorization = parts.header("authorization")
    if authorization is not None:
        return _from_header(parts, authorization)
    if parts.param("X-Amz-Algorithm") is not None or parts.param("X-Amz-Signature") is not None:
        return _from_query(parts)
    if parts.param("AWSAccessKeyId") is not None or parts.param("Signature") is not None:
        return _from_v2_query(parts)
    return None


def _malformed(message: str) -> S3Error:
    return S3Error(400, "AuthorizationHeaderMalformed", message)


def _from_header(parts: RequestParts, authorization: str) -> SignedRequest:
    if len(authorization) > MAX_AUTHORIZATION:
        raise _malformed("the Authorization header is too long")
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme == V2_SCHEME:
        return _from_v2_header(parts, rest.strip())
    if scheme != ALGORITHM:
        raise S3Error(
            400, "InvalidArgument", f"only {ALGORITHM} and {V2_SCHEME} signatures are supported"
        )
    fields: dict[str, str] = {}
    for item in rest.split(","):
        match = _AUTH_FIELD.fullmatch(item)
        if match is None:
            raise _malformed("the Authorization header is malformed")
        fields[match.group(1)] = match.group(2)
    if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        raise _malformed("Credential, SignedHeaders and Signature are all required")
    payload_hash = parts.header("x-amz-content-sha256")
    if payload_hash is None:
        raise S3Error(400, "InvalidRequest", "x-amz-content-sha256 must be sent")
    payload_hash = payload_hash.strip()
    stamp = _request_time(parts)
    credential = _credential(
        parts,
        scope=fields["Credential"],
        signed_headers=fields["SignedHeaders"],
        signature=fields["Signature"],
        stamp=stamp,
        payload_hash=payload_hash,
        skip=None,
        expires_in=None,
    )
    return SignedRequest(credential, payload_hash, presigned=False)


def _from_query(parts: RequestParts) -> SignedRequest:
    def required(name: str) -> str:
        value = parts.param(name)
        if value is None:
            raise S3Error(403, "AccessDenied", f"a presigned URL must carry {name}")
        return value

    if required("X-Amz-Algorithm") != ALGORITHM:
        raise S3Error(400, "InvalidRequest", f"only {ALGORITHM} presigned URLs are supported")
    expires = required("X-Amz-Expires")
    if not expires.isdigit() or len(expires) > 9:
        raise S3Error(403, "AccessDenied", "X-Amz-Expires must be a number of seconds")
    payload_hash = parts.param("X-Amz-Content-Sha256") or UNSIGNED_PAYLOAD
    credential = _credential(
        parts,
        scope=required("X-Amz-Credential"),
        signed_headers=required("X-Amz-SignedHeaders"),
        signature=required("X-Amz-Signature"),
        stamp=required("X-Amz-Date"),
        payload_hash=payload_hash,
        skip="X-Amz-Signature",
        expires_in=int(expires),
    )
    return SignedRequest(credential, payload_hash, presigned=True)


# The query parameters SigV2 signs as part of the resource: AWS's list and botocore's
# (``HmacV1Auth.QSAOfInterest``), which adds the newer sub-resources.
V2_SUBRESOURCES = frozenset(
    [
        "accelerate",
        "analytics",
        "defaultObjectAcl",
        "inventory",
        "metrics",
        "object-lock",
        "replication",
        "select",
        "select-type",
        "storageClass",
        "acl",
        "cors",
        "delete",
        "lifecycle",
        "location",
        "logging",
        "notification",
        "partNumber",
        "policy",
        "requestPayment",
        "restore",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
    ]
)


def _from_v2_query(parts: RequestParts) -> SignedRequest:
    key_id, expires, signature = (
        parts.param("AWSAccessKeyId"),
        parts.param("Expires"),
        parts.param("Signature"),
    )
    if key_id is None or expires is None or signature is None:
        raise S3Error(
            403, "AccessDenied", "a presigned URL needs AWSAccessKeyId, Expires, Signature"
        )
    if not expires.isdigit() or len(expires) > 12:
        raise S3Error(403, "AccessDenied", "Expires must be seconds since the epoch")
    credential = SigV2QuerySignature(
        access_key_id=key_id,
        string_to_sign=_v2_string_to_sign(parts, expires),
        signature=signature,
        expires=int(expires),
    )
    return SignedRequest(credential, UNSIGNED_PAYLOAD, presigned=True)


def _from_v2_header(parts: RequestParts, value: str) -> SignedRequest:
    key_id, colon, signature = value.rpartition(":")
    if not colon or not key_id or not signature or " " in key_id:
        raise S3Error(
            400,
            "InvalidArgument",
            "AWS authorization header is invalid. Expected AwsAccessKeyId:signature",
        )
    # With X-Amz-Date the Date line is empty (the date is signed among the x-amz-* headers).
    amz_date = parts.header("x-amz-date")
    date = parts.header("date")
    stamp = amz_date if amz_date is not None else date
    if stamp is None:
        raise S3Error(403, "AccessDenied", "a signed request must carry Date or X-Amz-Date")
    credential = SigV2HeaderSignature(
        access_key_id=key_id,
        string_to_sign=_v2_string_to_sign(parts, "" if amz_date is not None else date or ""),
        signature=signature,
        signed_at=_v2_time(stamp),
    )
    payload_hash = (parts.header("x-amz-content-sha256") or UNSIGNED_PAYLOAD).strip()
    if payload_hash.startswith("STREAMING-AWS4-HMAC-SHA256"):
        # Chunk signatures chain from a SigV4 signature; a SigV2 request has none to chain from.
        raise S3Error(400, "InvalidRequest", "signed aws-chunked bodies need SigV4")
    return SignedRequest(credential, payload_hash, presigned=False)


def _v2_time(stamp: str) -> datetime:
    """An HTTP date (what SigV2 clients send), or the ISO 8601 basic form SigV4 uses."""
    try:
        when = parsedate_to_datetime(stamp)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.strptime(stamp.strip(), "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise S3Error(403, "AccessDenied", "the request's date is not a date") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _v2_string_to_sign(parts: RequestParts, when: str) -> str:
    """The SigV2 string to sign, ``when`` being a presigned URL's Expires or the Date line."""
    amz = sorted(
        (name, ",".join(wire_text(v).strip() for v in values))
        for name, values in parts.headers.items()
        if name.startswith("x-amz-")
    )
    subresources = sorted((name, value) for name, value in parts.query if name in V2_SUBRESOURCES)
    resource = parts.raw_path or "/"
    if parts.host_bucket is not None:
        resource = f"/{quote(parts.host_bucket, safe='')}{resource}"
    elif resource.count("/") == 1 and resource != "/":
        resource += "/"  # a bucket is signed as "/<bucket>/", as botocore and AWS sign it
    if subresources:
        resource += "?" + "&".join(f"{n}={v}" if v else n for n, v in subresources)
    return "\n".join(
        [
            parts.method,
            (parts.header("content-md5") or "").strip(),
            (parts.header("content-type") or "").strip(),
            when.strip(),
            "".join(f"{name}:{value}\n" for name, value in amz) + resource,
        ]
    )


def _request_time(parts: RequestParts) -> str:
    stamp = parts.header("x-amz-date")
    if stamp is not None:
        return stamp.strip()
    date = parts.header("date")
    if date is None:
        raise S3Error(403, "AccessDenied", "a signed request must carry X-Amz-Date or Date")
    try:
        return parsedate_to_datetime(date).strftime("%Y%m%dT%H%M%SZ")
    except (TypeError, ValueError):
        raise S3Error(403, "AccessDenied", "the Date header is not an HTTP date") from None


def _credential(
    parts: RequestParts,
    *,
    scope: str,
    signed_headers: str,
    signature: str,
    stamp: str,
    payload_hash: str,
    skip: str | None,
    expires_in: int | None,
) -> SigV4Signature:
    pieces = scope.split("/")
    if len(pieces) != 5 or pieces[4] != "aws4_request":
        raise _malformed("the credential must be <key>/<date>/<region>/<service>/aws4_request")
    key_id, date, region, service = pieces[:4]
    names = signed_headers.lower().split(";")
    if "host" not in names or names != sorted(names):
        raise _malformed("SignedHeaders must be sorted and include host")
    canonical = "\n".join(
        [
            parts.method,
            parts.raw_path,
            canonical_query(parts.query, skip),
            "".join(f"{name}:{_trimmed(parts.header(name))}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            stamp,
            f"{date}/{region}/{service}/aws4_request",
            hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest(),
        ]
    )
    return SigV4Signature(
        access_key_id=key_id,
        date=date,
        region=region,
        service=service,
        string_to_sign=string_to_sign,
        signature=signature,
        expires_in=expires_in,
    )


def canonical_query(query: list[tuple[str, str]], skip: str | None) -> str:
    encoded = sorted((_encode(name), _encode(value)) for name, value in query if name != skip)
    return "&".join(f"{name}={value}" for name, value in encoded)


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _trimmed(value: str | None) -> str:
    # botocore trims with str.split() on the text before encoding it, so the same here.
    return " ".join(wire_text(value or "").split())


def wire_text(value: str) -> str:
    """A header value as the client wrote it before sending: the received bytes (held one
    character per byte, as HTTP servers decode headers) read as UTF-8, which is how botocore
    and the AWS SDKs encode header text and what they sign. Bytes that are not UTF-8 stay as
    surrogate escapes, so encoding the result with ``surrogateescape`` gives back exactly the
    bytes received, as a client that signs raw bytes signed them."""
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


def is_hex_sha256(payload_hash: str) -> bool:
    return bool(_HEX64.fullmatch(payload_hash))
