"""The REST API's wire vocabulary, shared by the server's REST front-end and the client.

Header names, media types, route prefixes, error codes and limits that both sides must agree
on live here once, so a rename on one side cannot silently break the other. Standard library
only: the client imports this module without pulling in the server, FastAPI or the adapters
(import-linter checks both).

Header names are given in their canonical case; HTTP compares them case-insensitively, and so
do starlette's and httpx's header mappings.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from types import MappingProxyType

# --- routes -----------------------------------------------------------------------------------
API_PREFIX = "/api"
"""Every REST route starts here."""
BUCKETS_PREFIX = f"{API_PREFIX}/buckets"
"""Bucket routes: ``/api/buckets/<namespace>/<name>/objects/<key>``."""
ORGS_PREFIX = f"{API_PREFIX}/orgs"
ACCESS_KEYS_PREFIX = f"{API_PREFIX}/access-keys"
"""S3 access keys: ``POST`` and ``GET`` here, ``DELETE`` on ``<prefix>/<key id>``."""
JOBS_PREFIX = f"{API_PREFIX}/jobs"
WORKER_API_PREFIX = "/apps"
"""The replaced worker API's routes (``/<app>/start``, ``/<app>/<id>/status``...) live under
this prefix, outside ``/api`` and ``/hf``, so an app's name can never shadow another route."""
REPO_KINDS = ("models", "datasets", "buckets")
"""The plural each repo type takes in URLs, in the order of ``RepoType``."""

# --- headers ----------------------------------------------------------------------------------
SHA256_HEADER = "X-Content-SHA256"
"""Request: the SHA-256 the body must have. Response: the SHA-256 of the bytes served."""
MD5_HEADER = "X-Content-MD5"
"""Response of a bucket object: the hex MD5 of its bytes (its ``etag`` field)."""
CONTENT_MD5_HEADER = "Content-MD5"
"""Request: base64 of the body's 16-byte MD5 (RFC 1864)."""
REPO_COMMIT_HEADER = "X-Repo-Commit"
"""Response of a file download: the commit the revision resolved to."""
CSRF_HEADER = "X-CSRF-Token"
"""Request: the CSRF token of the session cookie, on every request that changes something a
browser sends with that cookie (the web UI's uploads); a page reads it from its form."""
NOTICE_SIGNATURE_HEADER = "X-Weighthouse-Signature"
"""Request of a job callback: ``t=<unix seconds>,v1=<hex>`` (see :func:`notice_signature`)."""
NOTICE_EVENT_HEADER = "X-Weighthouse-Event"
"""Request of a job callback: its event (``STARTED``, ``SUCCEEDED``, ``FAILED``, ``CANCELLED``)."""
NOTICE_TOLERANCE_SECONDS = 300
"""How old a callback's timestamp may be before its receiver should refuse it as a replay."""
SESSION_COOKIE = "weighthouse_session"
"""The web UI's session cookie. The API takes it too, so a page can call the API (uploads);
a request with an ``Authorization`` header is judged by that header alone."""
META_PREFIX = "X-Meta-"
"""User metadata of a bucket object travels in ``X-Meta-<name>`` headers, both ways."""

# --- media types ------------------------------------------------------------------------------
OCTET_STREAM = "application/octet-stream"
"""Raw bodies of uploads, and the type of downloads whose name says nothing better."""
JSON = "application/json"

# --- limits -----------------------------------------------------------------------------------
PAGE_LIMIT_MAX = 1000
"""Largest ``limit`` a listing accepts."""
COMMIT_OPERATIONS_MAX = 25_000
"""Most operations one commit may carry."""
COMMIT_MESSAGE_MAX = 10_000
"""Longest commit message, in characters."""
CURSOR_MAX = 2048
"""Longest pagination cursor, in characters."""
BLOB_SIZE_MAX = 2**53 - 1
"""Largest blob size a request may name (8 PiB): every catalog database stores it in a BIGINT,
and it is the largest integer every JSON parser reads exactly (many read numbers as doubles),
so a client's schema check and the server agree on it."""

# --- error codes ------------------------------------------------------------------------------
# The stable ``code`` of the error envelope ``{"error": {"code", "message", "detail"}}``.
INVALID_INPUT = "invalid_input"
INVALID_NAME = "invalid_name"
INVALID_NOTIFY_URL = "invalid_notify_url"
INVALID_PATH = "invalid_path"
INVALID_REVISION = "invalid_revision"
DIGEST_MISMATCH = "digest_mismatch"
BAD_REQUEST = "bad_request"
TOO_LARGE = "too_large"
UNAUTHENTICATED = "unauthenticated"
FORBIDDEN = "forbidden"
GATED = "gated"
RATE_LIMITED = "rate_limited"
NOT_FOUND = "not_found"
REPO_NOT_FOUND = "repo_not_found"
REVISION_NOT_FOUND = "revision_not_found"
ENTRY_NOT_FOUND = "entry_not_found"
USER_NOT_FOUND = "user_not_found"
ORG_NOT_FOUND = "org_not_found"
TOKEN_NOT_FOUND = "token_not_found"  # noqa: S105 - an error code, not a secret
ACCESS_KEY_NOT_FOUND = "access_key_not_found"
JOB_NOT_FOUND = "job_not_found"
APP_NOT_FOUND = "app_not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
NOT_ACCEPTABLE = "not_acceptable"
CONFLICT = "conflict"
REPO_EXISTS = "repo_exists"
REF_EXISTS = "ref_exists"
USER_EXISTS = "user_exists"
COMMIT_CONFLICT = "commit_conflict"
PATH_CONFLICT = "path_conflict"
OBJECT_LOCKED = "object_locked"
OBJECT_LOCK_NOT_ENABLED = "object_lock_not_enabled"
INVALID_BUCKET_STATE = "invalid_bucket_state"
LENGTH_REQUIRED = "length_required"
PRECONDITION_FAILED = "precondition_failed"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
RANGE_NOT_SATISFIABLE = "range_not_satisfiable"
INTERNAL = "internal"
BLOB_MISSING = "blob_missing"
BLOB_UNKNOWN = "blob_unknown"
BAD_GATEWAY = "bad_gateway"
STORAGE_UNAVAILABLE = "storage_unavailable"
UNAVAILABLE = "unavailable"
GATEWAY_TIMEOUT = "gateway_timeout"
STORAGE_FULL = "storage_full"
DEPLOYMENT_MISMATCH = "deployment_mismatch"

ERROR_CODES = frozenset(
    {
        INVALID_INPUT, INVALID_NAME, INVALID_NOTIFY_URL, INVALID_PATH, INVALID_REVISION,
        DIGEST_MISMATCH,
        BAD_REQUEST, TOO_LARGE, UNAUTHENTICATED, FORBIDDEN, GATED, RATE_LIMITED, NOT_FOUND,
        REPO_NOT_FOUND, REVISION_NOT_FOUND, ENTRY_NOT_FOUND, USER_NOT_FOUND, ORG_NOT_FOUND,
        TOKEN_NOT_FOUND, ACCESS_KEY_NOT_FOUND, JOB_NOT_FOUND, APP_NOT_FOUND, METHOD_NOT_ALLOWED,
        NOT_ACCEPTABLE,
        CONFLICT,
        REPO_EXISTS, REF_EXISTS, USER_EXISTS, COMMIT_CONFLICT, PATH_CONFLICT, LENGTH_REQUIRED,
        OBJECT_LOCKED, OBJECT_LOCK_NOT_ENABLED, INVALID_BUCKET_STATE,
        PRECONDITION_FAILED, UNSUPPORTED_MEDIA_TYPE, RANGE_NOT_SATISFIABLE, INTERNAL,
        BLOB_MISSING, BLOB_UNKNOWN, BAD_GATEWAY,
        STORAGE_UNAVAILABLE, UNAVAILABLE, GATEWAY_TIMEOUT, STORAGE_FULL, DEPLOYMENT_MISMATCH,
    }
)  # fmt: skip
"""Every error code the server may send; a test holds the server's error table to it."""

STATUS_CODES: Mapping[int, str] = MappingProxyType(
    {
        400: BAD_REQUEST,
        401: UNAUTHENTICATED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        405: METHOD_NOT_ALLOWED,
        406: NOT_ACCEPTABLE,
        409: CONFLICT,
        411: LENGTH_REQUIRED,
        412: PRECONDITION_FAILED,
        413: TOO_LARGE,
        415: UNSUPPORTED_MEDIA_TYPE,
        416: RANGE_NOT_SATISFIABLE,
        422: INVALID_INPUT,
        429: RATE_LIMITED,
        502: BAD_GATEWAY,
        503: UNAVAILABLE,
        504: GATEWAY_TIMEOUT,
    }
)
"""The code for a bare HTTP status: what the server sends for errors raised by the framework
(an unknown route, a wrong method), and what the client assumes when a proxy answered instead."""


# --- job callbacks ----------------------------------------------------------------------------
def notice_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of ``NOTICE_SIGNATURE_HEADER``: HMAC-SHA256, keyed by the job's callback
    secret, of ``<timestamp>.`` followed by the body's bytes. The timestamp is signed with the
    body, so a receiver that refuses old timestamps refuses replays of old requests."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_at(secret: str, body: bytes, header: str | None) -> int | None:
    """The timestamp a ``NOTICE_SIGNATURE_HEADER`` value names, if its signature of ``body``
    is right (compared in constant time); ``None`` otherwise."""
    fields = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    raw = fields.get("t", "")
    if not raw.isdigit() or len(raw) > 12:
        return None
    expected = notice_signature(secret, int(raw), body)
    given = f"t={raw},v1={fields.get('v1', '')}"
    return int(raw) if hmac.compare_digest(expected.encode(), given.encode()) else None


# --- header text ------------------------------------------------------------------------------
def header_text(received: str) -> str:
    """The text of a header value as received (one character per byte, as the server decodes
    headers): its bytes read as UTF-8, as botocore and the AWS SDKs send header text, or the
    bytes one character each when they are not UTF-8."""
    raw = received.encode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return received


def header_value(text: str) -> str:
    """``text`` as a header value to send: its UTF-8 bytes, one character per byte (the server
    encodes header values one byte per character), so what a client sent comes back as sent."""
    return text.encode("utf-8").decode("latin-1")
