"""The S3 actions a bucket policy may name, and the kind of resource each applies to.

Names are IAM's (``s3:GetObject``), compared without case as IAM compares them. An action
applies to the bucket (``arn:aws:s3:::bucket``) or to its objects
(``arn:aws:s3:::bucket/key``); a statement whose every action applies to none of its
resources is refused, as S3 refuses it ("Action does not apply to any resource(s) in
statement").
"""

from __future__ import annotations

OBJECT = "object"
BUCKET = "bucket"

_OBJECT_ACTIONS = """
AbortMultipartUpload BypassGovernanceRetention DeleteObject DeleteObjectTagging
DeleteObjectVersion DeleteObjectVersionTagging GetObject GetObjectAcl GetObjectAttributes
GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent GetObjectVersion
GetObjectVersionAcl GetObjectVersionAttributes GetObjectVersionForReplication
GetObjectVersionTagging GetObjectVersionTorrent InitiateReplication ListMultipartUploadParts
ObjectOwnerOverrideToBucketOwner PutObject PutObjectAcl PutObjectLegalHold PutObjectRetention
PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging ReplicateDelete ReplicateObject
ReplicateTags RestoreObject
"""

_BUCKET_ACTIONS = """
CreateBucket DeleteBucket DeleteBucketOwnershipControls DeleteBucketPolicy DeleteBucketWebsite
GetAccelerateConfiguration GetAnalyticsConfiguration GetBucketAcl GetBucketCORS
GetBucketLocation GetBucketLogging GetBucketNotification GetBucketObjectLockConfiguration
GetBucketOwnershipControls GetBucketPolicy GetBucketPolicyStatus GetBucketPublicAccessBlock
GetBucketRequestPayment GetBucketTagging GetBucketVersioning GetBucketWebsite
GetEncryptionConfiguration GetIntelligentTieringConfiguration GetInventoryConfiguration
GetLifecycleConfiguration GetMetricsConfiguration GetReplicationConfiguration ListBucket
ListBucketMultipartUploads ListBucketVersions PutAccelerateConfiguration
PutAnalyticsConfiguration PutBucketAcl PutBucketCORS PutBucketLogging PutBucketNotification
PutBucketObjectLockConfiguration PutBucketOwnershipControls PutBucketPolicy
PutBucketPublicAccessBlock PutBucketRequestPayment PutBucketTagging PutBucketVersioning
PutBucketWebsite PutEncryptionConfiguration PutIntelligentTieringConfiguration
PutInventoryConfiguration PutLifecycleConfiguration PutMetricsConfiguration
PutReplicationConfiguration
"""

ACTIONS: dict[str, str] = {
    **{f"s3:{name}".lower(): OBJECT for name in _OBJECT_ACTIONS.split()},
    **{f"s3:{name}".lower(): BUCKET for name in _BUCKET_ACTIONS.split()},
}
"""Every action a bucket policy may name without a wildcard, lower-case, with the kind of
resource it applies to."""

POLICY_ACTIONS = frozenset({"s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"})
"""The actions a bucket's owner keeps whatever its policy says, so a policy can always be
mended by whoever may change it."""


def resource_kind(action: str) -> str | None:
    """``OBJECT`` or ``BUCKET`` for a known action (any case), ``None`` for an unknown one."""
    return ACTIONS.get(action.lower())
