"""AWS Signature Version 4 (``AWS4-HMAC-SHA256``): the key derivation and the checks of the
string to sign. Building the canonical request from a request is the S3 front-end's job.

The signing key is derived from the secret access key and the credential scope::

    kDate    = HMAC("AWS4" + secret, date)        # date: YYYYMMDD
    kRegion  = HMAC(kDate, region)
    kService = HMAC(kRegion, service)
    kSigning = HMAC(kService, "aws4_request")
    signature = hex(HMAC(kSigning, string_to_sign))

and the string to sign reads::

    AWS4-HMAC-SHA256
    <request time, YYYYMMDDTHHMMSSZ>
    <date>/<region>/<service>/aws4_request
    <hex SHA-256 of the canonical request>
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from weighthouse.domain.errors import AuthenticationError

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=15)
"""How far a signed request's time may be from the server's, either way (AWS's rule)."""
MAX_PRESIGNED = timedelta(days=7)
"""The longest a presigned URL may be valid (AWS's rule)."""
STRING_TO_SIGN_MAX = 1024

_DATE = re.compile(r"[0-9]{8}")
_TIME = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_SCOPE_PART = re.compile(r"[A-Za-z0-9-]{1,64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StringToSign:
    """The parsed lines of a string to sign."""

    at: datetime
    scope: str
    request_hash: str


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning for the secret access key and the credential scope."""
    k_date = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, TERMINATOR)


def signature(key: bytes, string_to_sign: str) -> str:
    """The lowercase hex signature of ``string_to_sign`` under the signing ``key``."""
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/{TERMINATOR}"


def check_scope(date: str, region: str, service: str) -> None:
    """Raise ``AuthenticationError`` unless the scope's parts are well-formed."""
    if not _DATE.fullmatch(date):
        raise AuthenticationError("the credential scope's date must be YYYYMMDD")
    if not (_SCOPE_PART.fullmatch(region) and _SCOPE_PART.fullmatch(service)):
        raise AuthenticationError("malformed credential scope")


def parse_string_to_sign(text: str) -> StringToSign:
    """Split and check the four lines; raise ``AuthenticationError`` for anything else."""
    lines = text.split("\n") if len(text) <= STRING_TO_SIGN_MAX else []
    if len(lines) != 4 or lines[0] != ALGORITHM:
        raise AuthenticationError(f"the signature must be {ALGORITHM}")
    stamp, signed_scope, request_hash = lines[1], lines[2], lines[3]
    if not _TIME.fullmatch(stamp) or not _HEX64.fullmatch(request_hash):
        raise AuthenticationError("malformed string to sign")
    try:
        at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise AuthenticationError("malformed request time") from None
    return StringToSign(at=at, scope=signed_scope, request_hash=request_hash)


def check_time(signed: StringToSign, now: datetime, expires_in: int | None) -> None:
    """A signed header is good within :data:`MAX_SKEW` of ``now``; a presigned URL from its
    time (less the skew) until ``expires_in`` seconds later, at most :data:`MAX_PRESIGNED`."""
    if expires_in is None:
        if abs(now - signed.at) > MAX_SKEW:
            raise AuthenticationError("the request time is too far from the server's time")
        return
    if not 1 <= expires_in <= MAX_PRESIGNED.total_seconds():
        raise AuthenticationError("a presigned URL expires within 1 second to 7 days")
    if now < signed.at - MAX_SKEW:
        raise AuthenticationError("the presigned URL is not valid yet")
    if now > signed.at + timedelta(seconds=expires_in):
        raise AuthenticationError("the presigned URL has expired")


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class ChunkChain:
    """Checks the chained signatures of an aws-chunked body (``STREAMING-AWS4-HMAC-SHA256-
    PAYLOAD``). Each chunk's string to sign is::

        AWS4-HMAC-SHA256-PAYLOAD
        <request time>
        <scope>
        <previous signature>
        <hex SHA-256 of "">
        <hex SHA-256 of the chunk's data>

    the first "previous" being the request's seed signature; the trailer's (signed-trailer
    variant) is ``AWS4-HMAC-SHA256-TRAILER``, the time, the scope, the previous signature and
    the hex SHA-256 of the trailer lines."""

    def __init__(self, key: bytes, stamp: str, scope: str, seed: str) -> None:
        self._key = key
        self._stamp = stamp
        self._scope = scope
        self._previous = seed

    def verify_chunk(self, chunk_sha256: str, given: str) -> None:
        lines = ["AWS4-HMAC-SHA256-PAYLOAD", self._stamp, self._scope, self._previous]
        self._verify("\n".join([*lines, EMPTY_SHA256, chunk_sha256]), given)

    def verify_trailer(self, trailer_sha256: str, given: str) -> None:
        lines = ["AWS4-HMAC-SHA256-TRAILER", self._stamp, self._scope, self._previous]
        self._verify("\n".join([*lines, trailer_sha256]), given)

    def _verify(self, string_to_sign: str, given: str) -> None:
        expected = signature(self._key, string_to_sign).encode("ascii")
        if not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
            raise AuthenticationError(
                "a chunk signature does not match the body", reason="signature_mismatch"
            )
        self._previous = given


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
