"""Domain errors. They carry fields, never wire status codes.

Each front-end maps this tree onto its protocol in one table (``frontends/<p>/errors.py``);
a test fails when a concrete error lacks an entry there.

    DomainError
    ├── InvalidInputError                 bad names, paths, parameters
    │   ├── InvalidNameError
    │   ├── InvalidPathError
    │   ├── InvalidRevisionError
    │   ├── InvalidTagError               a tag set over the limits, or a tag breaking the rule
    │   ├── InvalidCorsError              a CORS rule S3 would refuse
    │   ├── MalformedPolicyError          a bucket policy S3 would refuse
    │   ├── InvalidLifecycleError         a lifecycle value S3 would refuse
    │   │   └── LifecycleRuleConflictError  a lifecycle rule whose parts do not go together
    │   ├── InvalidAclError               an ACL that is malformed or over the limits
    │   ├── InvalidGranteeError           a grant to a user who does not exist
    │   ├── InvalidRetentionPeriodError   a default retention of no positive length
    │   ├── ObjectLockNotEnabledError     object lock asked of a bucket without it
    │   ├── IntegrityCheckRequiredError   locked bytes written without a digest to check
    │   ├── DigestMismatchError           declared size or digest differs from the bytes
    │   ├── EncryptionParametersError     server-side encryption headers missing or wrong
    │   ├── TooLargeError                 a body over the configured limit
    │   ├── InvalidPartError              a listed part was not uploaded, or differs
    │   ├── PartOrderError                listed parts are not in ascending order
    │   └── PartTooSmallError             a part before the last under the minimum size
    ├── AuthenticationError               no or bad credentials
    ├── PermissionDeniedError             authenticated, but not allowed
    │   ├── AclOwnerMismatchError         an ACL naming another owner than the resource's
    │   ├── ObjectLockedError             a version under retention or legal hold
    │   └── GatedRepoError                gated repo, no accepted access request
    │       └── GatedRepoSignInError      the same for an anonymous caller
    ├── RateLimitedError                  too many attempts; retry after a while
    ├── NotFoundError
    │   ├── RepoNotFoundError
    │   ├── RevisionNotFoundError
    │   ├── EntryNotFoundError            a file, folder or object key
    │   │   └── DeleteMarkerError         a version asked for by id is a delete marker
    │   ├── VersionNotFoundError          no version of that id at that key
    │   ├── UserNotFoundError
    │   ├── OrganizationNotFoundError
    │   ├── SessionNotFoundError
    │   ├── TokenNotFoundError
    │   ├── AccessKeyNotFoundError
    │   ├── BlobUnknownError              a blob named by hash that the caller may not use
    │   ├── UploadNotFoundError           a multipart upload that is not (or no longer) open
    │   └── JobNotFoundError              a job that does not exist or is not the caller's
    ├── ConflictError
    │   ├── RepoExistsError
    │   ├── RefExistsError
    │   ├── InvalidBucketStateError       a bucket setting its object lock forbids or needs
    │   ├── UserExistsError               the name is taken by a user or an organisation
    │   ├── CommitConflictError           stale parent_commit, or a lost compare-and-swap
    │   └── PathConflictError             a file where a folder is needed, or the reverse
    ├── RangeNotSatisfiableError
    ├── PreconditionFailedError
    ├── StorageError                      the blob store or catalog failed; retryable
    │   ├── StorageFullError
    │   └── BlobMissingError              the catalog names a blob the store lacks
    └── DeploymentMismatchError           catalog and blob store are not one deployment
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidInputError(DomainError):
    """The caller sent something malformed."""


class InvalidNameError(InvalidInputError):
    """A user, namespace, repo or ref name breaks the naming rule."""


class InvalidNotifyUrlError(InvalidInputError):
    """A job's ``notify_url`` is not one the server may call: not http(s), not allowed, or
    naming (or resolving to) a loopback, link-local, private or metadata address."""


class InvalidPathError(InvalidInputError):
    """A file path or object key breaks the path rule."""


class InvalidRevisionError(InvalidInputError):
    """A revision string is malformed."""


class InvalidTagError(InvalidInputError):
    """A tag set with too many tags or one key twice, or a tag whose key or value is too long
    or holds characters tags may not hold."""


class InvalidCorsError(InvalidInputError):
    """A bucket's CORS configuration S3 would refuse: no rules or too many, a method it does
    not know, an origin or allowed header with more than one ``*``."""


class MalformedPolicyError(InvalidInputError):
    """A bucket policy S3 would refuse: not JSON, over 20 KB, a field it does not know or
    lacks, an effect, principal, action, resource or condition it cannot read, or a resource
    outside the bucket. The message names the reason."""


class InvalidLifecycleError(InvalidInputError):
    """A bucket's lifecycle configuration holding a value S3 refuses: no rules or too many, a
    rule id over the limit or used twice, days that are not positive, a date not at midnight
    UTC. The message names the reason."""


class LifecycleRuleConflictError(InvalidLifecycleError):
    """A lifecycle rule S3 refuses as a whole: no action, an action its filter may not go
    with (tags or sizes with ``AbortIncompleteMultipartUpload``), empty size bounds."""


class InvalidAclError(InvalidInputError):
    """An access control list that is malformed: a permission or canned ACL S3 does not
    define, a grantee of no known kind, more grants than an ACL may hold."""


class InvalidGranteeError(InvalidInputError):
    """A grant to a user id (or e-mail address) that names no user."""


class InvalidRetentionPeriodError(InvalidInputError):
    """A bucket's default retention of zero or fewer days or years, or more than S3 allows."""


class ObjectLockNotEnabledError(InvalidInputError):
    """A retention or legal hold asked of an object in a bucket whose object lock is not
    enabled: there is nothing to keep it."""


class IntegrityCheckRequiredError(InvalidInputError):
    """Bytes of an object that gets an object lock (asked for or the bucket's default
    retention) sent without a digest or checksum of them to check, which S3 requires."""


class DigestMismatchError(InvalidInputError):
    """The bytes received do not match the size or digest the caller declared."""


class EncryptionParametersError(InvalidInputError):
    """Server-side encryption asked for in a way that cannot be served: a customer key that is
    malformed, missing where the object needs one, given where it has none, or not the
    upload's; ``argument`` names the header when one is at fault."""


class TooLargeError(InvalidInputError):
    """A body or upload is larger than the configured limit."""


class InvalidPartError(InvalidInputError):
    """A part named when completing a multipart upload was not uploaded, or its ETag or
    checksum differs from the stored part's."""


class PartOrderError(InvalidInputError):
    """The parts named when completing a multipart upload are not in ascending order."""


class PartTooSmallError(InvalidInputError):
    """A part other than the last is smaller than the minimum part size."""


class AuthenticationError(DomainError):
    """No credentials, or credentials that are invalid, expired or revoked."""


class PermissionDeniedError(DomainError):
    """The caller is known but may not do this."""


class AclOwnerMismatchError(PermissionDeniedError):
    """An access control list naming an owner other than the bucket's or object's own: an
    ACL cannot hand a resource to another account."""


class ObjectLockedError(PermissionDeniedError):
    """The object version is under a retention or a legal hold (see
    :mod:`~weighthouse.domain.object_lock`): it cannot be removed, nor its retention
    shortened or removed, by anyone (a governance retention: by anyone without the right to
    bypass it)."""


class GatedRepoError(PermissionDeniedError):
    """The repo is gated: its files are for callers with their own role on it or an accepted
    access request. Listings and repo info stay readable; only file contents are gated."""


class GatedRepoSignInError(GatedRepoError):
    """A gated repo's files were asked for without credentials: sign in and ask for access."""


class RateLimitedError(DomainError):
    """Too many attempts. ``retry_after`` (seconds) says when the next one may go through."""

    def __init__(self, message: str, *, retry_after: float, **fields: object) -> None:
        super().__init__(message, retry_after=retry_after, **fields)
        self.retry_after = retry_after


class NotFoundError(DomainError):
    """Something named does not exist, or the caller may not know it exists."""


class RepoNotFoundError(NotFoundError):
    """No such repo, or a private repo the caller may not see."""

    @classmethod
    def named(cls, full_name: str) -> RepoNotFoundError:
        """The one answer a caller gets for ``namespace/name`` it cannot reach: the same text
        and fields whether the repo is missing, of another type or private to others, so a
        response never tells which."""
        return cls(f"repo {full_name!r} not found", repo=full_name)


class RevisionNotFoundError(NotFoundError):
    """No branch, tag or commit of that name in the repo."""


class EntryNotFoundError(NotFoundError):
    """No file, folder or object at that path or key."""


class DeleteMarkerError(EntryNotFoundError):
    """The version of an object asked for by its id is a delete marker: there is no object to
    read or tag there. ``version_id`` names the marker."""


class VersionNotFoundError(NotFoundError):
    """The key has no version of that id (or the caller may not know of one)."""


class UserNotFoundError(NotFoundError):
    """No user of that name."""


class OrganizationNotFoundError(NotFoundError):
    """No organisation of that name."""


class SessionNotFoundError(NotFoundError):
    """No session with that id."""


class TokenNotFoundError(NotFoundError):
    """No token with that id."""


class AccessKeyNotFoundError(NotFoundError):
    """No access key with that id, or one the caller may not know exists."""


class BlobUnknownError(NotFoundError):
    """A request names a blob by SHA-256 (and size) that the caller may not reference: it is not
    stored, or the caller neither uploaded it within the grace period nor can read a repo or
    bucket holding it. The two cases are indistinguishable on purpose (see
    :mod:`~weighthouse.domain.blob_proof`); the remedy is to upload the bytes."""


class UploadNotFoundError(NotFoundError):
    """No open multipart upload has that id for that bucket and key (never created, already
    completed or aborted, or removed as abandoned)."""


class JobNotFoundError(NotFoundError):
    """No such job, or one the caller may not see (the same answer, so ids cannot be probed)."""


class AppNotFoundError(NotFoundError):
    """No app of that name is installed."""


class ConflictError(DomainError):
    """The request conflicts with the current state."""


class RepoExistsError(ConflictError):
    """A repo of that type and id already exists."""


class RefExistsError(ConflictError):
    """A branch or tag of that name already exists; tags never move."""


class InvalidBucketStateError(ConflictError):
    """The bucket's state forbids the change: its versioning suspended while object lock is
    enabled, or object lock enabled while versioning is not."""


class UserExistsError(ConflictError):
    """A user or an organisation of that name already exists: they share one namespace."""


class CommitConflictError(ConflictError):
    """The branch head is not the parent the caller expected."""


class PathConflictError(ConflictError):
    """A commit would put a file where a folder is, or a folder where a file is."""


class RangeNotSatisfiableError(DomainError):
    """A byte range lies outside the file."""


class PreconditionFailedError(DomainError):
    """A conditional request's precondition does not hold."""


class StorageError(DomainError):
    """The blob store or the catalog failed. Nothing was acknowledged; retrying may work."""


class StorageFullError(StorageError):
    """The blob store or the catalog has no room for the change (507); deletes still work."""


class BlobMissingError(StorageError):
    """The catalog refers to a blob the store does not have."""


class DeploymentMismatchError(DomainError):
    """The catalog and the blob store do not belong to one deployment: an empty catalog over a
    store that holds blobs, two different deployment ids, or a catalog that refers to no blob
    over a store full of them. Nothing was changed; the settings are probably wrong."""
