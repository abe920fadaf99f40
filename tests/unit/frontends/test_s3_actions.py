"""The bucket-policy action each S3 request is, versions by id and lifecycle included."""

from __future__ import annotations

import pytest

from weighthouse.frontends.s3.actions import action

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("method", "key", "query", "expected"),
    [
        ("GET", "k", (), "s3:GetObject"),
        ("GET", "k", ("versionId",), "s3:GetObjectVersion"),
        ("HEAD", "k", ("versionId",), "s3:GetObjectVersion"),
        ("DELETE", "k", (), "s3:DeleteObject"),
        ("DELETE", "k", ("versionId",), "s3:DeleteObjectVersion"),
        ("PUT", "k", ("versionId",), "s3:PutObject"),
        ("GET", "k", ("tagging", "versionId"), "s3:GetObjectVersionTagging"),
        ("PUT", "k", ("tagging", "versionId"), "s3:PutObjectVersionTagging"),
        ("DELETE", "k", ("tagging", "versionId"), "s3:DeleteObjectVersionTagging"),
        ("GET", "k", ("acl", "versionId"), "s3:GetObjectVersionAcl"),
        ("GET", "k", ("attributes", "versionId"), "s3:GetObjectVersionAttributes"),
        ("GET", None, ("versions",), "s3:ListBucketVersions"),
        ("GET", None, ("versioning",), "s3:GetBucketVersioning"),
        ("PUT", None, ("versioning",), "s3:PutBucketVersioning"),
        ("GET", None, ("versionId",), "s3:ListBucket"),
        ("GET", None, ("lifecycle",), "s3:GetLifecycleConfiguration"),
        ("PUT", None, ("lifecycle",), "s3:PutLifecycleConfiguration"),
        ("DELETE", None, ("lifecycle",), "s3:PutLifecycleConfiguration"),
    ],
)
def test_a_request_naming_a_version_asks_for_the_version_action(
    method: str, key: str | None, query: tuple[str, ...], expected: str
) -> None:
    assert action(method, key, query.__contains__) == expected
