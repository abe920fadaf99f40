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
def test_names_s3_or_the_core_refuse_are_never_created(name: str) -> None:
    with pytest.raises(S3Error) as refused:
        bucket_id(name, creating=True)
    assert (refused.value.status, refused.value.code) == (400, "InvalidBucketName")


@pytest.mark.parametrize("name", ["ab", "Alice--scratch", "alice--my_bucket", "192.168.1.1"])
def test_names_breaking_s3s_rules_are_invalid_to_every_operation(name: str) -> None:
    with pytest.raises(S3Error) as refused:
        bucket_id(name)
    assert (refused.value.status, refused.value.code) == (400, "InvalidBucketName")


@pytest.mark.parametrize("name", ["scratch", "alice---x", "whatchutalkinboutwillis"])
def test_s3_names_that_name_no_core_bucket_are_no_such_bucket(name: str) -> None:
    # S3 answers 404 for a well-formed bucket nobody created; these cannot exist here.
    with pytest.raises(S3Error) as refused:
        bucket_id(name)
    assert (refused.value.status, refused.value.code) == (404, "NoSuchBucket")


def test_core_buckets_s3_cannot_name_have_no_s3_name() -> None:
    assert s3_name("Alice", "x1") is None
    assert s3_name("alice", "with_underscore") is None
