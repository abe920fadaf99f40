"""Who S3 says owns a bucket, and ``x-amz-expected-bucket-owner``.

A bucket's owner is the account of the namespace it lives in, not the member who happened
to create it: for an organisation's bucket (``acme--data``) the organisation's ID; for a
user's bucket (``alice--data``) the ID of the account that created it, which is that user
unless a site admin created it for them. DisplayName is the namespace's name. Listings show
this owner, and a request carrying ``x-amz-expected-bucket-owner`` (or, for the source of a
copy, ``x-amz-source-expected-bucket-owner``) is refused with ``AccessDenied`` (403) unless it
names this ID, as S3 does for a bucket of another account.
"""

from __future__ import annotations

from dataclasses import dataclass

from weighthouse.domain.errors import OrganizationNotFoundError
from weighthouse.domain.model import Repo
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call
from weighthouse.frontends.s3.errors import S3Error

EXPECTED_OWNER_HEADER = "x-amz-expected-bucket-owner"
EXPECTED_SOURCE_OWNER_HEADER = "x-amz-source-expected-bucket-owner"


@dataclass(frozen=True)
class Owner:
    id: str
    display_name: str


def bucket_owner(call: S3Call, repo: Repo) -> Owner:
    """The owner of ``repo`` as S3 shows it (blocking: may read the catalog)."""
    try:
        org = call.hub.orgs.get(call.principal, repo.namespace)
    except OrganizationNotFoundError:
        return Owner(repo.owner_id, repo.namespace)
    return Owner(org.id, repo.namespace)


def check_expected_owner(call: S3Call, bucket: str | None, header: str) -> None:
    """``AccessDenied`` when the request's ``header`` names an expected owner that ``bucket``
    does not have (blocking). The bucket is read with the caller's rights: one they may not
    see is ``NoSuchBucket`` either way."""
    expected = call.header(header)
    if expected is None or bucket is None:
        return
    repo = call.hub.repos.get(call.principal, bucket_id(bucket))
    if bucket_owner(call, repo).id != expected.strip():
        raise S3Error(403, "AccessDenied", "Access Denied")
