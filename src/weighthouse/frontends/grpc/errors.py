"""Domain errors to gRPC status codes: one table, and the one place handlers end a call.

The table is walked along the exception's MRO, so the most specific entry wins; a test fails
when a concrete domain error has no entry of its own. Every failure of a handler ends with a
status of this table or ``INTERNAL`` (logged here): an exception that escaped to grpc itself
would reach the client as ``UNKNOWN``, which tells it nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import grpc

from weighthouse.domain import errors as e

log = logging.getLogger("weighthouse.grpc")

ERROR_TABLE: dict[type[e.DomainError], grpc.StatusCode] = {
    e.DomainError: grpc.StatusCode.INTERNAL,
    e.InvalidInputError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidNameError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidNotifyUrlError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidPathError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidTagError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidCorsError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidLifecycleError: grpc.StatusCode.INVALID_ARGUMENT,
    e.LifecycleRuleConflictError: grpc.StatusCode.INVALID_ARGUMENT,
    e.MalformedPolicyError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidAclError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidGranteeError: grpc.StatusCode.INVALID_ARGUMENT,
    e.InvalidRetentionPeriodError: grpc.StatusCode.INVALID_ARGUMENT,
    e.IntegrityCheckRequiredError: grpc.StatusCode.INVALID_ARGUMENT,
    e.ObjectLockNotEnabledError: grpc.StatusCode.FAILED_PRECONDITION,
    e.InvalidRevisionError: grpc.StatusCode.INVALID_ARGUMENT,
    e.DigestMismatchError: grpc.StatusCode.INVALID_ARGUMENT,
    e.EncryptionParametersError: grpc.StatusCode.INVALID_ARGUMENT,
    e.TooLargeError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    e.InvalidPartError: grpc.StatusCode.INVALID_ARGUMENT,
    e.PartOrderError: grpc.StatusCode.INVALID_ARGUMENT,
    e.PartTooSmallError: grpc.StatusCode.INVALID_ARGUMENT,
    e.AuthenticationError: grpc.StatusCode.UNAUTHENTICATED,
    e.PermissionDeniedError: grpc.StatusCode.PERMISSION_DENIED,
    e.AclOwnerMismatchError: grpc.StatusCode.PERMISSION_DENIED,
    e.ObjectLockedError: grpc.StatusCode.PERMISSION_DENIED,
    e.GatedRepoError: grpc.StatusCode.PERMISSION_DENIED,
    e.GatedRepoSignInError: grpc.StatusCode.UNAUTHENTICATED,
    e.RateLimitedError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    e.NotFoundError: grpc.StatusCode.NOT_FOUND,
    e.RepoNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.RevisionNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.EntryNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.DeleteMarkerError: grpc.StatusCode.NOT_FOUND,
    e.VersionNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.UserNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.OrganizationNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.SessionNotFoundError: grpc.StatusCode.UNAUTHENTICATED,
    e.TokenNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.AccessKeyNotFoundError: grpc.StatusCode.NOT_FOUND,
    # The call names a blob it may not use; the remedy is to send the bytes, not to wait.
    e.BlobUnknownError: grpc.StatusCode.FAILED_PRECONDITION,
    e.UploadNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.JobNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.AppNotFoundError: grpc.StatusCode.NOT_FOUND,
    e.ConflictError: grpc.StatusCode.FAILED_PRECONDITION,
    e.RepoExistsError: grpc.StatusCode.ALREADY_EXISTS,
    e.RefExistsError: grpc.StatusCode.ALREADY_EXISTS,
    e.InvalidBucketStateError: grpc.StatusCode.FAILED_PRECONDITION,
    e.UserExistsError: grpc.StatusCode.ALREADY_EXISTS,
    # A stale parent: re-read the head and decide again, as FAILED_PRECONDITION asks.
    e.CommitConflictError: grpc.StatusCode.FAILED_PRECONDITION,
    e.PathConflictError: grpc.StatusCode.FAILED_PRECONDITION,
    e.RangeNotSatisfiableError: grpc.StatusCode.OUT_OF_RANGE,
    e.PreconditionFailedError: grpc.StatusCode.FAILED_PRECONDITION,
    # The only retryable ones: clients retry UNAVAILABLE by themselves.
    e.StorageError: grpc.StatusCode.UNAVAILABLE,
    e.StorageFullError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    e.BlobMissingError: grpc.StatusCode.INTERNAL,
    e.DeploymentMismatchError: grpc.StatusCode.INTERNAL,
}


def status_of(error: e.DomainError) -> grpc.StatusCode:
    """The status code of ``error``: the entry of its most specific class in the table."""
    for cls in type(error).__mro__:
        code = ERROR_TABLE.get(cls)
        if code is not None:
            return code
    return grpc.StatusCode.INTERNAL


def _failure(error: Exception, context: grpc.ServicerContext) -> tuple[grpc.StatusCode, str]:
    if isinstance(error, e.DomainError):
        return status_of(error), error.message
    if not context.is_active():  # the client went away or its deadline passed: no fault here
        return grpc.StatusCode.CANCELLED, "the call ended"
    log.exception("gRPC handler failed", exc_info=error)
    return grpc.StatusCode.INTERNAL, "internal error"


F = TypeVar("F", bound=Callable[..., Any])


def unary(method: F) -> F:
    """A handler that returns one answer, its failures ended through the table."""

    @functools.wraps(method)
    def handle(self: object, request: object, context: grpc.ServicerContext) -> object:
        try:
            return method(self, request, context)
        except Exception as error:
            code, details = _failure(error, context)
        return context.abort(code, details)  # raises: the call ends with this status

    return handle  # type: ignore[return-value]


def streaming(method: F) -> F:
    """A handler that yields its answers; failures while iterating end through the table too,
    which is where the original service lost them (its errors came out as ``UNKNOWN``)."""

    @functools.wraps(method)
    def handle(self: object, request: object, context: grpc.ServicerContext) -> Iterator[object]:
        try:
            yield from method(self, request, context)
            return
        except GeneratorExit:
            raise
        except Exception as error:
            code, details = _failure(error, context)
        context.abort(code, details)

    return handle  # type: ignore[return-value]
