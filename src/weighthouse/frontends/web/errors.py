"""Domain errors to web pages: one table of status and heading, found by walking the MRO.

A test fails when a concrete domain error has no entry of its own. The page shows the
error's message (escaped like everything else), never a traceback.
"""

from __future__ import annotations

from weighthouse.domain import errors as e

ERROR_TABLE: dict[type[e.DomainError], tuple[int, str]] = {
    e.DomainError: (500, "Something went wrong"),
    e.InvalidInputError: (400, "That request is not valid"),
    e.InvalidNameError: (400, "That name is not valid"),
    e.InvalidNotifyUrlError: (400, "That notification address is not allowed"),
    e.InvalidPathError: (400, "That path is not valid"),
    e.InvalidTagError: (400, "Those tags are not valid"),
    e.InvalidCorsError: (400, "That CORS configuration is not valid"),
    e.InvalidLifecycleError: (400, "That lifecycle configuration is not valid"),
    e.LifecycleRuleConflictError: (400, "That lifecycle configuration is not valid"),
    e.MalformedPolicyError: (400, "That bucket policy is not valid"),
    e.InvalidAclError: (400, "That access control list is not valid"),
    e.InvalidGranteeError: (400, "That access control list names no such user"),
    e.InvalidRetentionPeriodError: (
        400,
        "That retention period is not valid",
    ),
    e.ObjectLockNotEnabledError: (400, "Object lock is not enabled on that bucket"),
    e.IntegrityCheckRequiredError: (400, "A locked object needs a checksum of its bytes"),
    e.InvalidRevisionError: (400, "That revision is not valid"),
    e.DigestMismatchError: (400, "The bytes do not match"),
    e.EncryptionParametersError: (400, "The object needs its encryption key"),
    e.TooLargeError: (413, "Too large"),
    e.InvalidPartError: (400, "That request is not valid"),
    e.PartOrderError: (400, "That request is not valid"),
    e.PartTooSmallError: (400, "That request is not valid"),
    e.AuthenticationError: (401, "Please sign in"),
    e.PermissionDeniedError: (403, "Not allowed"),
    e.AclOwnerMismatchError: (403, "Not allowed"),
    e.ObjectLockedError: (403, "That object version is locked"),
    e.GatedRepoError: (403, "Gated: ask the repo's admins for access"),
    e.GatedRepoSignInError: (401, "Gated: sign in and ask for access"),
    e.RateLimitedError: (429, "Too many attempts"),
    e.NotFoundError: (404, "Not found"),
    e.RepoNotFoundError: (404, "Repository not found"),
    e.RevisionNotFoundError: (404, "Revision not found"),
    e.EntryNotFoundError: (404, "File not found"),
    e.DeleteMarkerError: (404, "File not found"),
    e.VersionNotFoundError: (404, "Version not found"),
    e.UserNotFoundError: (404, "User not found"),
    e.OrganizationNotFoundError: (404, "Organisation not found"),
    e.SessionNotFoundError: (401, "Please sign in"),
    e.TokenNotFoundError: (404, "Token not found"),
    e.AccessKeyNotFoundError: (404, "Access key not found"),
    e.BlobUnknownError: (400, "Unknown file contents"),
    e.UploadNotFoundError: (404, "Upload not found"),
    e.JobNotFoundError: (404, "Job not found"),
    e.AppNotFoundError: (404, "App not found"),
    e.ConflictError: (409, "Conflict"),
    e.RepoExistsError: (409, "That repository already exists"),
    e.RefExistsError: (409, "That branch or tag already exists"),
    e.InvalidBucketStateError: (409, "The bucket's object lock forbids that"),
    e.UserExistsError: (409, "That name is taken"),
    e.CommitConflictError: (409, "The branch moved meanwhile"),
    e.PathConflictError: (409, "A file and a folder collide"),
    e.RangeNotSatisfiableError: (416, "Range not satisfiable"),
    e.PreconditionFailedError: (412, "Precondition failed"),
    e.StorageError: (503, "Storage is unavailable; try again"),
    e.StorageFullError: (507, "Storage is full"),
    e.BlobMissingError: (500, "A stored file is missing"),
    e.DeploymentMismatchError: (500, "The server is misconfigured"),
}


def lookup(exc: e.DomainError) -> tuple[int, str]:
    """The status and heading of the most specific entry for ``exc``."""
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return ERROR_TABLE[e.DomainError]


def printable(text: str) -> str:
    """Error text may echo client input; lone surrogates in it must not break the page."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
