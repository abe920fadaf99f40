"""Domain errors to S3 error responses: one table, and the XML body S3 clients read.

Every error reads ``<Error><Code/><Message/><Resource/><RequestId/></Error>`` (no XML
namespace), with ``x-amz-request-id`` equal to ``<RequestId>``; HEAD errors have no body.
The table is walked along the exception's MRO, so the most specific entry wins; a test fails
when a concrete domain error has no entry of its own. Authentication failures carry a
``reason`` field (see :class:`~weighthouse.domain.authentication.Authenticator`), which picks
the S3 code.
"""

from __future__ import annotations

from weighthouse.domain import errors as e

ERROR_TABLE: dict[type[e.DomainError], tuple[int, str]] = {
    e.DomainError: (500, "InternalError"),
    e.InvalidInputError: (400, "InvalidArgument"),
    e.InvalidNameError: (400, "InvalidBucketName"),
    e.InvalidNotifyUrlError: (400, "InvalidArgument"),
    e.InvalidPathError: (400, "InvalidArgument"),
    e.InvalidTagError: (400, "InvalidTag"),
    e.InvalidCorsError: (400, "InvalidRequest"),
    e.InvalidLifecycleError: (400, "InvalidArgument"),
    e.LifecycleRuleConflictError: (400, "InvalidRequest"),
    e.MalformedPolicyError: (400, "MalformedPolicy"),
    e.InvalidAclError: (400, "MalformedACLError"),
    e.InvalidGranteeError: (400, "InvalidArgument"),
    e.InvalidRetentionPeriodError: (400, "InvalidRetentionPeriod"),
    e.ObjectLockNotEnabledError: (400, "InvalidRequest"),
    e.IntegrityCheckRequiredError: (400, "InvalidRequest"),
    e.InvalidRevisionError: (400, "InvalidArgument"),
    e.DigestMismatchError: (400, "BadDigest"),
    e.EncryptionParametersError: (400, "InvalidRequest"),
    e.TooLargeError: (400, "EntityTooLarge"),
    e.InvalidPartError: (400, "InvalidPart"),
    e.PartOrderError: (400, "InvalidPartOrder"),
    e.PartTooSmallError: (400, "EntityTooSmall"),
    e.AuthenticationError: (403, "AccessDenied"),
    e.PermissionDeniedError: (403, "AccessDenied"),
    e.AclOwnerMismatchError: (403, "AccessDenied"),
    e.ObjectLockedError: (403, "AccessDenied"),
    e.GatedRepoError: (403, "AccessDenied"),
    e.GatedRepoSignInError: (403, "AccessDenied"),
    e.RateLimitedError: (503, "SlowDown"),
    e.NotFoundError: (404, "NoSuchKey"),
    e.RepoNotFoundError: (404, "NoSuchBucket"),
    e.RevisionNotFoundError: (404, "NoSuchKey"),
    e.EntryNotFoundError: (404, "NoSuchKey"),
    # Asked by version id: S3 reads no object at a delete marker.
    e.DeleteMarkerError: (405, "MethodNotAllowed"),
    e.VersionNotFoundError: (404, "NoSuchVersion"),
    # A bucket in a namespace that does not exist: to S3 clients, no such bucket.
    e.UserNotFoundError: (404, "NoSuchBucket"),
    e.OrganizationNotFoundError: (404, "NoSuchBucket"),
    e.SessionNotFoundError: (403, "AccessDenied"),
    e.TokenNotFoundError: (403, "AccessDenied"),
    e.AccessKeyNotFoundError: (403, "InvalidAccessKeyId"),
    e.BlobUnknownError: (400, "InvalidArgument"),
    e.UploadNotFoundError: (404, "NoSuchUpload"),
    e.JobNotFoundError: (404, "NoSuchKey"),
    e.AppNotFoundError: (404, "NoSuchKey"),
    e.ConflictError: (409, "OperationAborted"),
    e.RepoExistsError: (409, "BucketAlreadyExists"),
    e.RefExistsError: (409, "OperationAborted"),
    e.InvalidBucketStateError: (409, "InvalidBucketState"),
    e.UserExistsError: (409, "OperationAborted"),
    e.CommitConflictError: (409, "OperationAborted"),
    e.PathConflictError: (409, "OperationAborted"),
    e.RangeNotSatisfiableError: (416, "InvalidRange"),
    e.PreconditionFailedError: (412, "PreconditionFailed"),
    # 5xx makes botocore retry, which is right only for these.
    e.StorageError: (503, "ServiceUnavailable"),
    e.StorageFullError: (503, "ServiceUnavailable"),
    e.BlobMissingError: (500, "InternalError"),
    e.DeploymentMismatchError: (500, "InternalError"),
}

AUTHENTICATION_CODES: dict[str, str] = {
    "invalid_access_key_id": "InvalidAccessKeyId",
    "signature_mismatch": "SignatureDoesNotMatch",
    "request_time_skewed": "RequestTimeTooSkewed",
    "expired": "InvalidAccessKeyId",
    "malformed": "AuthorizationHeaderMalformed",
}
"""The S3 code of an ``AuthenticationError`` by its ``reason``; others are AccessDenied."""

_AUTH_STATUS = {"AuthorizationHeaderMalformed": 400}


class S3Error(Exception):
    """An error the S3 protocol itself defines (a malformed request, an unsupported
    operation), raised by the front-end where no domain rule applies."""

    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def lookup(exc: e.DomainError) -> tuple[int, str]:
    """The status and S3 code of a domain error."""
    if isinstance(exc, e.AuthenticationError):
        reason = exc.fields.get("reason")
        code = AUTHENTICATION_CODES.get(reason, "AccessDenied") if isinstance(reason, str) else ""
        if code:
            return _AUTH_STATUS.get(code, 403), code
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return ERROR_TABLE[e.DomainError]


def translate(exc: e.DomainError) -> S3Error:
    status, code = lookup(exc)
    message = exc.message if status < 500 else "We encountered an internal error. Please retry."
    kept = ("key", "size", "version_id", "delete_marker")
    fields = {k: str(v) for k, v in exc.fields.items() if k in kept}
    return S3Error(status, code, message, **fields)
