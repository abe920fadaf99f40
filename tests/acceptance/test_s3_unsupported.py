"""What the S3 port answers for S3 features Weighthouse does not have, through boto3 against
a live server: server-side encryption is refused before a byte is stored (never stored in the
clear behind a 200), and the bucket configurations a tool reads answer as S3 answers for a
bucket that has none, after the same permission checks as every other request."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, code_of, make_s3_user, new_bucket, s3_client

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def alice(live_server: LiveServer) -> S3User:
    return make_s3_user(live_server)


@pytest.fixture(scope="module")
def s3(live_server: LiveServer, alice: S3User) -> Any:
    return s3_client(live_server, alice)


def refused(call: Callable[[], Any]) -> tuple[int, str]:
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response["ResponseMetadata"]["HTTPStatusCode"], code_of(error.value)


def test_server_side_encryption_is_refused_and_nothing_is_stored(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    key = os.urandom(32)
    customer = {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(key).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }
    writes = [
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **customer),
        lambda: s3.put_object(
            Bucket=bucket, Key="k", Body=b"secret", ServerSideEncryption="aws:kms"
        ),
        lambda: s3.put_object(
            Bucket=bucket, Key="k", Body=b"secret", ServerSideEncryption="AES256"
        ),
        lambda: s3.copy_object(
            Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "plain"}, **customer
        ),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", **customer),
    ]
    for write in writes:
        assert refused(write) == (501, "NotImplemented")
    # An HTML form upload (S3's POST object) asking for it is refused the same way, and an
    # unsigned one is anonymous, which may not write.
    url = f"{live_server.s3_url}/{bucket}"
    form = httpx.post(
        url, data={"key": "k", "x-amz-server-side-encryption": "AES256"}, files={"file": b"s"}
    )
    assert (form.status_code, "<Code>NotImplemented</Code>" in form.text) == (501, True)
    form = httpx.post(url, data={"key": "k"}, files={"file": b"secret"})
    assert (form.status_code, "<Code>AccessDenied</Code>" in form.text) == (403, True)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["plain"]
    # A customer key on a read names an encryption the object does not have.
    assert refused(lambda: s3.get_object(Bucket=bucket, Key="plain", **customer)) == (
        400,
        "InvalidRequest",
    )


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
        lambda: s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {"ID": "old", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}
                ]
            },
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
