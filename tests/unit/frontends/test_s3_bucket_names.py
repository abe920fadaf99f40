from __future__ import annotations

import pytest

from weighthouse.domain.model import RepoId, RepoType
from weighthouse.frontends.s3.bucket_names import bucket_id, s3_name
from weighthouse.frontends.s3.errors import S3Error

pytestmark = pytest.mark.unit


def test_namespace_and_name_are_split_at_the_double_dash() -> None:
    assert bucket_id("alice--scratch") == RepoId(RepoType.BUCKET, "alice", "scratch")
    assert bucket_id("acme--data.v2") == RepoId(RepoType.BUCKET, "acme", "data.v2")
    assert s3_name("alice", "scratch") == "alice--scratch"


@pytest.mark.parametrize(
    "name",
    [
        "scratch",  # no namespace
        "ab",  # too short
        "a" * 30 + "--" + "b" * 32,  # too long
        "Alice--scratch",  # upper case
        "alice--my_bucket",  # underscore
        "alice---x",  # core names never start with '-'
        "alice--x..y",
        "-alice--x",
        "192.168.1.1",
        "alice--",
    ],
)
def test_names_s3_or_the_core_refuse(name: str) -> None:
    with pytest.raises(S3Error) as refused:
        bucket_id(name)
    assert (refused.value.status, refused.value.code) == (400, "InvalidBucketName")


def test_core_buckets_s3_cannot_name_have_no_s3_name() -> None:
    assert s3_name("Alice", "x1") is None
    assert s3_name("alice", "with_underscore") is None
