"""Domain errors to Hub responses: one table, found by walking the MRO.

The client (``hf_raise_for_status``) picks its exception class from the ``X-Error-Code``
header, so only the codes it knows are sent, and on ``HEAD`` the header is the only signal.
The body is the Hub's own error shape, ``{"error": "<message>"}``, which the client shows.
A test fails when a concrete domain error lacks an entry of its own.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, Response

from weighthouse.domain import errors as e
from weighthouse.frontends.hf import wire

log = logging.getLogger("weighthouse.hf")

ERROR_TABLE: dict[type[e.DomainError], tuple[int, str | None]] = {
    e.DomainError: (500, None),
    e.InvalidInputError: (400, None),
    e.InvalidNameError: (400, None),
    e.InvalidNotifyUrlError: (400, None),
    e.InvalidPathError: (400, None),
    e.InvalidTagError: (400, None),
    e.InvalidCorsError: (400, None),
    e.InvalidLifecycleError: (400, None),
    e.LifecycleRuleConflictError: (400, None),
    e.MalformedPolicyError: (400, None),
    e.InvalidAclError: (400, None),
    e.InvalidGranteeError: (400, None),
    e.InvalidRetentionPeriodError: (400, None),
    e.IntegrityCheckRequiredError: (400, None),
    e.ObjectLockNotEnabledError: (400, None),
    # A revision that cannot exist is, to the client, one that does not: revision_exists()
    # says False and `hf upload --revision` tries to create the branch (and learns why not).
    e.InvalidRevisionError: (404, "RevisionNotFound"),
    e.DigestMismatchError: (400, None),
    e.EncryptionParametersError: (400, None),
    e.TooLargeError: (413, None),
    e.InvalidPartError: (400, None),
    e.PartOrderError: (400, None),
    e.PartTooSmallError: (400, None),
    e.AuthenticationError: (401, None),
    e.PermissionDeniedError: (403, None),
    e.AclOwnerMismatchError: (403, None),
    e.ObjectLockedError: (403, None),
    # As the Hub answers: 401 to anonymous callers, 403 to users without an accepted request.
    e.GatedRepoError: (403, "GatedRepo"),
    e.GatedRepoSignInError: (401, "GatedRepo"),
    e.RateLimitedError: (429, None),
    e.NotFoundError: (404, None),
    e.RepoNotFoundError: (404, "RepoNotFound"),
    e.RevisionNotFoundError: (404, "RevisionNotFound"),
    e.EntryNotFoundError: (404, "EntryNotFound"),
    e.DeleteMarkerError: (404, "EntryNotFound"),
    e.VersionNotFoundError: (404, "EntryNotFound"),
    e.UserNotFoundError: (404, None),
    e.OrganizationNotFoundError: (404, None),
    e.SessionNotFoundError: (401, None),
    e.TokenNotFoundError: (404, None),
    e.AccessKeyNotFoundError: (404, None),
    # The route's repo exists; the request names a blob it may not use: upload it first.
    e.BlobUnknownError: (400, None),
    e.UploadNotFoundError: (404, None),
    e.JobNotFoundError: (404, None),
    e.AppNotFoundError: (404, None),
    e.ConflictError: (409, None),
    e.RepoExistsError: (409, None),
    e.RefExistsError: (409, None),
    e.InvalidBucketStateError: (409, None),
    e.UserExistsError: (409, None),
    e.CommitConflictError: (412, None),
    e.PathConflictError: (409, None),
    e.RangeNotSatisfiableError: (416, None),
    e.PreconditionFailedError: (412, None),
    e.StorageError: (503, None),
    e.StorageFullError: (507, None),
    e.BlobMissingError: (500, None),
    e.DeploymentMismatchError: (500, None),
}


def lookup(exc: e.DomainError) -> tuple[int, str | None]:
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return ERROR_TABLE[e.DomainError]


def _header_text(message: str) -> str:
    """Header values are Latin-1 on the wire and one line."""
    flat = " ".join(message.split())[:500]
    return flat.encode("latin-1", "replace").decode("latin-1")


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> Response:
    """An error as the Hub sends it: ``X-Error-Code`` (when the client acts on it),
    ``X-Error-Message`` and ``{"error": message}`` (plus ``extra`` keys)."""
    out = {wire.ERROR_MESSAGE: _header_text(message), **(headers or {})}
    if code is not None:
        out[wire.ERROR_CODE] = code
    if status == 401:
        out["WWW-Authenticate"] = 'Bearer realm="weighthouse"'
    if status == 503:
        out["Retry-After"] = "1"
    body = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse({**(extra or {}), "error": body}, status_code=status, headers=out)


def domain_error_response(
    exc: e.DomainError,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> Response:
    status, code = lookup(exc)
    if status >= 500:
        log.error("hub request failed: %s", exc.message)
    more = dict(headers or {})
    if isinstance(exc, e.RateLimitedError):
        more["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    if isinstance(exc, e.RangeNotSatisfiableError) and "size" in exc.fields:
        more["Content-Range"] = f"bytes */{exc.fields['size']}"
    return error_response(status, exc.message, code, more, extra)
