"""Bucket tags and CORS through boto3 against a live S3 port, and the port answering a
browser by the CORS rules: preflights (``OPTIONS``) and the ``Access-Control-*`` headers of
requests carrying an ``Origin``, on errors too; who may read and set them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.acceptance.live import LiveServer
from tests.acceptance.s3 import S3User, make_s3_user, new_bucket, refused, s3_client

pytestmark = pytest.mark.acceptance

APP = "https://app.example.com"
RULES = {
    "CORSRules": [
        {
            "ID": "uploads",
            "AllowedMethods": ["PUT", "POST"],
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedHeaders": ["x-amz-*", "Content-Type"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        },
        {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"]},
    ]
}


def public_bucket(s3: Any, alice: S3User) -> str:
    name = new_bucket(s3, alice) + "-pub"
    s3.create_bucket(Bucket=name, ACL="public-read")
    return name


def test_bucket_tags_are_set_read_and_removed(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    assert refused(lambda: s3.get_bucket_tagging(Bucket=bucket)) == (404, "NoSuchTagSet")
    tags = [{"Key": "team", "Value": "vision"}, {"Key": "cost-centre", "Value": "42"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == sorted(tags, key=lambda t: t["Key"])
    fifty = [{"Key": f"k{n:02}", "Value": "v"} for n in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": fifty})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == fifty
    too_many = {"TagSet": [*fifty, {"Key": "one more", "Value": "v"}]}
    assert refused(lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging=too_many)) == (
        400,
        "InvalidTag",
    )
    twice = {"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}
    assert refused(lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging=twice))[1] == "InvalidTag"
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == fifty
    s3.delete_bucket_tagging(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_tagging(Bucket=bucket)) == (404, "NoSuchTagSet")
    s3.delete_bucket_tagging(Bucket=bucket)


def test_cors_rules_are_set_read_replaced_and_removed(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    missing = (404, "NoSuchCORSConfiguration")
    assert refused(lambda: s3.get_bucket_cors(Bucket=bucket)) == missing
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES["CORSRules"]
    only = {"CORSRules": [{"AllowedMethods": ["DELETE"], "AllowedOrigins": ["https://x"]}]}
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=only)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == only["CORSRules"]
    s3.delete_bucket_cors(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_cors(Bucket=bucket)) == missing
    s3.delete_bucket_cors(Bucket=bucket)


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}, "InvalidRequest"),
        ({"AllowedMethods": ["get"], "AllowedOrigins": ["*"]}, "InvalidRequest"),
        ({"AllowedMethods": ["GET"], "AllowedOrigins": ["https://*.*.x"]}, "InvalidRequest"),
        ({"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "AllowedHeaders": ["**"]},
         "InvalidRequest"),
    ],
)  # fmt: skip
def test_rules_s3_refuses_leave_the_configuration_as_it_was(
    s3: Any, alice: S3User, rule: dict[str, Any], code: str
) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    put = lambda: s3.put_bucket_cors(  # noqa: E731
        Bucket=bucket, CORSConfiguration={"CORSRules": [rule]}
    )
    assert refused(put) == (400, code)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == RULES["CORSRules"]


def test_malformed_too_many_and_oversized_configurations_are_400(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    url = s3.generate_presigned_url(
        "put_bucket_cors", Params={"Bucket": bucket, "CORSConfiguration": RULES}
    )
    rule = (
        b"<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>"
    )
    bodies = {
        b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"
        b"</CORSConfiguration>": "MalformedXML",
        b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
        b"<AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>"
        b"</CORSConfiguration>": "MalformedXML",
        b"<CORSConfiguration><Other/></CORSConfiguration>": "MalformedXML",
        b"<CORSConfiguration>": "MalformedXML",
        b"<CORSConfiguration/>": "InvalidRequest",
        b"<CORSConfiguration>" + rule * 101 + b"</CORSConfiguration>": "InvalidRequest",
        b"<CORSConfiguration>" + rule * 1000 + b"</CORSConfiguration>": "MalformedXML",
    }
    for body, code in bodies.items():
        answer = httpx.put(url, content=body)
        assert answer.status_code == 400, answer.text
        assert f"<Code>{code}</Code>" in answer.text
    assert refused(lambda: s3.get_bucket_cors(Bucket=bucket))[0] == 404


def test_preflights_are_answered_by_the_first_matching_rule(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)  # private: a preflight carries no credentials anyway
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    url = f"{live_server.s3_url}/{bucket}/some/key"
    answer = httpx.options(
        url,
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Amz-Date, content-type",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == APP
    assert answer.headers["access-control-allow-methods"] == "PUT, POST"
    assert answer.headers["access-control-allow-headers"] == "x-amz-date, content-type"
    assert answer.headers["access-control-expose-headers"] == "ETag"
    assert answer.headers["access-control-max-age"] == "600"
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in answer.headers["vary"]
    anyone = httpx.options(
        url, headers={"Origin": "https://elsewhere", "Access-Control-Request-Method": "GET"}
    )
    assert anyone.status_code == 200
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in anyone.headers
    refusals = [
        {"Origin": "https://elsewhere", "Access-Control-Request-Method": "PUT"},
        {"Origin": APP, "Access-Control-Request-Method": "DELETE"},
        {"Origin": APP, "Access-Control-Request-Method": "PUT",
         "Access-Control-Request-Headers": "authorization"},
    ]  # fmt: skip
    for headers in refusals:
        denied = httpx.options(url, headers=headers)
        assert denied.status_code == 403, headers
        assert "<Code>CORSResponse</Code>" in denied.text
        assert "access-control-allow-origin" not in denied.headers
    for headers in ({}, {"Origin": APP}, {"Access-Control-Request-Method": "GET"}):
        assert httpx.options(url, headers=headers).status_code == 400


def test_a_bucket_without_rules_or_no_bucket_refuses_every_preflight(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = new_bucket(s3, alice)
    headers = {"Origin": APP, "Access-Control-Request-Method": "GET"}
    for name in (bucket, f"{alice.name}--no-such-bucket"):
        answer = httpx.options(f"{live_server.s3_url}/{name}/k", headers=headers)
        assert answer.status_code == 403, (name, answer.text)
        assert "<Code>CORSResponse</Code>" in answer.text
    answer = httpx.options(f"{live_server.s3_url}/not_a_bucket_name/k", headers=headers)
    assert answer.status_code == 400 and "<Code>InvalidBucketName</Code>" in answer.text


def test_requests_with_an_origin_get_the_headers_of_their_rule(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    bucket = public_bucket(s3, alice)
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    base = f"{live_server.s3_url}/{bucket}"
    read = httpx.get(f"{base}/k", headers={"Origin": APP})
    assert read.status_code == 200 and read.content == b"hello"
    assert read.headers["access-control-allow-origin"] == "*"
    assert read.headers["access-control-allow-methods"] == "GET, HEAD"
    # On an error too, so the page's script can read it.
    missing = httpx.get(f"{base}/none", headers={"Origin": APP})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "*"
    # An anonymous PUT is refused, with the upload rule's headers for its origin.
    put = httpx.put(f"{base}/new", headers={"Origin": APP}, content=b"x")
    assert put.status_code == 403
    assert put.headers["access-control-allow-origin"] == APP
    assert put.headers["access-control-expose-headers"] == "ETag"
    # No rule allows DELETE from anywhere; no Origin, no CORS headers.
    assert (
        "access-control-allow-origin"
        not in httpx.delete(f"{base}/k", headers={"Origin": APP}).headers
    )
    assert "access-control-allow-origin" not in httpx.get(f"{base}/k").headers
    s3.delete_bucket_cors(Bucket=bucket)
    assert (
        "access-control-allow-origin" not in httpx.get(f"{base}/k", headers={"Origin": APP}).headers
    )


def test_strangers_and_anonymous_callers_cannot_set_or_see_private_configurations(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    private = new_bucket(s3, alice)
    public = public_bucket(s3, alice)
    for name in (private, public):
        s3.put_bucket_cors(Bucket=name, CORSConfiguration=RULES)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
    stranger = s3_client(live_server, make_s3_user(live_server))
    anonymous = s3_client(live_server)
    evil = {"CORSRules": [{"AllowedMethods": ["PUT"], "AllowedOrigins": ["https://evil"]}]}
    for caller in (stranger, anonymous):
        assert refused(lambda c=caller: c.get_bucket_cors(Bucket=private)) == (404, "NoSuchBucket")
        assert refused(lambda c=caller: c.get_bucket_tagging(Bucket=private))[1] == "NoSuchBucket"
        # A public bucket's configuration is read like the bucket; never written by others.
        assert caller.get_bucket_tagging(Bucket=public)["TagSet"] == [{"Key": "a", "Value": "1"}]
        for name in (private, public):
            attempts = [
                lambda c=caller, n=name: c.put_bucket_cors(Bucket=n, CORSConfiguration=evil),
                lambda c=caller, n=name: c.delete_bucket_cors(Bucket=n),
                lambda c=caller, n=name: c.put_bucket_tagging(
                    Bucket=n, Tagging={"TagSet": [{"Key": "mine", "Value": "now"}]}
                ),
                lambda c=caller, n=name: c.delete_bucket_tagging(Bucket=n),
            ]
            for attempt in attempts:
                assert refused(attempt)[0] in (403, 404)
    assert refused(lambda: anonymous.put_bucket_cors(Bucket=public, CORSConfiguration=evil)) == (
        403,
        "AccessDenied",
    )
    for name in (private, public):
        assert s3.get_bucket_cors(Bucket=name)["CORSRules"] == RULES["CORSRules"]
        assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "a", "Value": "1"}]


def test_a_deleted_bucket_takes_its_configurations_along(s3: Any, alice: S3User) -> None:
    bucket = new_bucket(s3, alice)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=RULES)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    assert refused(lambda: s3.get_bucket_cors(Bucket=bucket))[1] == "NoSuchCORSConfiguration"
    assert refused(lambda: s3.get_bucket_tagging(Bucket=bucket))[1] == "NoSuchTagSet"


def test_who_may_not_set_a_configuration_is_refused_before_its_document_is_read(
    live_server: LiveServer, s3: Any, alice: S3User
) -> None:
    """As S3 decides it: a stranger's malformed or oversized document for another's bucket
    gets the stranger's refusal (the private bucket is not theirs to know of, the public one
    is not theirs to change), never the document's 400."""
    private = new_bucket(s3, alice)
    public = public_bucket(s3, alice)
    stranger = s3_client(live_server, make_s3_user(live_server))
    operations = {
        "put_bucket_cors": {"CORSConfiguration": RULES},
        "put_bucket_tagging": {"Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]}},
        "put_bucket_policy": {"Policy": "{}"},
        "put_bucket_encryption": {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            }
        },
        "put_bucket_lifecycle_configuration": {"LifecycleConfiguration": {"Rules": []}},
    }
    for bucket, expected in ((private, (404, "NoSuchBucket")), (public, (403, "AccessDenied"))):
        for operation, params in operations.items():
            url = stranger.generate_presigned_url(operation, Params={"Bucket": bucket, **params})
            for body in (b"garbage", b"<Document>" + b" " * (1 << 20)):
                answer = httpx.put(url, content=body)
                assert answer.status_code == expected[0], (operation, answer.text)
                assert f"<Code>{expected[1]}</Code>" in answer.text, (operation, answer.text)
    for name in (private, public):
        assert refused(lambda n=name: s3.get_bucket_cors(Bucket=n))[0] == 404
        assert refused(lambda n=name: s3.get_bucket_policy(Bucket=n))[0] == 404
