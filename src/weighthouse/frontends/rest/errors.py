"""Domain errors to REST responses: one table, one handler, one JSON envelope.

Every error response reads ``{"error": {"code": ..., "message": ..., "detail": {...}}}``.
The handler walks the exception's MRO, so the most specific entry wins; a test fails when a
concrete domain error has no entry of its own.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from weighthouse import wire
from weighthouse.domain import errors as e

log = logging.getLogger("weighthouse.rest")

ERROR_TABLE: dict[type[e.DomainError], tuple[int, str]] = {
    e.DomainError: (500, "internal"),
    e.InvalidInputError: (400, "invalid_input"),
    e.InvalidNameError: (400, "invalid_name"),
    e.InvalidNotifyUrlError: (400, "invalid_notify_url"),
    e.InvalidPathError: (400, "invalid_path"),
    e.InvalidTagError: (400, "invalid_input"),
    e.InvalidCorsError: (400, "invalid_input"),
    e.InvalidLifecycleError: (400, "invalid_input"),
    e.LifecycleRuleConflictError: (400, "invalid_input"),
    e.MalformedPolicyError: (400, "invalid_input"),
    e.InvalidAclError: (400, "invalid_input"),
    e.InvalidGranteeError: (400, "invalid_input"),
    e.InvalidRetentionPeriodError: (400, "invalid_input"),
    e.IntegrityCheckRequiredError: (400, "invalid_input"),
    e.ObjectLockNotEnabledError: (400, "object_lock_not_enabled"),
    e.InvalidRevisionError: (400, "invalid_revision"),
    e.DigestMismatchError: (400, "digest_mismatch"),
    e.EncryptionParametersError: (400, "invalid_input"),
    e.TooLargeError: (413, "too_large"),
    e.InvalidPartError: (400, "invalid_input"),
    e.PartOrderError: (400, "invalid_input"),
    e.PartTooSmallError: (400, "invalid_input"),
    e.AuthenticationError: (401, "unauthenticated"),
    e.PermissionDeniedError: (403, "forbidden"),
    e.AclOwnerMismatchError: (403, "forbidden"),
    e.ObjectLockedError: (403, "object_locked"),
    e.GatedRepoError: (403, "gated"),
    e.GatedRepoSignInError: (401, "gated"),
    e.RateLimitedError: (429, "rate_limited"),
    e.NotFoundError: (404, "not_found"),
    e.RepoNotFoundError: (404, "repo_not_found"),
    e.RevisionNotFoundError: (404, "revision_not_found"),
    e.EntryNotFoundError: (404, "entry_not_found"),
    e.DeleteMarkerError: (404, "entry_not_found"),
    e.VersionNotFoundError: (404, "entry_not_found"),
    e.UserNotFoundError: (404, "user_not_found"),
    e.OrganizationNotFoundError: (404, "org_not_found"),
    e.SessionNotFoundError: (401, "unauthenticated"),
    e.TokenNotFoundError: (404, "token_not_found"),
    e.AccessKeyNotFoundError: (404, "access_key_not_found"),
    # 400, not 404: the route's repo exists, the request body names a blob it cannot use.
    e.BlobUnknownError: (400, "blob_unknown"),
    e.UploadNotFoundError: (404, "not_found"),
    e.JobNotFoundError: (404, "job_not_found"),
    e.AppNotFoundError: (404, "app_not_found"),
    e.ConflictError: (409, "conflict"),
    e.RepoExistsError: (409, "repo_exists"),
    e.RefExistsError: (409, "ref_exists"),
    e.InvalidBucketStateError: (409, "invalid_bucket_state"),
    e.UserExistsError: (409, "user_exists"),
    e.CommitConflictError: (409, "commit_conflict"),
    e.PathConflictError: (409, "path_conflict"),
    e.RangeNotSatisfiableError: (416, "range_not_satisfiable"),
    e.PreconditionFailedError: (412, "precondition_failed"),
    e.StorageError: (503, "storage_unavailable"),
    e.StorageFullError: (507, "storage_full"),
    e.BlobMissingError: (500, "blob_missing"),
    e.DeploymentMismatchError: (500, "deployment_mismatch"),
}


def lookup(exc: e.DomainError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return ERROR_TABLE[e.DomainError]


def _printable(value: Any) -> Any:
    """Error text may echo client input; lone surrogates in it must not break the response."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_printable(v) for v in value]
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    return value


def envelope(
    status: int, code: str, message: str, detail: dict[str, Any] | None = None
) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="weighthouse"'
    if status == 503:
        headers["Retry-After"] = "1"
    body = {"error": {"code": code, "message": message, "detail": detail or {}}}
    body = _printable(body)
    return JSONResponse(body, status_code=status, headers=headers)


def _safe_fields(fields: dict[str, object]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in fields.items()}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.DomainError)
    status, code = lookup(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    response = envelope(status, code, exc.message, _safe_fields(exc.fields))
    if isinstance(exc, e.RateLimitedError):
        response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, e.RangeNotSatisfiableError) and "size" in exc.fields:
        response.headers["Content-Range"] = f"bytes */{exc.fields['size']}"
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"where": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg", "")}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"where": "", "problem": "invalid request"}
    message = f"{first['where']}: {first['problem']}" if first["where"] else first["problem"]
    return envelope(400, "invalid_input", message, {"problems": problems[:20]})


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> set[str]:
    """Every method some route serves at ``path``, also in included routers."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods or set()
        included = getattr(route, "original_router", None)
        if included is not None:
            methods |= allowed_methods(included.routes, path)
    return methods


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = wire.STATUS_CODES.get(exc.status_code, "error")
    response = envelope(exc.status_code, code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        # Starlette names only the methods of the first route that matched the path; each
        # method is a route of its own here, so the others would be missing.
        methods = allowed_methods(request.app.routes, request.url.path)
        if methods:
            response.headers["Allow"] = ", ".join(sorted(methods))
    return response


async def _disconnect(request: Request, exc: Exception) -> JSONResponse:
    return envelope(400, "client_disconnected", "the client went away before the body ended")


async def _not_unicode(request: Request, exc: Exception) -> JSONResponse:
    return envelope(400, "invalid_input", "text must be valid Unicode (no lone surrogates)")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Never show a traceback to the client; the log has it.
    log.exception("%s %s crashed", request.method, request.url.path, exc_info=exc)
    return envelope(500, "internal", "internal server error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _disconnect)
    app.add_exception_handler(UnicodeEncodeError, _not_unicode)
    app.add_exception_handler(Exception, _unexpected)
