"""The policy of an S3 POST upload: what reads as a policy, and what a form must keep to."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from weighthouse.frontends.s3.errors import S3Error
from weighthouse.frontends.s3.post_policy import read_policy

FUTURE = "2099-01-01T00:00:00.000Z"


def encoded(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def refusal(call: Any) -> tuple[int, str]:
    with pytest.raises(S3Error) as refused:
        call()
    return refused.value.status, refused.value.code


def test_conditions_hold_case_insensitively_in_names_and_operators() -> None:
    policy = read_policy(
        encoded({
            "expiration": FUTURE,
            "conditions": [
                {"bUcKeT": "b--x"}, ["StArTs-WiTh", "$KeY", "foo"], ["EQ", "$AcL", "private"],
                ["Content-Length-Range", 0, 1024],
            ],
        })
    )  # fmt: skip
    assert policy.length_range == (0, 1024)
    policy.check({"bucket": "b--x", "key": "foo.txt", "acl": "private"}, key="foo.txt")
    assert refusal(
        lambda: policy.check({"bucket": "b--x", "key": "bar", "acl": "private"}, key="bar")
    ) == (403, "AccessDenied")
    assert refusal(
        lambda: policy.check({"bucket": "b--y", "key": "foo", "acl": "private"}, key="foo")
    ) == (403, "AccessDenied")


def test_every_field_needs_a_condition_but_the_exempt_ones() -> None:
    policy = read_policy(
        encoded({"expiration": FUTURE, "conditions": [["starts-with", "$key", ""]]})
    )
    exempt = {"policy": "p", "signature": "s", "awsaccesskeyid": "k", "x-amz-signature": "s",
              "x-ignore-anything": "1", "file": "f"}  # fmt: skip
    policy.check({"key": "k", **exempt}, key="k")
    assert refusal(lambda: policy.check({"key": "k", "acl": "private"}, key="k")) == (
        403,
        "AccessDenied",
    )


def test_a_key_condition_may_state_the_key_with_the_files_name() -> None:
    policy = read_policy(
        encoded({"expiration": FUTURE, "conditions": [["starts-with", "$key", "foo"]]})
    )
    policy.check({"key": "${filename}"}, key="foo.txt")
    exact = read_policy(encoded({"expiration": FUTURE, "conditions": [{"key": "up/${filename}"}]}))
    exact.check({"key": "up/${filename}"}, key="up/a.bin")


def test_content_types_are_checked_one_by_one() -> None:
    policy = read_policy(
        encoded({"expiration": FUTURE, "conditions": [["starts-with", "$Content-Type", "image/"]]})
    )
    policy.check({"content-type": "image/png, image/jpeg"}, key="k")
    assert (
        refusal(lambda: policy.check({"content-type": "image/png, text/html"}, key="k"))[0] == 403
    )


@pytest.mark.parametrize(
    "document",
    [
        {"conditions": []},
        {"expiration": FUTURE},
        {"EXPIRATION": FUTURE, "conditions": []},
        {"expiration": FUTURE, "CONDITIONS": []},
        {"expiration": "tomorrow", "conditions": []},
        {"expiration": FUTURE, "conditions": [{}]},
        {"expiration": FUTURE, "conditions": [["content-length-range", 0]]},
        {"expiration": FUTURE, "conditions": [["content-length-range", -1, 0]]},
        {"expiration": FUTURE, "conditions": [["content-length-range", 10, 1]]},
        {"expiration": FUTURE, "conditions": [["matches", "$key", ".*"]]},
        {"expiration": FUTURE, "conditions": [["eq", "key", "x"]]},
        {"expiration": FUTURE, "conditions": [{"key": 1}]},
        {"expiration": FUTURE, "conditions": "all"},
        ["not", "an", "object"],
    ],
)
def test_unreadable_policies_are_invalid_documents(document: Any) -> None:
    assert refusal(lambda: read_policy(encoded(document))) == (400, "InvalidPolicyDocument")


def test_a_policy_that_is_not_base64_json_is_invalid() -> None:
    assert refusal(lambda: read_policy("%%%")) == (400, "InvalidPolicyDocument")
    assert refusal(lambda: read_policy(base64.b64encode(b"{nope").decode()))[1] == (
        "InvalidPolicyDocument"
    )
    assert refusal(lambda: read_policy("A" * 40_000))[1] == "InvalidPolicyDocument"
