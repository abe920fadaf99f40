"""What the S3 port answers for S3 features Weighthouse does not have, through boto3 against
a live server: the bucket configurations a tool reads answer as S3 answers for a bucket that
has none, after the same permission checks as every other request. (Server-side encryption,
once refused here, is served: see ``test_s3_encryption.py``.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, refused, s3_client

pytestmark = pytest.mark.acceptance


def test_bucket_configurations_read_as_none_configured(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    missing = {
        s3.get_bucket_cors: "NoSuchCORSConfiguration",
        s3.get_bucket_policy: "NoSuchBucketPolicy",
        s3.get_bucket_lifecycle_configuration: "NoSuchLifecycleConfiguration",
        s3.get_bucket_tagging: "NoSuchTagSet",
        s3.get_bucket_encryption: "ServerSideEncryptionConfigurationNotFoundError",
        s3.get_object_lock_configuration: "ObjectLockConfigurationNotFoundError",
        s3.get_public_access_block: "NoSuchPublicAccessBlockConfiguration",
    }
    for read, code in missing.items():
        assert refused(lambda read=read: read(Bucket=bucket)) == (404, code)
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.delete_bucket_cors(Bucket=bucket)
    s3.delete_bucket_policy(Bucket=bucket)
    setting = [
        lambda: s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
        ),
        lambda: s3.put_bucket_website(
            Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
        ),
    ]
    for put in setting:
        assert refused(put) == (501, "NotImplemented")
    # The same checks as any read or write of the bucket come first.
    stranger = s3_client(live_server, make_s3_user(live_server))
    assert refused(lambda: stranger.get_bucket_cors(Bucket=bucket)) == (404, "NoSuchBucket")
    assert refused(lambda: stranger.delete_bucket_policy(Bucket=bucket)) == (404, "NoSuchBucket")
    assert refused(lambda: stranger.get_object_tagging(Bucket=bucket, Key="k")) == (
        404,
        "NoSuchBucket",
    )
    assert refused(lambda: s3.get_object_tagging(Bucket=bucket, Key="none"))[1] == "NoSuchKey"


def test_object_operations_weighthouse_lacks_are_not_implemented(s3: Any, bucket: str) -> None:
    # minio-py's select_object_content and s5cmd's select ask for SelectObjectContent.
    s3.put_object(Bucket=bucket, Key="rows.csv", Body=b"a,b\n1,2\n")
    selecting = lambda: s3.select_object_content(  # noqa: E731
        Bucket=bucket,
        Key="rows.csv",
        Expression="select * from s3object",
        ExpressionType="SQL",
        InputSerialization={"CSV": {}},
        OutputSerialization={"CSV": {}},
    )
    assert refused(selecting) == (501, "NotImplemented")
    restoring = lambda: s3.restore_object(  # noqa: E731
        Bucket=bucket, Key="rows.csv", RestoreRequest={"Days": 1}
    )
    assert refused(restoring) == (501, "NotImplemented")
    assert s3.get_object(Bucket=bucket, Key="rows.csv")["Body"].read() == b"a,b\n1,2\n"
