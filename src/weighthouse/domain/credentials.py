"""Credentials as data: what a caller presented, whatever wire it came over.

Each front-end turns its wire format (an ``Authorization`` header, a cookie, gRPC metadata, an
S3 request's SigV4 fields) into one of these values and hands it to
:class:`~weighthouse.domain.authentication.Authenticator`; no front-end decides whether a
credential is good. The values hold secrets, so their ``repr`` never shows them.

    Credential
    ├── BearerToken        ``Authorization: Bearer <token>``: an API token or a session token
    ├── BareToken          ``Authorization: <token>``, what older push scripts send
    ├── SessionToken       a session token from a sign-in, wherever it travels
    ├── BasicAuth          HTTP Basic: a user name and a password, or a token as the password
    ├── CookieSession      a session token in a cookie, plus the CSRF token from a header
    ├── SigV4Signature     an S3 access key id and the signature of a request
    ├── SigV2QuerySignature  an S3 access key id and a SigV2 presigned URL's signature
    ├── SigV2HeaderSignature an S3 access key id and a SigV2 ``Authorization: AWS`` signature
    └── PostPolicySignature  an S3 access key id and the signature of a POST upload's policy
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from weighthouse.domain.errors import PermissionDeniedError

TOKEN_PREFIX = "wh_"  # noqa: S105 - a public prefix, not a secret
SESSION_PREFIX = "whs."
TOKEN_MAX_LENGTH = 200
SESSION_MAX_LENGTH = 4096


@dataclass(frozen=True)
class BearerToken:
    """An API token (``wh_…``) or a session token (``whs.…``), told apart by its prefix."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class BareToken:
    """A token sent without a scheme; it means the same as :class:`BearerToken`."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class SessionToken:
    """A session token (``whs.…``) only: an API token here is refused."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class BasicAuth:
    """HTTP Basic. ``secret`` is the user's password, or one of the user's tokens (the form git
    and many clients use); a token must then belong to ``user``."""

    user: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class CookieSession:
    """A session token carried by a cookie, which browsers send on their own, even with
    requests another site makes them send. So a request that changes something (``unsafe``:
    any method but GET, HEAD and OPTIONS) must also present ``csrf``, read from a header, equal
    to :func:`csrf_token` of the session: a page of another origin can neither read the cookie
    nor set the header, so it cannot forge the pair (a double-submit check bound to the
    session)."""

    session: str = field(repr=False)
    csrf: str | None = field(default=None, repr=False)
    unsafe: bool = True


@dataclass(frozen=True)
class SigV4Signature:
    """An AWS Signature Version 4 (``AWS4-HMAC-SHA256``) request signature.

    The front-end parses the ``Authorization`` header (or the presigned URL's query), builds
    the canonical request and the string to sign from the request exactly as the client did,
    and puts them here unchecked. The credential scope is
    ``<date>/<region>/<service>/aws4_request``; ``date`` is ``YYYYMMDD``. ``expires_in`` is a
    presigned URL's ``X-Amz-Expires`` (seconds), ``None`` for a signed header.
    """

    access_key_id: str
    date: str
    region: str
    service: str
    string_to_sign: str
    signature: str = field(repr=False)
    expires_in: int | None = None


@dataclass(frozen=True)
class SigV2QuerySignature:
    """An AWS Signature Version 2 presigned URL (``AWSAccessKeyId``, ``Expires``,
    ``Signature``), which boto3 makes by default for custom endpoints: the base64 HMAC-SHA1 of
    ``string_to_sign`` (built by the front-end from the request) under the secret access key,
    valid until ``expires`` (seconds since the epoch)."""

    access_key_id: str
    string_to_sign: str
    signature: str = field(repr=False)
    expires: int


@dataclass(frozen=True)
class SigV2HeaderSignature:
    """An AWS Signature Version 2 request signature, ``Authorization: AWS <key id>:<signature>``
    (boto3's ``signature_version="s3"``, s3cmd and older SDKs): the base64 HMAC-SHA1 of
    ``string_to_sign`` under the secret access key, for a request made at ``signed_at`` (its
    ``Date`` or ``X-Amz-Date``, timezone-aware)."""

    access_key_id: str
    string_to_sign: str
    signature: str = field(repr=False)
    signed_at: datetime


@dataclass(frozen=True)
class PostPolicySignature:
    """The signature of an S3 POST (HTML form) upload: the form's base64 ``policy`` document,
    signed as it stands, valid until ``expires_at`` (the policy's own expiration,
    timezone-aware). With SigV4, ``scope`` is the credential's ``(date, region, service)``
    and the signature is hex; with SigV2 ``scope`` is ``None`` and the signature is the base64
    HMAC-SHA1 under the secret."""

    access_key_id: str
    policy: str
    signature: str = field(repr=False)
    expires_at: datetime
    scope: tuple[str, str, str] | None = None


Credential = (
    BearerToken
    | BareToken
    | SessionToken
    | BasicAuth
    | CookieSession
    | SigV4Signature
    | SigV2QuerySignature
    | SigV2HeaderSignature
    | PostPolicySignature
)


class ChunkSignatures(Protocol):
    """The signatures of a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body, checked in order as
    the chunks arrive: each chunk's signature chains from the one before it, the first from
    the request's own. Both methods raise ``AuthenticationError`` (reason
    ``signature_mismatch``) for a signature that does not match."""

    def verify_chunk(self, chunk_sha256: str, given: str) -> None:
        """Check the next chunk's signature; ``chunk_sha256`` is the hex SHA-256 of its data."""
        ...

    def verify_trailer(self, trailer_sha256: str, given: str) -> None:
        """Check the signature of the trailer lines (their hex SHA-256) after the last chunk."""
        ...


def csrf_token(session_token: str) -> str:
    """The CSRF token that goes with a session token, for the web front-end to hand its page.

    Derived from the session token, so it needs no storage and ends with the session. Knowing
    it requires knowing the session token, whose holder needs no forgery."""
    digest = hashlib.sha256(b"weighthouse csrf\0" + session_token.encode("utf-8", "replace"))
    return digest.hexdigest()


FORM_TOKEN_MIN = 32
"""Shortest random value a signed-out visitor's form token may be, in characters."""


def check_form_token(cookie: str | None, given: str | None) -> None:
    """Refuse a form a signed-out visitor posts (sign-in, sign-up) unless ``given``, the
    form's token field, equals ``cookie``, a random value the server set in a cookie of its
    own when it showed the form: a page of another origin can make the browser send the
    cookie but can neither read it nor so fill in the field. Without this another site could
    sign a visitor in to an account of its choosing. Raises ``PermissionDeniedError``
    (reason ``csrf``)."""
    if not cookie or len(cookie) < FORM_TOKEN_MIN or not given:
        raise PermissionDeniedError("the form has expired; load the page again", reason="csrf")
    if not hmac.compare_digest(cookie.encode("utf-8", "replace"), given.encode("utf-8", "replace")):
        raise PermissionDeniedError("the form has expired; load the page again", reason="csrf")
