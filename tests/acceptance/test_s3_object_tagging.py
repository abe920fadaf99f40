"""Object tags through boto3 against a live S3 port: Put/Get/DeleteObjectTagging, the
``x-amz-tagging`` header on PutObject, CreateMultipartUpload and CopyObject (with the tagging
directive), ``x-amz-tagging-count``, S3's limits, and who may read and write tags."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, refused, s3_client

pytestmark = pytest.mark.acceptance

TAG_SET = [{"Key": "stage", "Value": "prod"}, {"Key": "owner", "Value": "ml team"}]
IN_KEY_ORDER = sorted(TAG_SET, key=lambda tag: tag["Key"])


def tags_of(s3: Any, bucket: str, key: str) -> list[dict[str, str]]:
    return list(s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"])


def count_header(answer: dict[str, Any]) -> str | None:
    return answer["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count")


def test_tags_are_set_read_counted_and_removed(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="model.bin", Body=b"weights")
    assert tags_of(s3, bucket, "model.bin") == []
    assert count_header(s3.head_object(Bucket=bucket, Key="model.bin")) is None
    s3.put_object_tagging(Bucket=bucket, Key="model.bin", Tagging={"TagSet": TAG_SET})
    # S3 defines no order; a stable one, by key, for clients comparing lists.
    assert tags_of(s3, bucket, "model.bin") == IN_KEY_ORDER
    assert count_header(s3.head_object(Bucket=bucket, Key="model.bin")) == "2"
    got = s3.get_object(Bucket=bucket, Key="model.bin")
    assert count_header(got) == "2" and got["Body"].read() == b"weights"
    # A second set replaces the first whole.
    s3.put_object_tagging(
        Bucket=bucket, Key="model.bin", Tagging={"TagSet": [{"Key": "only", "Value": ""}]}
    )
    assert tags_of(s3, bucket, "model.bin") == [{"Key": "only", "Value": ""}]
    answer = s3.delete_object_tagging(Bucket=bucket, Key="model.bin")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(s3, bucket, "model.bin") == []
    assert s3.get_object(Bucket=bucket, Key="model.bin")["Body"].read() == b"weights"


def test_tags_go_with_the_object_they_belong_to(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"one", Tagging="a=1&b=2")
    assert tags_of(s3, bucket, "k") == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    s3.put_object(Bucket=bucket, Key="k", Body=b"two")
    assert tags_of(s3, bucket, "k") == []
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": TAG_SET})
    s3.delete_object(Bucket=bucket, Key="k")
    assert refused(lambda: tags_of(s3, bucket, "k")) == (404, "NoSuchKey")
    assert refused(
        lambda: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": TAG_SET})
    ) == (404, "NoSuchKey")
    s3.put_object(Bucket=bucket, Key="k", Body=b"three")
    assert tags_of(s3, bucket, "k") == []


def test_the_tagging_header_is_query_encoded(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="enc", Body=b"x", Tagging="foo=bar&bar&sp=a%20b%2Bc&x=%C3%A9")
    assert tags_of(s3, bucket, "enc") == [
        {"Key": "bar", "Value": ""},
        {"Key": "foo", "Value": "bar"},
        {"Key": "sp", "Value": "a b+c"},
        {"Key": "x", "Value": "é"},
    ]


def test_a_multipart_upload_carries_its_tags_to_the_object(s3: Any, bucket: str) -> None:
    started = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="kind=checkpoint")
    part = s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=started["UploadId"], PartNumber=1, Body=b"p" * 100
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mp",
        UploadId=started["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert tags_of(s3, bucket, "mp") == [{"Key": "kind", "Value": "checkpoint"}]


def test_a_copy_keeps_or_replaces_the_tags_as_directed(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="a=1")
    source = {"Bucket": bucket, "Key": "src"}
    s3.copy_object(Bucket=bucket, Key="kept", CopySource=source)
    assert tags_of(s3, bucket, "kept") == [{"Key": "a", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket, Key="new", CopySource=source, TaggingDirective="REPLACE", Tagging="b=2"
    )
    assert tags_of(s3, bucket, "new") == [{"Key": "b", "Value": "2"}]
    s3.copy_object(Bucket=bucket, Key="none", CopySource=source, TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "none") == []
    # The header alone, without REPLACE, leaves the source's tags, as S3 does.
    s3.copy_object(Bucket=bucket, Key="header", CopySource=source, Tagging="c=3")
    assert tags_of(s3, bucket, "header") == [{"Key": "a", "Value": "1"}]


@pytest.mark.parametrize(
    "tag_set",
    [
        [{"Key": str(n), "Value": str(n)} for n in range(11)],
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": "same", "Value": "1"}, {"Key": "same", "Value": "2"}],
        [{"Key": "aws:createdBy", "Value": "me"}],
        [{"Key": "semi;colon", "Value": "v"}],
    ],
    ids=["eleven", "long-key", "long-value", "twice", "aws-prefix", "character"],
)
def test_tag_sets_s3_refuses_are_invalid_tag(
    s3: Any, bucket: str, tag_set: list[dict[str, str]]
) -> None:
    s3.put_object(Bucket=bucket, Key="limits", Body=b"x", Tagging="kept=yes")
    put = lambda: s3.put_object_tagging(  # noqa: E731
        Bucket=bucket, Key="limits", Tagging={"TagSet": tag_set}
    )
    assert refused(put) == (400, "InvalidTag")
    assert tags_of(s3, bucket, "limits") == [{"Key": "kept", "Value": "yes"}]


def test_the_limits_hold_at_their_edges(s3: Any, bucket: str) -> None:
    ten = [{"Key": f"k{n}", "Value": "v"} for n in range(9)] + [
        {"Key": "é" * 128, "Value": "ü" * 256}
    ]
    s3.put_object(Bucket=bucket, Key="edges", Body=b"x")
    s3.put_object_tagging(Bucket=bucket, Key="edges", Tagging={"TagSet": ten})
    assert tags_of(s3, bucket, "edges") == ten


def test_a_bad_tagging_header_stores_nothing(s3: Any, bucket: str) -> None:
    too_many = "&".join(f"k{n}=v" for n in range(11))
    assert refused(
        lambda: s3.put_object(Bucket=bucket, Key="refused", Body=b"x", Tagging=too_many)
    ) == (400, "InvalidTag")
    assert refused(lambda: s3.head_object(Bucket=bucket, Key="refused"))[0] == 404
    assert refused(
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="refused", Tagging="a=1&a=2")
    ) == (400, "InvalidTag")
    assert refused(
        lambda: s3.put_object(Bucket=bucket, Key="refused", Body=b"x", Tagging="=empty-key")
    ) == (400, "InvalidTag")
    assert refused(
        lambda: s3.put_object(Bucket=bucket, Key="refused", Body=b"x", Tagging="bad=%FF")
    ) == (400, "InvalidArgument")


def test_malformed_and_oversized_documents_are_400(
    live_server: LiveServer, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="doc", Body=b"x")
    url = s3.generate_presigned_url(
        "put_object_tagging",
        Params={"Bucket": bucket, "Key": "doc", "Tagging": {"TagSet": []}},
    )
    bodies = {
        b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>": "MalformedXML",
        b"<Tagging>": "MalformedXML",
        b"<Other/>": "MalformedXML",
        b"<Tagging><TagSet><Tag><Key>" + b"k" * 70_000 + b"</Key></Tag></TagSet></Tagging>": (
            "MalformedXML"
        ),
    }
    for body, code in bodies.items():
        answer = httpx.put(url, content=body)
        assert answer.status_code == 400, answer.text
        assert f"<Code>{code}</Code>" in answer.text
    assert tags_of(s3, bucket, "doc") == []


def test_strangers_and_anonymous_callers_get_what_the_object_gives_them(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    private = new_bucket(s3, alice)
    public = f"{alice.name}--{private.split('--', 1)[1]}-pub"
    s3.create_bucket(Bucket=public, ACL="public-read")
    for name in (private, public):
        s3.put_object(Bucket=name, Key="k", Body=b"x", Tagging="secret=1")
    stranger = s3_client(live_server, make_s3_user(live_server))
    anonymous = s3_client(live_server)
    new_tags = {"TagSet": [{"Key": "mine", "Value": "now"}]}
    for caller in (stranger, anonymous):
        # A private bucket is not revealed; a public one is read, not written.
        assert refused(lambda c=caller: tags_of(c, private, "k")) == (404, "NoSuchBucket")
        assert tags_of(caller, public, "k") == [{"Key": "secret", "Value": "1"}]
        for name in (private, public):
            put = lambda c=caller, n=name: c.put_object_tagging(  # noqa: E731
                Bucket=n, Key="k", Tagging=new_tags
            )
            delete = lambda c=caller, n=name: c.delete_object_tagging(Bucket=n, Key="k")  # noqa: E731
            assert refused(put)[0] in (403, 404)
            assert refused(delete)[0] in (403, 404)
    assert refused(
        lambda: anonymous.put_object_tagging(Bucket=public, Key="k", Tagging=new_tags)
    ) == (
        403,
        "AccessDenied",
    )
    assert refused(
        lambda: stranger.put_object_tagging(Bucket=public, Key="k", Tagging=new_tags)
    ) == (
        403,
        "AccessDenied",
    )
    for name in (private, public):
        assert tags_of(s3, name, "k") == [{"Key": "secret", "Value": "1"}]
